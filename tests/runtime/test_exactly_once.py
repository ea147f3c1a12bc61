"""Fault tests on the real broker: each run against a clean run of the same input.

The input is 300 distinct articles (the BBC corpus when /work/shared is present, else variants of the
shipped fixture) followed by 10 re-publications of earlier articles (same id, same record). In every
faulty run the committed events (read `read_committed`, as a subscriber reads them) have the same ids as
the clean run's, none twice, and the country tables equal the clean run's.
"""

from __future__ import annotations

import shutil
import time

import pytest

from streams.tools.faults import (
    corpus,
    publish_articles,
    scenario,
    wait_all_processed,
    wait_processed_at_least,
)
from streams.tools.worker import WorkerProcess
from tests.support import free_port
from tests.support.exactly_once import check as _check
from tests.support.exactly_once import metric as _metric
from tests.support.exactly_once import outcome as _outcome
from tests.support.exactly_once import table_agent_uncommitted as _table_agent_uncommitted

pytestmark = [pytest.mark.kafka, pytest.mark.slow]  # workers killed and restarted, a broker bounced

ARTICLES = corpus(300)
REPUBLISHED = ARTICLES[:10]
INPUT = ARTICLES + REPUBLISHED


def _scenario(kafka_settings, name: str):
    # A short session timeout: a killed worker's partitions move on within seconds, not a minute. The tables
    # on RocksDB, as deployed: a restarted worker's store may hold updates its changelog does not.
    return scenario(kafka_settings, name, free_port(), session_timeout_s=10.0, store="rocksdb://")


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
