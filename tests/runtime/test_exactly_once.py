"""Fault tests on the real broker: each run against a clean run of the same input.

The input is 300 distinct articles (the BBC corpus when /work/shared is present, else variants of the
shipped fixture) followed by 10 re-publications of earlier articles (same id, same record). In every
faulty run the committed events (read `read_committed`, as a subscriber reads them) have the same ids as
the clean run's, none twice, and the country tables equal the clean run's.
"""

from __future__ import annotations

import shutil
import time
import urllib.request

import pytest

from streams.kafka.clients import unconsumed
from streams.tools.faults import (
    committed_events,
    corpus,
    event_id_counts,
    expected_country_totals,
    publish_articles,
    scenario,
    wait_all_processed,
    wait_processed_at_least,
    wait_tables,
)
from streams.tools.worker import WorkerProcess
from tests.support import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.slow]  # workers killed and restarted, a broker bounced

ARTICLES = corpus(300)
REPUBLISHED = ARTICLES[:10]
INPUT = ARTICLES + REPUBLISHED


def _scenario(kafka_settings, name: str):
    # A short session timeout: a killed worker's partitions move on within seconds, not a minute. The tables
    # on RocksDB, as deployed: a restarted worker's store may hold updates its changelog does not.
    return scenario(kafka_settings, name, free_port(), session_timeout_s=10.0, store="rocksdb://")


def _metric(worker: WorkerProcess, name: str, labels: str) -> float:
    with urllib.request.urlopen(worker.metrics_url, timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(f"{name}{{{labels}}} "):
                return float(line.split()[1])
    return 0.0


def _outcome(settings) -> dict:
    events = committed_events(settings)
    expected = expected_country_totals(events)
    tables = wait_tables(settings, expected)
    return {
        "ids": event_id_counts(events),
        "expected": expected,
        "tables": tables,
        "events": {r["value"]["event_id"]: (topic, r["value"]) for topic, records in events.items() for r in records},
    }


def _table_agent_uncommitted(settings, timeout: float = 30) -> int:
    """Country-mention events the table agent has not committed yet (0 once its commits caught up)."""
    deadline = time.monotonic() + timeout
    while (
        behind := unconsumed(settings, settings.app_id, settings.topic_country_mentions)
    ) and time.monotonic() < deadline:
        time.sleep(1)
    return behind


def _check(run: dict, clean: dict, name: str) -> None:
    twice = {event_id: n for event_id, n in run["ids"].items() if n > 1}
    missing = set(clean["ids"]) - set(run["ids"])
    extra = set(run["ids"]) - set(clean["ids"])
    print(
        f"{name}: {sum(run['ids'].values())} committed events, {len(run['ids'])} distinct; "
        f"missing {len(missing)}, extra {len(extra)}, duplicated {len(twice)}; "
        f"{len(run['tables'] or {})} countries, {sum((run['tables'] or {}).values())} mentions"
    )
    assert not twice, f"{len(twice)} event ids committed more than once"
    if missing or extra:
        for event_id in sorted(missing | extra):
            topic, value = (run if event_id in extra else clean)["events"][event_id]
            print(
                "missing" if event_id in missing else "extra",
                topic,
                {
                    k: value.get(k)
                    for k in ("article_id", "canonical", "text", "actor", "target", "country", "count", "start")
                },
            )
    assert not missing and not extra, (len(missing), len(extra))
    off = {
        c: (run["tables"] or {}).get(c)
        for c in set(run["expected"]) | set(run["tables"] or {})
        if (run["tables"] or {}).get(c) != run["expected"].get(c)
    }
    print(f"{name}: countries whose served count differs from the committed events: {off}")
    assert not off, "the served table is not the sum of the committed events"
    assert run["tables"] == clean["tables"]


@pytest.fixture(scope="module")
def clean(kafka, kafka_settings):
    settings = _scenario(kafka_settings, "eo-clean")
    with WorkerProcess(settings) as worker:
        publish_articles(settings, INPUT)
        wait_all_processed(settings)
        run = _outcome(settings)
        run["duplicates"] = _metric(worker, "newswire_articles_processed_total", 'outcome="duplicate"')
        run["ok"] = _metric(worker, "newswire_articles_processed_total", 'outcome="ok"')
    assert run["tables"] == run["expected"]
    return run


def test_clean_run_counts_each_republished_article_as_a_duplicate(clean):
    twice = [event_id for event_id, n in clean["ids"].items() if n > 1]
    print(
        f"clean: {len(clean['ids'])} events, {len(clean['tables'])} countries, ok={clean['ok']}, "
        f"duplicate={clean['duplicates']}"
    )
    assert not twice
    assert clean["ok"] == len(ARTICLES)
    assert clean["duplicates"] == len(REPUBLISHED)
    assert len(clean["ids"]) > len(ARTICLES)


def _faulty_run(clean: dict, kafka_settings, name: str, fault, workers: int = 1) -> None:
    """Publish INPUT, inject `fault(settings, workers)` after 40 committed articles, check against `clean`."""
    settings = _scenario(kafka_settings, name)
    started = [
        WorkerProcess(settings if i == 0 else settings.model_copy(update={"web_port": free_port()}))
        for i in range(workers)
    ]
    for worker in started:
        worker.start()
    try:
        publish_articles(settings, INPUT)
        done = wait_processed_at_least(settings, 40)
        print(f"{name}: fault after {done} committed articles")
        fault(settings, started)
        wait_all_processed(settings)
        _check(_outcome(settings), clean, name)
        # Faust's own commits of the table agent's input keep up too (a restart does not replay much).
        assert _table_agent_uncommitted(settings) == 0
    finally:
        for worker in reversed(started):
            worker.stop()


def test_kill_9_mid_stream_and_restart(clean, kafka_settings):
    def kill_9(settings, workers):
        workers[0].kill()
        workers[0].start()

    _faulty_run(clean, kafka_settings, "eo-kill", kill_9)


def test_broker_stop_and_start_mid_stream(clean, kafka, kafka_settings):
    def broker_restart(settings, workers):
        kafka.stop()
        time.sleep(3)
        kafka.start(timeout=120)
        if workers[0].process.poll() is not None:  # the worker gave up on the broker: its supervisor restarts it
            print(f"the worker exited ({workers[0].process.returncode}) while the broker was down; restarting it")
            workers[0].start()

    _faulty_run(clean, kafka_settings, "eo-broker", broker_restart)


def test_two_workers_one_killed_rebalance(clean, kafka_settings):
    def kill_one(settings, workers):
        workers[1].kill()

    _faulty_run(clean, kafka_settings, "eo-rebalance", kill_one, workers=2)


def test_restart_after_the_local_table_store_is_deleted(clean, kafka_settings):
    def delete_store(settings, workers):
        workers[0].stop()
        store = settings.data_dir / f"worker-{settings.web_port}"
        shutil.rmtree(store)
        print(f"{store} deleted")
        workers[0].start()

    _faulty_run(clean, kafka_settings, "eo-store", delete_store)
