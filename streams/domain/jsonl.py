"""Reading JSON Lines files: corpora, gold sets, fixtures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def read_jsonl(path: Path, error: type[Exception] = ValueError) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of `path`. A line that is not a JSON object
    raises `error` with the file and line number, so the user can find and fix it."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise error(f"{path}:{number}: not JSON ({exc})") from None
            if not isinstance(record, dict):
                raise error(f"{path}:{number}: each line must be a JSON object")
            yield number, record
