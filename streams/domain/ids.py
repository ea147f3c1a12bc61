"""Article ids, with no heavy imports: intake and publisher need them without loading spaCy."""

from __future__ import annotations

import hashlib


def article_id_for(text: str, title: str | None = None) -> str:
    """Deterministic id for an article that came without one: sha256 of title and text, 16 hex chars."""
    payload = f"{title or ''}\n{text}".encode()
    return hashlib.sha256(payload).hexdigest()[:16]
