"""Fault tests on a local three-node cluster (replication 3, min ISR 2): each run against a clean run of the same
input, as tests/runtime/test_exactly_once.py does on one broker — nothing missing, nothing extra, nothing twice,
the served tables exact.

The faults: (a) kill -9 the broker that leads most `news.articles` partitions, mid-stream; (b) kill -9 the
transaction coordinator of the worker's transactional ids; (c) a rolling restart of all three brokers during a
run; (d) one broker down for the whole run, then back and catching up. The input is small (a few dozen
articles and a few re-publications): each run takes a minute or two.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from streams.kafka.clients import ensure_topics, producer
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

pytestmark = [pytest.mark.kafka, pytest.mark.slow]  # three brokers, killed and restarted

ARTICLES = corpus(36)
REPUBLISHED = ARTICLES[:4]
INPUT = ARTICLES + REPUBLISHED
FAULT_AFTER = 8  # committed articles before the fault: mid-stream

#: the worker's transactional producers, one per input partition (streams/runtime/transactions.py)
TRANSACTIONAL_ID = "{app_id}-articles-{partition}"


def _scenario(cluster_settings, name: str):
    # As in tests/runtime/test_exactly_once.py: partitions and dropped records move on within seconds.
    return scenario(cluster_settings, name, free_port(), session_timeout_s=10.0, stall_after_s=10.0, store="rocksdb://")


def _transactional_ids(settings) -> list[str]:
    return [TRANSACTIONAL_ID.format(app_id=settings.app_id, partition=p) for p in range(settings.topic_partitions)]


@pytest.fixture(autouse=True)
def full_cluster(kafka_cluster):
    """Every test starts on all three nodes, every replica in sync (a test that failed may have left one down)."""
    for node_id in range(1, kafka_cluster.size + 1):
        if node_id not in kafka_cluster.running():
            kafka_cluster.start_node(node_id)
    kafka_cluster.wait_in_sync(timeout=180)
    return kafka_cluster


def _wait_processed(settings, workers: list[WorkerProcess], timeout: float = 300) -> int:
    """Until the group committed every article; a worker that gave up on the brokers (exited) is restarted, as
    its supervisor would. Returns how many restarts that took."""
    deadline = time.monotonic() + timeout
    restarts = 0
    while True:
        for worker in workers:
            if worker.process is not None and worker.process.poll() is not None:
                print(f"the worker exited ({worker.process.returncode}); restarting it:\n{worker.log_tail(8)}")
                worker.start()
                restarts += 1
        try:
            wait_all_processed(settings, timeout=10)
            return restarts
        except TimeoutError:
            if time.monotonic() > deadline:
                print(stall_report(settings, workers))
                raise


@pytest.fixture(scope="module")
def clean(kafka_cluster, cluster_settings):
    settings = _scenario(cluster_settings, "cl-clean")
    started = time.monotonic()
    with WorkerProcess(settings) as worker:
        publish_articles(settings, INPUT)
        wait_all_processed(settings)
        run = outcome(settings)
        run["duplicates"] = metric(worker, "newswire_articles_processed_total", 'outcome="duplicate"')
        run["ok"] = metric(worker, "newswire_articles_processed_total", 'outcome="ok"')
    print(f"clean: {len(run['ids'])} events, {len(run['tables'])} countries in {time.monotonic() - started:.0f} s")
    assert run["tables"] == run["expected"]
    run["settings"] = settings
    return run


def test_clean_run_on_the_cluster_replicates_every_topic_three_times(clean, kafka_cluster):
    assert clean["ok"] == len(ARTICLES)
    assert clean["duplicates"] == len(REPUBLISHED)
    assert not [event_id for event_id, n in clean["ids"].items() if n > 1]
    settings = clean["settings"]
    topics = kafka_cluster.describe()
    ours = {
        name: parts
        for name, parts in topics.items()
        if name.startswith(("cl-clean.", settings.app_id)) or name in ("__consumer_offsets", "__transaction_state")
    }
    # the pipeline's topics, the tables' changelogs, the seen-articles topic, Kafka's offsets and transactions
    assert {settings.topic_articles, *settings.output_topics, settings.topic_dlq} <= set(ours)
    assert any("changelog" in name for name in ours) and any(name.endswith("-articles-seen") for name in ours)
    assert {"__consumer_offsets", "__transaction_state"} <= set(ours)
    replicas = {name: {len(row["replicas"]) for row in parts.values()} for name, parts in ours.items()}
    print(f"replicas per partition: {replicas}")
    assert all(counts == {3} for counts in replicas.values()), replicas


def _faulty_run(
    clean: dict, cluster_settings, name: str, fault, before=None, after=None, chunks=1, fault_after=FAULT_AFTER
) -> dict:
    """Publish INPUT (the first of `chunks` parts; `fault` publishes the rest), call `fault(settings, workers,
    publish)` after FAULT_AFTER committed articles, wait until all are processed, call `after`, check the outcome
    against `clean`."""
    settings = _scenario(cluster_settings, name)
    worker = WorkerProcess(settings)
    parts = [INPUT[len(INPUT) * i // chunks : len(INPUT) * (i + 1) // chunks] for i in range(chunks)]
    pending = list(parts[1:])

    def publish_next(publish=publish_articles) -> None:
        if pending:
            publish(settings, pending.pop(0))

    started = time.monotonic()
    worker.start()
    try:
        if before:
            before(settings, [worker])
        publish_articles(settings, parts[0])
        done = wait_processed_at_least(settings, min(fault_after, len(parts[0])))
        print(f"{name}: fault after {done} committed articles")
        fault_started = time.monotonic()
        fault(settings, [worker], publish_next)
        while pending:
            publish_next()
        restarts = _wait_processed(settings, [worker])
        processed_s = time.monotonic() - fault_started
        if after:
            after(settings, [worker])
        figures = check(outcome(settings), clean, name)
        assert table_agent_uncommitted(settings, [worker]) == 0
    finally:
        worker.stop()
    figures |= {
        "worker_restarts": restarts,
        "after_fault_s": round(processed_s),
        "run_s": round(time.monotonic() - started),
    }
    print(f"{name}: {figures}")
    return figures


def _wait_leaders_off(cluster, topic: str, node_id: int, timeout: float = 60) -> float:
    """Seconds until no partition of `topic` is led by `node_id` (nor leaderless)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        leaders = cluster.leaders(topic)
        if node_id not in leaders.values() and -1 not in leaders.values():
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"{topic}'s leaders still on node {node_id} after {timeout:g} s: {leaders}")


