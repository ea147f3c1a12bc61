"""Integration: the real broker, a real worker process, the seed article end to end."""

from __future__ import annotations

import json
import time
import urllib.request
from collections import Counter, defaultdict

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat
from kafka import TopicPartition

from streams.domain.contracts import first_error
from streams.kafka.clients import consumer, ensure_topics, producer, wait_until_processed
from streams.kafka.publisher import publish, read_articles
from streams.kafka.subscriber import tail
from streams.nlp import analyze_article
from streams.tools.worker import WorkerProcess
from tests.support import SEED, free_port

pytestmark = pytest.mark.kafka

KINDS = {
    "news.entities": "entity",
    "news.quotes": "quote",
    "news.stances": "stance",
    "news.country-mentions": "country-mention",
}


@pytest.fixture(scope="module")
def worker_settings(kafka, kafka_settings):
    settings = kafka_settings.model_copy(update={"app_id": "newswire-it", "web_port": free_port()})
    ensure_topics(settings)
    with WorkerProcess(settings) as worker:
        yield settings
    assert worker.process.returncode == 0 or worker.process.returncode == -15, worker.log_tail()


def _send(settings, records: list[tuple[bytes | None, bytes]]) -> None:
    kafka_producer = producer(settings)
    for key, value in records:
        kafka_producer.send(settings.topic_articles, key=key, value=value).get(timeout=30)
    kafka_producer.close()


def _events_by_article(settings) -> dict[str, dict[str, list[dict]]]:
    found: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for record in tail(settings, list(KINDS), from_beginning=True, idle_timeout=2):
        found[record["value"]["article_id"]][KINDS[record["topic"]]].append(record)
    return found


def test_seed_article_events_on_every_topic(worker_settings, nlp):
    articles = list(read_articles([str(SEED)]))
    kafka_producer = producer(worker_settings)
    assert publish(kafka_producer, worker_settings.topic_articles, articles, progress=False) == (1, 1)
    kafka_producer.close()
    wait_until_processed(worker_settings, timeout=90)

    events = _events_by_article(worker_settings)[articles[0]["id"]]
    for kind, records in events.items():
        for record in records:
            assert first_error(kind, record["value"]) is None, (kind, first_error(kind, record["value"]))
    all_ids = [r["value"]["event_id"] for records in events.values() for r in records]
    assert len(all_ids) == len(set(all_ids)), "event ids must be unique"

    persons = {r["value"]["canonical"] for r in events["entity"] if r["value"]["label"] == "PERSON"}
    assert {
        "Maria Zakharova",
        "Nicolas Maduro",
        "Juan Guaido",
        "Donald Trump",
        "Mike Pompeo",
        "Sergey Lavrov",
        "Dmitry Peskov",
    } <= persons
    speakers = Counter(r["value"]["speaker"] for r in events["quote"])
    assert speakers["Maria Zakharova"] >= 2 and speakers["Donald Trump"] >= 2
    assert {(r["value"]["actor"], r["value"]["polarity"], r["value"]["target"]) for r in events["stance"]} >= {
        ("Russia", "support", "Nicolas Maduro"),
        ("Donald Trump", "oppose", "Russia"),
    }

    counts = {r["key"]: r["value"]["count"] for r in events["country-mention"]}
    assert {"VE", "RU", "US"} <= set(counts)
    # The worker runs the same extraction as `newswire analyze`.
    assert counts == analyze_article(articles[0], nlp)["countries"]


def test_malformed_input_is_dead_lettered_and_the_next_article_processed(worker_settings):
    good = {
        "id": "good-after-bad",
        "title": "Talks in Paris",
        "text": "The French president met the German chancellor in Paris on Monday.",
    }
    _send(
        worker_settings,
        [
            (b"bad-json", b"{not json"),
            (b"bad-shape", json.dumps({"id": "bad-shape", "text": 42}).encode()),
            (b"bad-utf8", b"\xff\xfe\x00garbage"),
            (b"good-after-bad", json.dumps(good).encode()),
        ],
    )
    wait_until_processed(worker_settings, timeout=90)

    dead = {
        r["key"]: r for r in tail(worker_settings, [worker_settings.topic_dlq], from_beginning=True, idle_timeout=2)
    }
    assert set(dead) >= {"bad-json", "bad-shape", "bad-utf8"}
    assert dead["bad-json"]["value"] == "{not json"  # the original bytes, untouched
    reasons = {key: dead[key]["headers"]["__connect.errors.exception.class.name"] for key in dead}
    assert reasons["bad-json"] == "InvalidJSON"
    assert reasons["bad-shape"] == "SchemaViolation"
    assert reasons["bad-utf8"] == "InvalidUTF8"
    for record in dead.values():
        assert first_error("dead-letter", record["headers"]) is None
        assert record["headers"]["__connect.errors.topic"] == worker_settings.topic_articles
        assert "text" in dead["bad-shape"]["headers"]["__connect.errors.exception.message"]

    countries = {r["key"] for r in _events_by_article(worker_settings)["good-after-bad"]["country-mention"]}
    assert {"FR", "DE"} <= countries


