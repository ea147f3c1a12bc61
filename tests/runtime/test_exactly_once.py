"""Fault tests on the real broker: each run against what a clean run of the same input commits.

The input is 150 distinct articles (the BBC corpus when /work/shared is present, else variants of the
shipped fixture) followed by 10 re-publications of earlier articles (same id, same record). In every
faulty run the committed events (read `read_committed`, as a subscriber reads them) have the same ids as
the clean run's, none twice, and the country tables equal the clean run's. The clean run is computed in
this process (tests/support/reference.py: the worker's steps without Kafka; event ids are deterministic).
The worker's own counts of analysed and re-published articles are checked after the kill -9.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter

import pytest

from streams.tools.faults import (
    corpus,
    processed,
    publish_articles,
    scenario,
    wait_all_processed,
    wait_processed_at_least,
)
from streams.tools.worker import WorkerProcess
from tests.support import free_port
from tests.support.exactly_once import check, metric, outcome, stall_report, table_agent_uncommitted
from tests.support.reference import clean_run, country_totals

# Workers killed and restarted, a broker bounced. The timeout leaves room for a run's own deadlines (which report).
pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(420)]

ARTICLES = corpus(150)
REPUBLISHED = ARTICLES[:10]
INPUT = ARTICLES + REPUBLISHED


def _scenario(kafka_settings, name: str):
    # A short session timeout: a killed worker's partitions move on within seconds, not a minute; likewise
    # records Faust dropped at the rebalance are read back from Kafka within seconds. The tables on RocksDB, as
    # deployed: a restarted worker's store may hold updates its changelog does not.
    return scenario(kafka_settings, name, free_port(), session_timeout_s=10.0, stall_after_s=10.0, store="rocksdb://")


def _settled(read, timeout: float = 30) -> int:
    """`read()` once two answers a second apart agree."""
    deadline, last = time.monotonic() + timeout, read()
    while time.monotonic() < deadline:
        time.sleep(1)
        if (now := read()) == last:
            return now
        last = now
    raise AssertionError(f"still moving after {timeout:.0f} s: {last}")


@pytest.fixture(scope="module")
def clean(kafka_settings, nlp):
    """What a clean run of INPUT commits: each article analysed once, the re-publications nothing (no broker:
    the faulty runs ask for `kafka` themselves)."""
    reference = clean_run(_scenario(kafka_settings, "eo-clean"), INPUT, nlp)
    tables = country_totals(reference["events"])
    return {
        "ids": Counter(reference["events"]),
        "expected": tables,
        "tables": tables,
        "events": reference["events"],
        "outcomes": reference["outcomes"],
    }


def test_clean_run_counts_each_republished_article_as_a_duplicate(clean):
    print(f"clean: {len(clean['ids'])} events, {len(clean['tables'])} countries, {dict(clean['outcomes'])}")
    assert clean["outcomes"] == {"ok": len(ARTICLES), "duplicate": len(REPUBLISHED)}
    assert len(clean["ids"]) > len(ARTICLES)


def _faulty_run(clean: dict, kafka_settings, name: str, fault, workers: int = 1) -> None:
    """Publish INPUT, inject `fault(settings, workers)` after 40 committed articles, check against `clean`.

    `fault` may return what the first worker's `newswire_articles_processed_total` must then say per outcome.
    """
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
        counted = fault(settings, started)
        try:
            # Well inside the test's own timeout: a stalled run says why in the test report.
            wait_all_processed(settings, timeout=200)
        except TimeoutError:
            print(stall_report(settings, started))
            raise
        check(outcome(settings), clean, name)
        for label, expected in (counted or {}).items():
            found = metric(started[0], "newswire_articles_processed_total", f'outcome="{label}"')
            print(f"{name}: the worker counted {found:g} articles {label}, expected {expected}")
            assert found == expected, (label, found, expected)
        # Faust's own commits of the table agent's input keep up too (a restart does not replay much).
        assert table_agent_uncommitted(settings, started) == 0
    finally:
        for worker in reversed(started):
            worker.stop()


def test_kill_9_mid_stream_and_restart(clean, kafka, kafka_settings):
    def kill_9(settings, workers):
        workers[0].kill()
        # What the killed worker committed: a transaction it had asked to commit may still be completing.
        committed = _settled(lambda: processed(settings))
        workers[0].start()
        # The restarted worker analyses the rest; the re-publications, published last, are all still ahead
        # and recognised from the seen state it read back from Kafka.
        return {"ok": len(ARTICLES) - committed, "duplicate": len(REPUBLISHED)}

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


def test_two_workers_one_killed_rebalance(clean, kafka, kafka_settings):
    def kill_one(settings, workers):
        workers[1].kill()

    _faulty_run(clean, kafka_settings, "eo-rebalance", kill_one, workers=2)


def test_restart_after_the_local_table_store_is_deleted(clean, kafka, kafka_settings):
    def delete_store(settings, workers):
        workers[0].stop()
        store = settings.data_dir / f"worker-{settings.web_port}"
        shutil.rmtree(store)
        print(f"{store} deleted")
        workers[0].start()

    _faulty_run(clean, kafka_settings, "eo-store", delete_store)
