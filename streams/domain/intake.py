"""From the raw bytes of a `news.articles` record to a validated article, or a reason to reject it.

Pure: no Kafka here. The agent calls `parse_article` and dead-letters `RejectedArticle`s with
`dead_letter_headers`, so every rule about bad input lives in this one module.

Only what cannot be analysed is rejected: a record that is no JSON object, or whose `id` or `text` is
bad. Real feeds' metadata is untidy, so the optional fields are read leniently (`normalise_time`): a
`published_at` in another form than RFC 3339 is normalised to it, saying what was assumed, and an
optional field that cannot be read is dropped, saying why; the text is analysed either way.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from jsonschema.exceptions import ValidationError, best_match

from streams.domain.contracts import describe, validator
from streams.domain.ids import article_id_for
from streams.settings import time_zone


class RejectedArticle(Exception):
    """An input record that cannot be analysed; `reason` is the class name put in the DLQ headers."""

    def __init__(self, reason: str, message: str, stage: str = "validate") -> None:
        super().__init__(message)
        self.reason = reason
        self.stage = stage


#: The article's optional metadata: a value that breaks its schema is dropped, not dead-lettered.
OPTIONAL_FIELDS = ("title", "url", "source", "published_at", "language")
#: Article fields handed to the extraction.
ARTICLE_FIELDS = ("id", "text", *OPTIONAL_FIELDS)

#: Epoch numbers this large or larger are milliseconds (1e11 s is the year 5138, 1e11 ms is March 1973).
EPOCH_MILLISECONDS = 1e11
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Article:
    id: str
    text: str
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published_at: str | None = None  # RFC 3339: as sent, or normalised
    language: str | None = None
    #: what reading `published_at` assumed, e.g. {"timezone": "UTC", "time_of_day": "00:00"}; empty: nothing
    published_at_assumed: dict[str, str] = field(default_factory=dict)
    #: optional fields dropped as unreadable: field -> reason (wrong_type, unreadable, too_long, invalid)
    dropped: dict[str, str] = field(default_factory=dict)
    #: (field, reason) of each field normalised (metrics): reasons as in `normalise_time`
    normalised: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ARTICLE_FIELDS if getattr(self, k) is not None}

    def metadata_notes(self) -> tuple[tuple[str, str, str], ...]:
        """("normalised" | "dropped", field, reason) for each field not taken as sent (metrics)."""
        return (
            *(("normalised", name, why) for name, why in self.normalised),
            *(("dropped", name, why) for name, why in sorted(self.dropped.items())),
        )


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def normalise_time(value: str | int | float, naive_timezone: str = "UTC") -> tuple[str, str | None, dict[str, str]]:
    """A `published_at` the article schema accepts -> (RFC 3339 text, reason, what was assumed).

    reason is None when the value is RFC 3339 already (returned unchanged), else how it was read:
    `naive_time` (no UTC offset: read in `naive_timezone`), `date_only` (00:00 in `naive_timezone`),
    `iso8601` (another ISO 8601 form with an offset), `rfc2822` (RSS), `epoch_seconds`,
    `epoch_milliseconds`. Raises ValueError when the value names no moment (31 February, out of range).
    """
    if isinstance(value, str):
        if validator("article").format_checker.conforms(value, "date-time"):
            return value, None, {}
        text = value.strip()
        try:
            moment, reason = datetime.fromisoformat(text), "iso8601"
        except ValueError:
            try:
                moment, reason = parsedate_to_datetime(text), "rfc2822"
            except (TypeError, ValueError, IndexError):
                raise ValueError(f"{value!r} is no time of ISO 8601, RFC 3339 or RFC 2822") from None
        assumed = {}
        if moment.tzinfo is None:
            reason = "date_only" if _DATE_ONLY.match(text) else "naive_time"
            if reason == "date_only":
                assumed["time_of_day"] = "00:00"
            assumed["timezone"] = naive_timezone
            # An ambiguous or skipped local time (a DST change) takes the offset before the change (fold 0).
            moment = moment.replace(tzinfo=time_zone(naive_timezone))
        return _rfc3339(moment), reason, assumed
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{value!r} is no time")
    milliseconds = abs(value) >= EPOCH_MILLISECONDS
    try:
        moment = datetime.fromtimestamp(value / 1000 if milliseconds else value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"{value!r} is out of range for a Unix time") from None
    return _rfc3339(moment), "epoch_milliseconds" if milliseconds else "epoch_seconds", {}


def _drop_reason(error: ValidationError) -> str:
    """Why an optional field was dropped: wrong_type, unreadable (a published_at of no known form),
    too_long or invalid."""
    if error.validator == "anyOf":  # published_at: a string or number of no known form is unreadable
        timelike = isinstance(error.instance, (str, int, float)) and not isinstance(error.instance, bool)
        return "unreadable" if timelike else "wrong_type"
    return {"type": "wrong_type", "maxLength": "too_long"}.get(error.validator, "invalid")


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


# JSON may escape a lone UTF-16 surrogate ("\ud83d" without its pair): valid JSON, but no text any
# Unicode encoder (spaCy's, Kafka's UTF-8) accepts. Each becomes U+FFFD, one code point for one, so
# every offset into the text stays an offset into the text as sent (found by `newswire fuzz`).
_LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE_CHAR = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(value):
    return _SURROGATE_CHAR.sub("\ufffd", value) if isinstance(value, str) else value


def parse_article(
    value: bytes | None, key: bytes | None, max_bytes: int, max_chars: int | None = None, naive_timezone: str = "UTC"
) -> Article:
    """Decode, validate and normalise one record; raise RejectedArticle with the reason.

    `max_chars` bounds title + text: the model's time and memory grow with it (spaCy's own guard is 1M).
    `naive_timezone` (an IANA name) is the zone of a `published_at` without a UTC offset.
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
            "InvalidJSON",
            f'the value is not JSON ({exc}); send an object like {{"id": ..., "text": ...}}',
            "decode",
        ) from None
    if isinstance(data, dict) and _LONE_SURROGATE.search(raw):
        data = {k: _without_lone_surrogates(v) for k, v in data.items()}
    data, published_at, assumed, dropped, normalised = _metadata(data, naive_timezone)
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
        published_at=published_at,
        language=data.get("language"),
        published_at_assumed=assumed,
        dropped=dropped,
        normalised=normalised,
    )


def _metadata(data: object, naive_timezone: str):
    """Validate: errors in `id`, `text` or the whole reject the record; unreadable optional fields are
    dropped. Returns (data without them, published_at as RFC 3339, assumed, dropped, normalised)."""
    soft: dict[str, ValidationError] = {}
    hard: list[ValidationError] = []
    for error in validator("article").iter_errors(data):
        name = error.absolute_path[0] if error.absolute_path else None
        if name in OPTIONAL_FIELDS:
            soft.setdefault(name, error)
        else:
            hard.append(error)
    if hard:
        raise RejectedArticle(
            "SchemaViolation", f"the article does not match schemas/article.schema.json: {describe(best_match(hard))}"
        )
    dropped = {name: _drop_reason(error) for name, error in soft.items()}
    data = {k: v for k, v in data.items() if k not in dropped}
    published_at, assumed, reason = data.get("published_at"), {}, None
    if published_at is not None:
        try:
            published_at, reason, assumed = normalise_time(published_at, naive_timezone)
        except ValueError:
            published_at, dropped = None, dropped | {"published_at": "unreadable"}
    return data, published_at, assumed, dropped, (("published_at", reason),) if reason else ()


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