def test_kill_9_the_leader_of_most_article_partitions(clean, kafka_cluster, cluster_settings):
    def kill_leader(settings, workers, publish_next):
        leaders = kafka_cluster.leaders(settings.topic_articles)
        node, led = Counter(leaders.values()).most_common(1)[0]
        print(f"leaders of {settings.topic_articles}: {leaders}; kill -9 node {node} (leads {led})")
        kafka_cluster.kill(node)
        moved = _wait_leaders_off(kafka_cluster, settings.topic_articles, node)
        print(f"leaders moved in {moved:.1f} s: {kafka_cluster.leaders(settings.topic_articles)}")

    _faulty_run(clean, cluster_settings, "cl-leader", kill_leader)


def test_kill_9_the_transaction_coordinator(clean, kafka_cluster, cluster_settings):
    def kill_coordinator(settings, workers, publish_next):
        ids = _transactional_ids(settings)
        coordinators = kafka_cluster.coordinators(ids)
        node, count = Counter(coordinators.values()).most_common(1)[0]
        print(f"transaction coordinators: {coordinators}; kill -9 node {node} (coordinates {count})")
        kafka_cluster.kill(node)
        started = time.monotonic()
        while node in (moved := kafka_cluster.coordinators(ids)).values():
            assert time.monotonic() - started < 60, f"coordinators still on node {node}: {moved}"
            time.sleep(0.5)
        print(f"coordinators moved in {time.monotonic() - started:.1f} s: {moved}")

    _faulty_run(clean, cluster_settings, "cl-coordinator", kill_coordinator)


