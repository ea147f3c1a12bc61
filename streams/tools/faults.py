"""Fault-injection runs against a real broker: isolated scenarios, their inputs, and what they committed.

Used by the fault tests (tests/runtime/test_exactly_once.py) and by `newswire soak`. A scenario is a copy of the
settings with its own app id and topic names, so several runs share one broker without seeing each
other. What a run produced is read the way a subscriber reads it: `read_committed`.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from streams.domain.jsonl import read_jsonl
from streams.kafka.clients import ensure_topics, producer, wait_until_processed
from streams.kafka.plumbing import read_to_end, send_all, wait_until
from streams.kafka.subscriber import decode_record
from streams.settings import PROJECT_ROOT, SHARED_CORPUS, Settings

FALLBACK_CORPUS = PROJECT_ROOT / "tests" / "fixtures" / "bench" / "articles.jsonl"


def corpus(n: int, path: Path | None = None) -> list[dict]:
    """`n` distinct articles: the BBC corpus when present, else variants of the small shipped fixture."""
    source = path or (SHARED_CORPUS if SHARED_CORPUS.exists() else FALLBACK_CORPUS)
    base = [record for _, record in read_jsonl(source)]
    articles = []
    for i in range(n):
        record = base[i % len(base)]
        round_ = i // len(base)
        article = {
            "id": f"{record['id']}" if round_ == 0 else f"{record['id']}-v{round_}",
            "text": record["text"] if round_ == 0 else f"{record['text']} (Update {round_}.)",
        }
        if record.get("title"):
            article["title"] = record["title"]
        articles.append(article)
    return articles


def scenario(base: Settings, name: str, web_port: int, **extra) -> Settings:
    """Settings of an isolated run: its own app id (consumer group, changelogs) and topics."""
    prefix = f"{name}."
    return base.model_copy(
        update={
            "app_id": f"newswire-{name}",
            "web_port": web_port,
            "topic_articles": prefix + base.topic_articles,
            "topic_entities": prefix + base.topic_entities,
            "topic_quotes": prefix + base.topic_quotes,
            "topic_stances": prefix + base.topic_stances,
            "topic_country_mentions": prefix + base.topic_country_mentions,
            "topic_dlq": prefix + base.topic_dlq,
            **extra,
        }
    )


def publish_articles(settings: Settings, articles: list[dict]) -> int:
    ensure_topics(settings)
    kafka_producer = producer(settings, max_request_size=16 << 20)
    records = ((a["id"].encode("utf-8"), json.dumps(a, ensure_ascii=False).encode("utf-8")) for a in articles)
    sent = send_all(kafka_producer, settings.topic_articles, records, timeout=60)
    kafka_producer.close()
    return len(sent)


def processed(settings: Settings) -> int:
    """Articles whose offsets the worker group has committed (sum over partitions)."""
    from kafka import TopicPartition

    from streams.kafka.clients import consumer

    reader = consumer(settings, group_id=settings.app_id, enable_auto_commit=False)
    try:
        parts = [
            TopicPartition(settings.topic_articles, p)
            for p in sorted(reader.partitions_for_topic(settings.topic_articles) or [])
        ]
        return sum(reader.committed(tp) or 0 for tp in parts)
    finally:
        reader.close()


def wait_processed_at_least(settings: Settings, count: int, timeout: float = 180) -> int:
    return wait_until(
        lambda: done if (done := processed(settings)) >= count else None,
        timeout,
        lambda: TimeoutError(f"fewer than {count} articles processed within {timeout:.0f} s"),
        every=0.3,
    )


def wait_all_processed(settings: Settings, timeout: float = 300) -> None:
    wait_until_processed(settings, timeout, tolerate=(Exception,))  # the broker may be restarting


def _read_committed(settings: Settings, topics: list[str], decode, timeout: float = 120, **overrides) -> list:
    """`decode(record)` of every committed record of `topics` (read_committed).

    Waits until no transaction is open on them (a committed transaction's markers may still be on their
    way), then reads each partition up to its end.
    """
    from kafka import TopicPartition

    from streams.kafka.clients import consumer

    reader = consumer(settings, enable_auto_commit=False, isolation_level="read_committed", **overrides)
    everything = consumer(settings, enable_auto_commit=False)  # read_uncommitted: the high watermarks
    try:
        parts = [TopicPartition(topic, p) for topic in topics for p in sorted(reader.partitions_for_topic(topic) or [])]
        deadline = time.monotonic() + timeout
        while (ends := reader.end_offsets(parts)) != (high := everything.end_offsets(parts)):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    "transactions still open after {:.0f} s on {}".format(
                        timeout,
                        sorted(
                            f"{tp.topic}[{tp.partition}] {ends[tp]}<{high[tp]}" for tp in parts if ends[tp] != high[tp]
                        ),
                    )
                )
            time.sleep(0.5)
        found = read_to_end(
            reader,
            ends,
            deadline,
            lambda: TimeoutError(f"could not read {', '.join(topics)} to their end within {timeout:.0f} s"),
            timeout_ms=500,
            max_records=2000,
        )
        return [decode(record) for _, record in found]
    finally:
        reader.close()
        everything.close()


def committed_events(settings: Settings) -> dict[str, list]:
    """Output topic -> every committed record, as `newswire tail` decodes them."""
    found: dict[str, list] = {topic: [] for topic in settings.output_topics}
    for record in _read_committed(settings, settings.output_topics, decode_record):
        found[record["topic"]].append(record)
    return found


def event_id_counts(events: dict[str, list]) -> Counter:
    return Counter(r["value"]["event_id"] for records in events.values() for r in records)


def expected_country_totals(events: dict[str, list]) -> dict[str, int]:
    """What the all-time table must hold: each committed country-mention event counted once."""
    totals: Counter = Counter()
    seen = set()
    for record in events[settings_topic_country(events)]:
        if record["value"]["event_id"] in seen:
            continue
        seen.add(record["value"]["event_id"])
        totals[record["key"]] += record["value"]["count"]
    return dict(totals)


def settings_topic_country(events: dict[str, list]) -> str:
    return next(topic for topic in events if "country-mentions" in topic)  # versioned: news.country-mentions.V


def table_totals(settings: Settings) -> dict[str, int] | None:
    """The all-time country table as a worker serves it, or None while it is not answering."""
    url = f"http://{settings.web_host}:{settings.web_port}/countries?window=all&limit=0"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            answer = json.loads(response.read())
    except (OSError, urllib.error.HTTPError, ValueError):
        return None
    return {row["country"]: row["mentions"] for row in answer["countries"]}


def wait_tables(settings: Settings, expected: dict[str, int], timeout: float = 120) -> dict[str, int] | None:
    """Until the served all-time table equals `expected` (or the timeout); returns the last answer."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = table_totals(settings)
        if last == expected:
            return last
        time.sleep(1)
    return last


def dead_letters(settings: Settings) -> list[dict]:
    """The committed dead letters, values left as bytes (a hostile value may not even parse as JSON)."""

    def decode(record) -> dict:
        return {
            "key": record.key.decode("utf-8", "replace") if record.key is not None else None,
            "value": record.value,
            "offset": record.offset,
            "headers": {k: v.decode("utf-8", "replace") for k, v in record.headers or []},
        }

    room = settings.max_article_bytes + (2 << 20)  # records up to the size limit, and a little over it
    return _read_committed(settings, [settings.topic_dlq], decode, max_partition_fetch_bytes=room, fetch_max_bytes=room)
