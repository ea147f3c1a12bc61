"""`newswire reprocess` on the real broker, run as a user runs it (a subprocess), beside a live worker.

Articles are published in two rounds a moment apart; the live worker analyses both. A reprocess from the
time between the rounds into a new version must then hold exactly the events a clean run of that version
computes for the second round (each event id once, read_committed), build that version's tables from
them, and leave the live version's events and tables as they were.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streams.domain.events import events_for
from streams.domain.jsonl import read_jsonl
from streams.nlp import analyze_article
from streams.tools.faults import (
    committed_events,
    corpus,
    event_id_counts,
    expected_country_totals,
    processed,
    publish_articles,
    scenario,
    table_totals,
    wait_all_processed,
    wait_tables,
)
from streams.tools.reprocess import parse_moment, versioned
from streams.tools.worker import WorkerProcess
from tests.support import FIXTURES, free_port

ROOT = Path(__file__).resolve().parents[2]
WIRE = [record for _, record in read_jsonl(FIXTURES / "wire" / "articles.jsonl")]
BENCH = [record for _, record in read_jsonl(FIXTURES / "bench" / "articles.jsonl")]
ROUND_1 = WIRE[:3]
ROUND_2 = WIRE[3:] + BENCH[:4]


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def newswire(settings, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        env=os.environ | settings.as_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def clean_run(articles: list[dict], nlp, version: str) -> Counter:
    """The event ids a clean run of `version` commits for `articles`: each once."""
    return Counter(
        event.value["event_id"]
        for article in articles
        for event in events_for(
            analyze_article(article, nlp) | {"extractor_version": version}, published_at=article.get("published_at")
        )
    )


def clean_countries(articles: list[dict], nlp) -> dict[str, int]:
    totals: Counter = Counter()
    for article in articles:
        totals.update(analyze_article(article, nlp)["countries"])
    return dict(totals)


def _live_outcome(settings) -> dict:
    events = committed_events(settings)
    return {"ids": event_id_counts(events), "tables": wait_tables(settings, expected_country_totals(events))}


@pytest.fixture(scope="module")
def live(kafka, kafka_settings):
    """A live worker that has analysed both rounds; `cut` is a time between them."""
    settings = scenario(kafka_settings, "rp-live", free_port())
    publish_articles(settings, ROUND_1)
    time.sleep(1.0)
    cut = time.time()
    time.sleep(1.0)
    publish_articles(settings, ROUND_2)
    with WorkerProcess(settings) as worker:
        wait_all_processed(settings)
        before = _live_outcome(settings)
        assert before["tables"] and sum(before["ids"].values()) > 0, worker.log_tail()
        yield {"settings": settings, "cut": cut, "before": before}


@pytest.mark.kafka
def test_refuses_to_reprocess_into_the_live_version(live):
    result = newswire(live["settings"], "reprocess", "--since", "all")
    assert result.returncode == 2, result.stderr
    assert "already holds extractor version" in result.stderr and "--extractor-version" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.kafka
def test_bad_times_are_refused_clearly(live):
    result = newswire(live["settings"], "reprocess", "--since", "last tuesday", "--extractor-version", "x-1")
    assert result.returncode == 2 and "ISO 8601" in result.stderr and "Traceback" not in result.stderr
    assert abs(parse_moment("24h", now=1000.0 + 86400) - 1000.0) < 1e-6
    assert parse_moment("2019-01-25T12:00:00Z") == parse_moment("2019-01-25T12:00:00+00:00")


@pytest.fixture(scope="module")
def reprocessed(live):
    settings = live["settings"]
    result = newswire(settings, "reprocess", "--since", _iso(live["cut"]), "--extractor-version", "test-2")
    assert result.returncode == 0, result.stderr
    return {"run": versioned(settings, "test-2"), "stderr": result.stderr}


@pytest.mark.kafka
def test_new_version_events_exactly_once_and_only_since(live, reprocessed, nlp):
    print(reprocessed["stderr"][-1500:])
    assert "caught up" in reprocessed["stderr"] and "NEWSWIRE_APP_ID=newswire-rp-live-test-2" in reprocessed["stderr"]
    events = committed_events(reprocessed["run"])
    ids = event_id_counts(events)
    assert not {event_id for event_id, n in ids.items() if n > 1}, "an event id committed twice"
    values = [record["value"] for records in events.values() for record in records]
    assert {value["extractor_version"] for value in values} == {"test-2"}
    # --since: the first round's articles (published before the cut) are not reprocessed
    assert {value["article_id"] for value in values} == {article["id"] for article in ROUND_2}
    assert ids == clean_run(ROUND_2, nlp, "test-2")
    # event ids differ by version: none of the live ones
    assert not set(ids) & set(live["before"]["ids"])


@pytest.mark.kafka
def test_new_version_tables_equal_a_clean_run(live, reprocessed, nlp):
    expected = clean_countries(ROUND_2, nlp)
    assert expected == expected_country_totals(committed_events(reprocessed["run"]))
    result = newswire(live["settings"], "countries", "--version", "test-2", "--limit", "0", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert {row["country"]: row["mentions"] for row in answer["countries"]} == expected
    assert answer["extractor_version"] == "test-2" and answer["total_mentions"] == sum(expected.values())
    # The day's window holds the same (the articles have no published_at: their records' times, today).
    day = newswire(live["settings"], "countries", "--version", "test-2", "--window", "1d", "--limit", "0", "--json")
    assert {row["country"]: row["mentions"] for row in json.loads(day.stdout)["countries"]} == expected
    one = newswire(live["settings"], "countries", "FR", "--version", "test-2", "--json")
    assert json.loads(one.stdout)["mentions"] == expected.get("FR", 0)


@pytest.mark.kafka
def test_live_version_untouched(live, reprocessed):
    settings = live["settings"]
    after = _live_outcome(settings)
    assert after["ids"] == live["before"]["ids"]
    assert table_totals(settings) == live["before"]["tables"]


@pytest.mark.kafka
def test_a_rerun_of_a_finished_reprocess_does_nothing(reprocessed, live):
    run = reprocessed["run"]
    before = event_id_counts(committed_events(run))
    result = newswire(live["settings"], "reprocess", "--since", "all", "--extractor-version", "test-2")
    assert result.returncode == 0, result.stderr
    assert "nothing to do" in result.stderr  # resumed at its committed offsets: --since all does not restart it
    assert event_id_counts(committed_events(run)) == before


@pytest.mark.kafka
def test_until_stops_before_later_articles(live, nlp):
    settings = live["settings"]
    result = newswire(
        settings, "reprocess", "--since", "all", "--until", _iso(live["cut"]), "--extractor-version", "test-3"
    )
    assert result.returncode == 0, result.stderr
    ids = event_id_counts(committed_events(versioned(settings, "test-3")))
    assert ids == clean_run(ROUND_1, nlp, "test-3")


@pytest.mark.kafka
def test_unknown_version_tables_are_a_clear_error(live):
    result = newswire(live["settings"], "countries", "--version", "never-built")
    assert result.returncode == 2 and "newswire reprocess" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.kafka
def test_kill_9_mid_reprocess_and_rerun_is_exactly_once(kafka, kafka_settings, nlp):
    settings = scenario(kafka_settings, "rp-kill", free_port())
    articles = corpus(60)
    publish_articles(settings, articles)
    run = versioned(settings, "kill-2")
    command = [sys.executable, "-m", "streams.cli", "reprocess", "--since", "all", "--extractor-version", "kill-2"]
    log = settings.data_dir / "logs" / "rp-kill-first.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        first = subprocess.Popen(
            command,
            env=os.environ | settings.as_env(),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 300
        while processed(run) < 15:
            assert first.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the reprocess did not commit 15 articles in 300 s"
            time.sleep(0.3)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    done_at_kill = processed(run)
    print(f"killed after {done_at_kill} committed articles")
    assert done_at_kill < len(articles), "the kill came too late to test anything"
    second = newswire(settings, "reprocess", "--since", "all", "--extractor-version", "kill-2")
    assert second.returncode == 0, second.stderr
    assert "resuming" in second.stderr
    ids = event_id_counts(committed_events(run))
    assert not {event_id for event_id, n in ids.items() if n > 1}
    assert ids == clean_run(articles, nlp, "kill-2")


def test_a_stopping_worker_fills_holes_up_to_its_stop_and_leaves_the_rest():
    """Faust may skip records (streams.runtime.faust_compat.in_order): one past the stop proves the skipped ones
    exist."""
    import asyncio
    from types import SimpleNamespace

    from streams.runtime.faust_compat import in_order

    tp = SimpleNamespace(topic="news.articles", partition=0)

    class Kafka:
        def __init__(self):
            self.reads = []

        async def read_range(self, tp, start, end):
            self.reads.append((start, end))
            return [SimpleNamespace(offset=offset) for offset in range(start, end)]

    def offsets(*numbers):
        return [SimpleNamespace(offset=n) for n in numbers]

    kafka = Kafka()
    # 3 and 4 handed out, 5..7 skipped, 8 is past the stop (8): 5..7 read from Kafka, 8 left alone
    run = asyncio.run(in_order(tp, offsets(3, 4, 8, 9), 3, kafka.read_range, stop=8))
    assert [m.offset for m in run] == [3, 4, 5, 6, 7] and kafka.reads == [(5, 8)]
    # nothing past the stop yet: only the hole between handed-out records is read, not up to the stop
    assert [m.offset for m in asyncio.run(in_order(tp, offsets(3, 5), 3, kafka.read_range, stop=8))] == [3, 4, 5]
    # caught up: records past the stop read nothing and process nothing
    assert asyncio.run(in_order(tp, offsets(8, 9), 8, kafka.read_range, stop=8)) == []
    assert kafka.reads == [(5, 8), (4, 5)]


def test_progress_is_exported_for_the_dashboard():
    """newswire_reprocess_*: planned and start time at start, then remaining falls as processed rises."""
    from tqdm import tqdm

    from streams.runtime import metrics
    from streams.settings import Settings
    from streams.tools.reprocess import Plan, Progress

    def sample(name: str) -> float | None:
        return metrics.REGISTRY.get_sample_value(name, {"version": "unit-2"})

    run = versioned(Settings(), "unit-2")
    plan = Plan(starts={0: 10, 1: 0}, stops={0: 30, 1: 5}, resumed=True)
    metrics.reprocess_started("unit-2", plan.total, 1_700_000_000.0)
    assert sample("newswire_reprocess_planned_records") == 25 == sample("newswire_reprocess_remaining_records")
    assert sample("newswire_reprocess_start_time_seconds") == 1_700_000_000.0
    assert sample("newswire_reprocess_processed_records_total") == 0
    progress = Progress(run, plan, tqdm(total=plan.total, disable=True), on_done=lambda: None)
    for done, remaining in ((0, 25), (7, 18), (7, 18), (25, 0)):
        progress.report(done)
        assert sample("newswire_reprocess_remaining_records") == remaining
        assert sample("newswire_reprocess_processed_records_total") == done
