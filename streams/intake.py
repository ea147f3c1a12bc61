"""From the raw bytes of a `news.articles` record to a validated article, or a reason to reject it.

Pure: no Kafka here. The agent calls `parse_article` and dead-letters `RejectedArticle`s with
`dead_letter_headers`, so every rule about bad input lives in this one module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from streams.contracts import first_error
from streams.ids import article_id_for


class RejectedArticle(Exception):
    """An input record that cannot be analysed; `reason` is the class name put in the DLQ headers."""

    def __init__(self, reason: str, message: str, stage: str = "validate") -> None:
        super().__init__(message)
        self.reason = reason
        self.stage = stage


@dataclass(frozen=True)
class Article:
    id: str
    text: str
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published_at: str | None = None
    language: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


# JSON nested deeper than this is not an article; json.loads would otherwise recurse ~1000 levels.
MAX_JSON_DEPTH = 32


def _depth_exceeds(raw: str, limit: int) -> bool:
    depth = 0
    in_string = escaped = False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def parse_article(value: bytes | None, key: bytes | None, max_bytes: int, max_chars: int | None = None) -> Article:
    """Decode, validate and normalise one record; raise RejectedArticle with the reason.

    `max_chars` bounds title + text: the model's time and memory grow with it (spaCy's own guard is 1M).
    """
    if value is None:
        raise RejectedArticle("EmptyMessage", "the record has no value (tombstone); send an article JSON", "decode")
    if len(value) > max_bytes:
        raise RejectedArticle(
            "ArticleTooLarge",
            f"the record is {len(value)} bytes, over the limit of {max_bytes} (NEWSWIRE_MAX_ARTICLE_BYTES)",
            "decode",
        )
    try:
        raw = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RejectedArticle("InvalidUTF8", f"the value is not UTF-8: {exc}", "decode") from None
    if _depth_exceeds(raw, MAX_JSON_DEPTH):
        raise RejectedArticle("InvalidJSON", f"JSON nested deeper than {MAX_JSON_DEPTH} levels", "decode")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise RejectedArticle(
            "InvalidJSON", f"the value is not JSON ({exc}); send an object like {{\"id\": ..., \"text\": ...}}",
            "decode",
        ) from None
    problem = first_error("article", data)
    if problem is not None:
        raise RejectedArticle("SchemaViolation", f"the article does not match schemas/article.schema.json: {problem}")
    key_text = key.decode("utf-8", "replace") if key else None
    article_id = data.get("id") or key_text or article_id_for(data["text"], data.get("title"))
    if key_text and data.get("id") and key_text != data["id"]:
        raise RejectedArticle(
            "KeyMismatch", f"the record key {key_text!r} differs from the article id {data['id']!r}; key it by its id"
        )
    length = len(data["text"]) + len(data.get("title") or "")
    if max_chars is not None and length > max_chars:
        raise RejectedArticle(
            "ArticleTooLong",
            f"title and text are {length} characters, over the limit of {max_chars} (NEWSWIRE_MAX_TEXT_CHARS); "
            "split the article into parts",
        )
    return Article(
        id=article_id,
        text=data["text"],
        title=data.get("title"),
        url=data.get("url"),
        source=data.get("source"),
        published_at=data.get("published_at"),
        language=data.get("language"),
    )


def dead_letter_headers(
    error: RejectedArticle | Exception, topic: str, partition: int, offset: int, app_id: str
) -> list[tuple[str, bytes]]:
    """Kafka Connect's `__connect.errors.*` headers, so existing DLQ tooling reads ours."""
    reason = getattr(error, "reason", type(error).__name__)
    stage = getattr(error, "stage", "analyze")
    pairs = {
        "__connect.errors.topic": topic,
        "__connect.errors.partition": str(partition),
        "__connect.errors.offset": str(offset),
        "__connect.errors.exception.class.name": reason,
        "__connect.errors.exception.message": str(error)[:2000],
        "__connect.errors.stage": stage,
        "__connect.errors.connector.name": app_id,
    }
    return [(k, v.encode("utf-8")) for k, v in pairs.items()]