def test_rolling_restart_of_all_three_brokers(clean, kafka_cluster, cluster_settings):
    def rolling_restart(settings, workers, publish_next):
        for node in range(1, kafka_cluster.size + 1):
            started = time.monotonic()
            kafka_cluster.stop_node(node)  # SIGTERM: controlled shutdown, leaders moved first
            publish_next()  # a part of the input published while the node is down
            kafka_cluster.start_node(node)
            in_sync = kafka_cluster.wait_in_sync(timeout=180)
            print(f"node {node} restarted and in sync in {time.monotonic() - started:.1f} s (sync {in_sync:.1f} s)")

    _faulty_run(clean, cluster_settings, "cl-rolling", rolling_restart, chunks=4)


def test_one_broker_down_for_the_whole_run_then_catching_up(clean, kafka_cluster, cluster_settings):
    down = kafka_cluster.size  # the last node
    behind: dict = {}

    def stop_one(settings, workers):
        ensure_topics(settings)  # topics need three live brokers to be created with three replicas
        kafka_cluster.stop_node(down)
        print(f"node {down} stopped before the input is published")

    def nothing(settings, workers, publish_next):
        pass

    def catch_up(settings, workers):
        topics = [settings.topic_articles, *settings.output_topics]
        behind["partitions"] = len(kafka_cluster.under_replicated(topics))
        assert behind["partitions"] > 0  # the node really missed the run
        back = time.monotonic()
        kafka_cluster.start_node(down)
        kafka_cluster.wait_in_sync(timeout=180)
        behind["catch_up_s"] = time.monotonic() - back  # from its start until every replica is in sync
        isr = {t: {p: row["isr"] for p, row in parts.items()} for t, parts in kafka_cluster.describe(topics).items()}
        assert all(down in row for parts in isr.values() for row in parts.values()), isr
        print(f"node {down} back: {behind['partitions']} partitions caught up in {behind['catch_up_s']:.1f} s")

    _faulty_run(clean, cluster_settings, "cl-down", nothing, before=stop_one, after=catch_up)


def _publish_acks_1(settings, articles: list[dict]) -> None:
    """Publish with acks=1: the only way in while fewer than min.insync.replicas brokers are up (acks=all
    fails with NotEnoughReplicas: what `newswire publish` does then)."""
    kafka_producer = producer(settings, acks=1)
    try:
        futures = [
            kafka_producer.send(settings.topic_articles, key=a["id"].encode(), value=json.dumps(a).encode())
            for a in articles
        ]
        kafka_producer.flush()
        for future in futures:
            future.get(timeout=60)
    finally:
        kafka_producer.close()


def test_fewer_than_min_isr_brokers_stall_the_worker_then_it_resumes(clean, kafka_cluster, cluster_settings):
    """Two of three brokers down: below min.insync.replicas=2 nothing can be written with acks=all (events,
    offsets, the transaction log), so the worker commits nothing, stays up and resumes when the brokers return."""
    stalled: dict = {}

    def two_down(settings, workers, publish_next):
        ask = settings.model_copy(update={"kafka_timeout_s": 5})
        wait_all_processed(settings)  # the first half done: what is committed below is the second half's
        for node in (2, 3):
            kafka_cluster.stop_node(node)
        print(f"ISR of {settings.topic_articles}: {kafka_cluster.describe([settings.topic_articles])}")
        publish_next(_publish_acks_1)  # the second half, for the worker to stall on
        before = processed(ask)
        time.sleep(30)
        stalled["before"], stalled["after"] = before, processed(ask)
        stalled["alive"] = workers[0].process.poll() is None
        print(f"one broker of three for 30 s: committed articles {before} -> {stalled['after']} of {len(INPUT)}")
        started = time.monotonic()
        for node in (2, 3):
            kafka_cluster.start_node(node)
        print(f"two nodes back in {time.monotonic() - started:.1f} s")

    _faulty_run(clean, cluster_settings, "cl-min-isr", two_down, chunks=2)
    assert stalled["after"] == stalled["before"] < len(INPUT), stalled  # nothing committed below min ISR
    assert stalled["alive"], "the worker exited while the cluster was below min ISR"
