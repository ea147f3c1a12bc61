"""`newswire tail`: read a topic as JSON lines, the way any subscribing service would."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

from kafka import TopicPartition

from streams.errors import NewswireError
from streams.kafka.clients import consumer
from streams.settings import Settings


class NoSuchTopic(NewswireError, ValueError):
    """`newswire tail` of a topic the cluster does not have."""


def _text_or_base64(data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(data).decode("ascii")


def decode_record(record) -> dict:
    """A consumer record as a JSON-ready dict: value parsed when it is JSON, headers as strings."""
    raw = _text_or_base64(record.value)
    try:
        value = json.loads(raw) if raw is not None else None
    except (ValueError, RecursionError):  # not JSON, or nested too deep to parse (a dead letter may be either)
        value = raw
    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key": _text_or_base64(record.key),
        "value": value,
        "headers": {k: _text_or_base64(v) for k, v in (record.headers or [])},
    }


def tail(
    settings: Settings,
    topics: list[str],
    from_beginning: bool = False,
    max_records: int | None = None,
    idle_timeout: float | None = None,
) -> Iterator[dict]:
    """Yield records until `max_records` are read or nothing arrives for `idle_timeout` seconds."""
    # Assigned, not subscribed: no consumer group, so tailing never joins or disturbs one.
    reader = consumer(settings, enable_auto_commit=False, isolation_level="read_committed")
    partitions = [
        TopicPartition(topic, p) for topic in topics for p in sorted(reader.partitions_for_topic(topic) or [])
    ]
    if not partitions:
        reader.close()
        raise NoSuchTopic(
            f"no such topic: {', '.join(topics)}",
            "check the name (the pipeline's topics are NEWSWIRE_TOPIC_*); a worker creates them",
        )
    reader.assign(partitions)
    (reader.seek_to_beginning if from_beginning else reader.seek_to_end)(*partitions)
    seen = 0
    last = time.monotonic()
    try:
        while max_records is None or seen < max_records:
            batches = reader.poll(timeout_ms=200, max_records=500)
            if not batches:
                if idle_timeout is not None and time.monotonic() - last > idle_timeout:
                    return
                continue
            last = time.monotonic()
            for records in batches.values():
                for record in records:
                    yield decode_record(record)
                    seen += 1
                    if max_records is not None and seen >= max_records:
                        return
    finally:
        reader.close()
