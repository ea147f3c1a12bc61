"""Hostile input on a real broker: each record lands in the DLQ with its reason or is processed within limits,
and the worker keeps going (the good article sent last is analysed, the worker stays up, memory bounded).

Records up to the 10 MB limit (and just over it) must pass the broker: the session's takes them (tests/conftest.py).
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from streams.settings import Settings
from streams.tools.faults import committed_events, dead_letters, scenario, wait_all_processed
from streams.tools.worker import WorkerProcess
from tests.support import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.slow]  # 10 MB records, the slowest article allowed

LIMIT = 10 * 1024 * 1024
MAX_CHARS = Settings().max_text_chars
FIXTURE = Path(__file__).parents[1] / "fixtures" / "bench" / "articles.jsonl"


def _longest_allowed_text() -> str:
    """Real news prose, repeated up to the character limit: the slowest article a worker accepts."""
    texts = [json.loads(line)["text"] for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
    text = ""
    while len(text) < MAX_CHARS:
        text += "\n\n".join(texts) + "\n\n"
    return text[: MAX_CHARS - 100].rsplit(" ", 1)[0]


def _article(article_id: str, text: str) -> bytes:
    return json.dumps({"id": article_id, "text": text}, ensure_ascii=False).encode("utf-8")


# key -> (value, expected DLQ reason or None when it must be processed)
HOSTILE: dict[str, tuple[bytes | None, str | None]] = {
    "not-json": (b"{this is not json", "InvalidJSON"),
    "wrong-type": (json.dumps({"id": "wrong-type", "text": 42}).encode(), "SchemaViolation"),
    "wrong-shape": (json.dumps([1, 2, 3]).encode(), "SchemaViolation"),
    "missing-text": (json.dumps({"id": "missing-text", "title": "No body"}).encode(), "SchemaViolation"),
    "empty-text": (json.dumps({"id": "empty-text", "text": "   "}).encode(), "SchemaViolation"),
    "too-large": (_article("too-large", "a" * (LIMIT + 10)), "ArticleTooLarge"),
    "too-long": (_article("too-long", "word " * (MAX_CHARS // 5 + 1)), "ArticleTooLong"),
    "binary": (bytes(range(256)) * 4, "InvalidUTF8"),
    "invalid-utf8": (b'{"id": "invalid-utf8", "text": "caf\xe9 \xff"}', "InvalidUTF8"),
    "deeply-nested": (
        b'{"id": "deeply-nested", "text": "x", "extra": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        "InvalidJSON",
    ),
    "tombstone": (None, "EmptyMessage"),
    "key-mismatch": (_article("another-id", "The minister spoke in Paris."), "KeyMismatch"),
    "many-quotes": (_article("many-quotes", 'He said "' * 3000 + "and left for Berlin."), None),
    "longest-allowed": (_article("longest-allowed", _longest_allowed_text()), None),
    "non-english": (
        _article(
            "non-english",
            "Президент России встретился в Москве с министром. El presidente habló en Madrid. 北京今天下雨。",
        ),
        None,
    ),
}
GOOD = ("good-last", _article("good-last", "The French president met the German chancellor in Paris on Monday."))


@pytest.fixture(scope="module")
def hostile_run(kafka, kafka_settings):
    from streams.kafka.clients import ensure_topics, producer

    # A short session timeout: were the slowest article to stall the consumer's heartbeats, the worker
    # would be thrown out of its group (and lose its partitions) while analysing it.
    settings = scenario(kafka_settings, "hostile", free_port(), store="memory://", session_timeout_s=6.0)
    ensure_topics(settings)
    with WorkerProcess(settings) as worker:
        kafka_producer = producer(settings, max_request_size=LIMIT + (2 << 20))
        for key, (value, _) in [*HOSTILE.items(), (GOOD[0], (GOOD[1], None))]:
            kafka_producer.send(settings.topic_articles, key=key.encode(), value=value).get(timeout=60)
        kafka_producer.close()
        wait_all_processed(settings, timeout=240)
        alive = worker.process.poll() is None
        revoked = _metric(worker, "newswire_partitions_revoked_total")
        rss_kb = _rss_kb(worker.process.pid)
        dead = {r["key"]: r for r in dead_letters(settings)}
        events = committed_events(settings)
    return {
        "alive": alive,
        "rss_kb": rss_kb,
        "dead": dead,
        "revoked": revoked,
        "articles": {r["value"]["article_id"] for records in events.values() for r in records},
    }


def _metric(worker: WorkerProcess, name: str) -> float:
    with urllib.request.urlopen(worker.metrics_url, timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(f"{name} "):
                return float(line.split()[1])
    raise AssertionError(f"{name} is not on {worker.metrics_url}")


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@pytest.mark.parametrize("key", [k for k, (_, reason) in HOSTILE.items() if reason])
def test_rejected_input_lands_in_the_dlq_with_its_reason(hostile_run, key):
    record = hostile_run["dead"].get(key)
    assert record is not None, f"{key} is not in the DLQ"
    headers = record["headers"]
    assert headers["__connect.errors.exception.class.name"] == HOSTILE[key][1]
    assert headers["__connect.errors.exception.message"].strip()
    assert headers["__connect.errors.offset"].isdigit()


@pytest.mark.parametrize("key", [k for k, (_, reason) in HOSTILE.items() if reason is None])
def test_odd_but_valid_input_is_processed(hostile_run, key):
    assert key in hostile_run["articles"] or key in hostile_run["dead"], (
        f"{key} was neither processed nor dead-lettered"
    )
    assert key not in hostile_run["dead"], hostile_run["dead"].get(key, {}).get("headers")


def test_the_worker_keeps_going_within_bounded_memory(hostile_run):
    print(f"worker RSS after the hostile input: {hostile_run['rss_kb'] // 1024} MiB")
    assert hostile_run["alive"]
    assert GOOD[0] in hostile_run["articles"]
    assert hostile_run["rss_kb"] < 2 * 1024 * 1024  # 2 GiB: the model, one batch, the 10 MB records


def test_the_slowest_allowed_article_keeps_the_worker_in_its_group(hostile_run):
    """Liveness: the NLP runs off the event loop, so heart-beats go on while the longest article is analysed."""
    assert "longest-allowed" in hostile_run["articles"]
    assert hostile_run["revoked"] == 0, "the worker lost its partitions while analysing the longest article"
