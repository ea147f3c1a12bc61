"""Integration: the real broker, a real worker process, the seed article end to end."""

from __future__ import annotations

import json
import time
import urllib.request
from collections import Counter, defaultdict

import pytest

from streams.clients import ensure_topics, producer, wait_until_processed
from streams.contracts import first_error
from streams.nlp import analyze_article
from streams.publisher import publish, read_articles
from streams.subscriber import tail
from streams.worker import WorkerProcess
from tests.support import SEED, free_port

pytestmark = pytest.mark.kafka

KINDS = {"news.entities": "entity", "news.quotes": "quote", "news.stances": "stance",
         "news.country-mentions": "country-mention"}


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
    assert {"Maria Zakharova", "Nicolas Maduro", "Juan Guaido", "Donald Trump", "Mike Pompeo",
            "Sergey Lavrov", "Dmitry Peskov"} <= persons
    speakers = Counter(r["value"]["speaker"] for r in events["quote"])
    assert speakers["Maria Zakharova"] >= 2 and speakers["Donald Trump"] >= 2
    assert {(r["value"]["actor"], r["value"]["polarity"], r["value"]["target"]) for r in events["stance"]} >= {
        ("Russia", "support", "Nicolas Maduro"), ("Donald Trump", "oppose", "Russia")}

    counts = {r["key"]: r["value"]["count"] for r in events["country-mention"]}
    assert {"VE", "RU", "US"} <= set(counts)
    # The worker runs the same extraction as `newswire analyze`.
    assert counts == analyze_article(articles[0], nlp)["countries"]


def test_malformed_input_is_dead_lettered_and_the_next_article_processed(worker_settings):
    good = {"id": "good-after-bad", "title": "Talks in Paris",
            "text": "The French president met the German chancellor in Paris on Monday."}
    _send(worker_settings, [
        (b"bad-json", b"{not json"),
        (b"bad-shape", json.dumps({"id": "bad-shape", "text": 42}).encode()),
        (b"bad-utf8", b"\xff\xfe\x00garbage"),
        (b"good-after-bad", json.dumps(good).encode()),
    ])
    wait_until_processed(worker_settings, timeout=90)

    dead = {r["key"]: r for r in tail(worker_settings, [worker_settings.topic_dlq], from_beginning=True,
                                      idle_timeout=2)}
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
    untidy = {"id": "bad-metadata", "title": {"en": "Talks"}, "text": text, "published_at": "yesterday",
              "source": 7}
    _send(worker_settings, [(b"naive-time", json.dumps(naive).encode()),
                            (b"bad-metadata", json.dumps(untidy).encode())])
    wait_until_processed(worker_settings, timeout=90)

    events = _events_by_article(worker_settings)
    for article_id, published_at, assumed, dropped in [
            ("naive-time", "2024-04-24T06:05:00Z", {"timezone": "UTC"}, None),
            ("bad-metadata", None, None, {"title": "wrong_type", "published_at": "unreadable", "source": "wrong_type"})]:
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
    expected = {'newswire_metadata_normalised_total{field="published_at",reason="naive_time"}': 1.0,
                'newswire_metadata_dropped_total{field="published_at",reason="unreadable"}': 1.0,
                'newswire_metadata_dropped_total{field="title",reason="wrong_type"}': 1.0,
                'newswire_metadata_dropped_total{field="source",reason="wrong_type"}': 1.0,
                'newswire_metadata_dropped_total{field="url",reason="wrong_type"}': 0.0}
    deadline = time.monotonic() + 10
    while {s: _metric(worker_settings, s) for s in expected} != expected and time.monotonic() < deadline:
        time.sleep(0.5)
    assert {s: _metric(worker_settings, s) for s in expected} == expected
