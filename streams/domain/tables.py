"""The country-mention tables' rules, pure: event time, window bounds, top-N and merging.

The tables themselves are declared in `streams.runtime.app` (their sizes from `WINDOWS`), updated by
`agents.count_country_mentions` and read by `streams.runtime.views`, both keying windows with `window_key`;
what they mean is decided here, so it is testable without Kafka.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

#: window name in the HTTP API -> window size, seconds (tumbling, aligned to UTC hours and days)
WINDOWS = {"1h": 3600, "1d": 86400}

ISO_CODE = re.compile(r"^[A-Z]{2}$")


def parse_time(text: str | None) -> float | None:
    """RFC 3339 / ISO 8601 text -> POSIX seconds; None when absent or unreadable. Naive times are UTC."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def article_time(value: Mapping[str, Any], record_timestamp: float | None) -> float | None:
    """When a country mention happened: the article's `published_at`, else its Kafka record timestamp.

    The worker stamps each event with the timestamp of the article record it came from (the Kafka
    Streams convention), so the fallback is the time the article was published to Kafka (ingest time).
    """
    published = parse_time(value.get("published_at")) if isinstance(value.get("published_at"), str) else None
    if published is not None:
        return published
    return record_timestamp if record_timestamp and record_timestamp > 0 else None


def event_time(event) -> float:
    """Faust `relative_to` handler of the windowed tables: the current event's `article_time`."""
    if event is None:
        raise RuntimeError("windowed country tables are written from a stream only")
    when = article_time(event.value if isinstance(event.value, Mapping) else {}, event.message.timestamp)
    if when is None:
        raise ValueError("the event has neither published_at nor a record timestamp")
    return when


def mentions(value: Any) -> int:
    """The count in a table value ([mentions, next offset]; empty when the key has none yet)."""
    return int(value[0]) if value else 0


def add_mentions(value: Any, count: int, offset: int) -> list[int] | None:
    """The table value after adding `count` from the country-mention event at `offset`, or None when that
    event was already applied (a replay after a crash: all events of one key come from one partition, in
    offset order, so an offset below the mark was counted)."""
    total, next_offset = (int(value[0]), int(value[1])) if value else (0, 0)
    if offset < next_offset:
        return None
    return [total + count, offset + 1]


def isoformat(seconds: float) -> str:
    return datetime.fromtimestamp(round(seconds), tz=UTC).isoformat().replace("+00:00", "Z")


def window_bounds(size: int, seconds: float) -> tuple[float, float]:
    """[start, end) of the tumbling window of `size` seconds holding `seconds` (UTC-aligned, like Faust's)."""
    start = float(int(seconds // size) * size)
    return start, start + size


def window_key(size: int, seconds: float) -> tuple[float, float]:
    """The window part of a windowed table's key for `seconds`: the one source of it for the agent and the
    views. It is what Faust's `TumblingWindow(size).ranges(seconds)[0]` gives, float for float (Faust ends a
    window 0.1 s before the next one starts: `faust.types.windows.WindowRange_from_start`)."""
    start, end = window_bounds(size, seconds)
    return start, end - 0.1


def normalise_country(code: str) -> str:
    code = code.strip().upper()
    if not ISO_CODE.match(code):
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code (two letters, e.g. VE)")
    return code


def merge_counts(parts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Counts from several workers. Each country lives on exactly one worker, so a repeat is a bug."""
    merged: dict[str, int] = {}
    for part in parts:
        for country, count in part.items():
            if country in merged:
                raise ValueError(f"two workers answered for {country}; their partition assignment is changing, retry")
            merged[country] = count
    return merged


def top_countries(counts: Mapping[str, int], limit: int | None) -> list[dict[str, Any]]:
    """Most mentioned first, ties by code; zero counts left out; limit None or 0 means all."""
    ranked = sorted(((c, n) for c, n in counts.items() if n > 0), key=lambda item: (-item[1], item[0]))
    if limit:
        ranked = ranked[:limit]
    return [{"country": country, "mentions": count} for country, count in ranked]