def _metric(settings, sample: str) -> float:
    body = urllib.request.urlopen(f"http://127.0.0.1:{settings.web_port}/metrics", timeout=10).read().decode()
    for line in body.splitlines():
        if line.startswith(sample + " "):
            return float(line.split()[1])
    raise AssertionError(f"{sample} is not on the worker's /metrics")


def test_untidy_metadata_is_normalised_or_dropped_and_the_article_analysed(worker_settings):
    text = "The French president met the German chancellor in Paris on Monday."
    naive = {"id": "naive-time", "title": "Talks", "text": text, "published_at": "2024-04-24T06:05:00"}
    untidy = {"id": "bad-metadata", "title": {"en": "Talks"}, "text": text, "published_at": "yesterday", "source": 7}
    _send(
        worker_settings, [(b"naive-time", json.dumps(naive).encode()), (b"bad-metadata", json.dumps(untidy).encode())]
    )
    wait_until_processed(worker_settings, timeout=90)

    events = _events_by_article(worker_settings)
    for article_id, published_at, assumed, dropped in [
        ("naive-time", "2024-04-24T06:05:00Z", {"timezone": "UTC"}, None),
        ("bad-metadata", None, None, {"title": "wrong_type", "published_at": "unreadable", "source": "wrong_type"}),
    ]:
        assert {"FR", "DE"} <= {r["key"] for r in events[article_id]["country-mention"]}, article_id
        for kind, records in events[article_id].items():
            for record in records:
                value = record["value"]
                assert first_error(kind, value) is None, (kind, first_error(kind, value))
                assert value["published_at"] == published_at
                assert value.get("published_at_assumed") == assumed and value.get("metadata_dropped") == dropped
    dead = {r["key"] for r in tail(worker_settings, [worker_settings.topic_dlq], from_beginning=True, idle_timeout=2)}
    assert not dead & {"naive-time", "bad-metadata"}

    # Counted once committed: give the worker a moment past the commit.
    expected = {
        'newswire_metadata_normalised_total{field="published_at",reason="naive_time"}': 1.0,
        'newswire_metadata_dropped_total{field="published_at",reason="unreadable"}': 1.0,
        'newswire_metadata_dropped_total{field="title",reason="wrong_type"}': 1.0,
        'newswire_metadata_dropped_total{field="source",reason="wrong_type"}': 1.0,
        'newswire_metadata_dropped_total{field="url",reason="wrong_type"}': 0.0,
    }
    deadline = time.monotonic() + 10
    while {s: _metric(worker_settings, s) for s in expected} != expected and time.monotonic() < deadline:
        time.sleep(0.5)
    assert {s: _metric(worker_settings, s) for s in expected} == expected


def _raw_records(settings, topics: list[str]) -> list:
    """Every committed record of `topics`, as kafka-python hands it to a subscriber."""
    reader = consumer(settings, enable_auto_commit=False, isolation_level="read_committed")
    try:
        partitions = [TopicPartition(t, p) for t in topics for p in sorted(reader.partitions_for_topic(t))]
        reader.assign(partitions)
        reader.seek_to_beginning(*partitions)
        end = reader.end_offsets(partitions)
        records = []
        for _ in range(300):  # 60 s at most
            if all(reader.position(tp) >= end[tp] for tp in partitions):
                return records
            for batch in reader.poll(timeout_ms=200).values():
                records.extend(batch)
        raise TimeoutError(f"could not read {topics} to their end within 60 s")
    finally:
        reader.close()


def test_event_records_are_cloudevents_in_binary_mode(worker_settings):
    dated = {
        "id": "ce-dated",
        "title": "Talks in Rome",
        "published_at": "2024-03-05T10:15:00+01:00",
        "text": 'Italian and Spanish ministers met in Rome. "We agree," said Maria Rossi.',
    }
    undated = {"id": "ce-undated", "text": "Protests spread across Chile and Peru on Tuesday."}
    _send(worker_settings, [(a["id"].encode(), json.dumps(a).encode()) for a in (dated, undated)])
    wait_until_processed(worker_settings, timeout=90)

    seen = defaultdict(set)
    for record in _raw_records(worker_settings, list(KINDS)):
        data = json.loads(record.value)
        if data["article_id"] not in ("ce-dated", "ce-undated"):
            continue
        message = KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
        event = from_binary(message, JSONFormat())
        kind = KINDS[record.topic]
        assert event.get_data() == data
        assert event.get_id() == data["event_id"]
        assert event.get_source() == f"urn:newswire-streams:{worker_settings.app_id}"
        assert event.get_type() == f"dev.newswire-streams.{kind}.v1"
        assert event.get_subject() == data["article_id"]
        assert event.get_datacontenttype() == "application/json"
        assert event.get_dataschema() == f"https://newswire-streams.dev/schemas/{kind}.schema.json"
        if data["article_id"] == "ce-dated":
            assert event.get_time().isoformat() == "2024-03-05T09:15:00+00:00"
        else:  # the article record's timestamp, which the event record carries too
            assert event.get_time().timestamp() * 1000 == pytest.approx(record.timestamp, abs=0.5)
        seen[data["article_id"]].add(kind)
    assert seen["ce-dated"] >= {"entity", "country-mention"} and seen["ce-undated"] >= {"entity", "country-mention"}
