"""CloudEvents on every event record: the CloudEvents Kafka protocol binding, binary content mode.

The record value stays the JSON event, byte for byte; the event's CloudEvents attributes travel in
`ce_*` headers and `content-type` says the value is JSON. A subscriber can read a record with any
CloudEvents SDK, or ignore the headers. Dead letters are not events and keep their own headers
(streams.domain.intake.dead_letter_headers).

Pure and deterministic: the same article record yields the same headers on every run, so a retried
transaction, or a re-run after a crash, sends the very same records.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from streams.domain.contracts import validator
from streams.domain.events import Event
from streams.domain.tables import article_time

SPECVERSION = "1.0"
#: reverse DNS of newswire-streams.dev, the domain of the schemas' `$id`s
TYPE_PREFIX = "dev.newswire-streams"
#: contract name -> major version of its schema (schemas/); a breaking change bumps it, and so `ce_type`
SCHEMA_MAJOR_VERSIONS = {"entity": 1, "quote": 1, "stance": 1, "country-mention": 1}
CONTENT_TYPE = "application/json"


def event_type(kind: str) -> str:
    """`ce_type`: one per event kind and schema major version, e.g. `dev.newswire-streams.quote.v1`."""
    return f"{TYPE_PREFIX}.{kind}.v{SCHEMA_MAJOR_VERSIONS[kind]}"


def event_source(app_id: str) -> str:
    """`ce_source`: the app, not the worker. `event_id`s are deterministic per article, extractor version
    and event, so every worker of one app (and every re-run) emits an event under the same (source, id)."""
    return f"urn:newswire-streams:{quote(app_id, safe='')}"


def rfc3339(seconds: float) -> str:
    """POSIX seconds as RFC 3339 UTC text (`Z`), microseconds only when there are any."""
    text = datetime.fromtimestamp(seconds, UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def event_headers(event: Event, source: str, record_timestamp: float | None) -> list[tuple[str, bytes]]:
    """The binary-mode headers of one event record.

    `ce_time` is the event time the country tables use (streams.domain.tables.article_time): the article's
    `published_at`, else the timestamp of the article's record (which the event record carries too).
    Both are fixed by the input record, never the time of processing; with neither, there is no `ce_time`.
    """
    value = event.value
    attributes = {
        "ce_specversion": SPECVERSION,
        "ce_id": value["event_id"],
        "ce_source": source,
        "ce_type": event_type(event.kind),
        "ce_subject": value["article_id"],
        "ce_dataschema": validator(event.kind).schema["$id"],
    }
    when = article_time(value, record_timestamp)
    if when is not None:
        attributes["ce_time"] = rfc3339(when)
    attributes["content-type"] = CONTENT_TYPE
    return [(name, text.encode("utf-8")) for name, text in attributes.items()]
