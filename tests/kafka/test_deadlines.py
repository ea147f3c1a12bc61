"""No wait without a deadline: every client helper gives a clear KafkaUnavailable within its bound, both where
nothing listens and against a broker that was paused or stopped after the clients connected (kafka-python 3.0.12's
`partitions_for_topic` waited for metadata without a timeout there: a fault test hung for 300 s).

A paused broker (SIGSTOP) is the hard case: connections stay open and nothing answers; kafka-python's
`committed` then waited until the broker came back. The bounds are correctness bounds, not speed
targets: NEWSWIRE_KAFKA_TIMEOUT_S is 2 s here, and each call must end within its bound plus a
generous slack for a loaded machine.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from kafka import TopicPartition

from streams.kafka import clients
from streams.kafka.clients import KafkaUnavailable
from streams.kafka.subscriber import tail
from streams.settings import Settings
from tests.support import free_port

TIMEOUT_S = 2.0
SLACK_S = 8.0


def _fails_within(bound_s: float, call, *args, **kwargs) -> KafkaUnavailable:
    started = time.monotonic()
    with pytest.raises(KafkaUnavailable) as caught:
        result = call(*args, **kwargs)
        if hasattr(result, "__next__"):
            next(result)  # a generator (tail) does its work when iterated
    elapsed = time.monotonic() - started
    assert elapsed < bound_s + SLACK_S, f"{getattr(call, '__name__', call)} took {elapsed:.1f} s (bound {bound_s} s)"
    return caught.value


@pytest.fixture(scope="module")
def nowhere(tmp_path_factory) -> Settings:
    port = free_port()  # nothing listens there
    return Settings(
        data_dir=tmp_path_factory.mktemp("nowhere"), bootstrap_servers=f"127.0.0.1:{port}", kafka_timeout_s=TIMEOUT_S
    )


@pytest.mark.parametrize(
    "helper",
    [
        lambda s: clients.producer(s),
        lambda s: clients.consumer(s),
        lambda s: clients.admin_client(s),
        lambda s: clients.ensure_topics(s),
        lambda s: clients.group_lag(s, s.app_id, s.topic_articles),
        lambda s: clients.unconsumed(s, s.app_id, s.topic_articles),
        lambda s: clients.wait_until_processed(s, timeout=60),
        lambda s: tail(s, [s.topic_entities], idle_timeout=1),
    ],
    ids=[
        "producer",
        "consumer",
        "admin_client",
        "ensure_topics",
        "group_lag",
        "unconsumed",
        "wait_until_processed",
        "tail",
    ],
)
def test_where_nothing_listens_each_helper_says_so_within_its_bound(nowhere, helper):
    error = _fails_within(TIMEOUT_S, helper, nowhere)
    assert nowhere.bootstrap_servers in str(error) and "newswire broker start" in str(error)


@pytest.fixture(scope="module", params=["paused", "stopped"])
def stopped(request, tmp_path_factory):
    """Clients connected to a broker that is then paused (SIGSTOP: connections stay open and nothing answers,
    where kafka-python's `committed` waited until the broker came back) or stopped (connections refused)."""
    from streams.tools.broker import LocalBroker

    port = free_port()
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("stopped"),
        broker_port=port,
        controller_port=free_port(),
        bootstrap_servers=f"localhost:{port}",
        kafka_timeout_s=TIMEOUT_S,
    )
    broker = LocalBroker(settings)
    broker.start(timeout=120)
    try:
        # Set up with the default deadlines (a loaded machine), then connect the clients under test.
        clients.ensure_topics(
            settings.model_copy(update={"kafka_timeout_s": 30.0}), [settings.topic_articles], partitions=2
        )
        kafka_producer = clients.producer(settings)
        offsets = clients.consumer(settings, group_id="deadline-test", enable_auto_commit=False)
        reader = clients.consumer(settings, enable_auto_commit=False)
        for attempt in range(10):
            try:  # connected, metadata cached
                assert kafka_producer.partitions_for(settings.topic_articles) == {0, 1}
                assert offsets.partitions_for_topic(settings.topic_articles) == {0, 1}
                break
            except KafkaUnavailable:
                if attempt == 9:
                    raise
    except BaseException:
        broker.stop()
        raise
    if request.param == "paused":
        os.kill(broker._proc.pid, signal.SIGSTOP)
    else:
        broker.stop()
    try:
        yield settings, kafka_producer, offsets, reader
    finally:
        if request.param == "paused":
            os.kill(broker._proc.pid, signal.SIGCONT)
            broker.stop()
        for client in (kafka_producer, offsets, reader):
            try:
                client.close(timeout=0) if client is kafka_producer else client.close()
            except Exception:  # noqa: BLE001 - closing clients of a stopped broker may complain
                pass


@pytest.mark.kafka
def test_a_stopped_broker_gives_clear_errors_within_the_bounds(stopped):
    settings, kafka_producer, offsets, reader = stopped
    tp = TopicPartition(settings.topic_articles, 0)

    # The call that hung: metadata of a topic not in the client's cache.
    error = _fails_within(TIMEOUT_S, offsets.partitions_for_topic, "news.not-cached")
    assert "the partitions of topic news.not-cached" in str(error) and settings.bootstrap_servers in str(error)
    assert "NEWSWIRE_KAFKA_TIMEOUT_S" in str(error)
    _fails_within(TIMEOUT_S, offsets.topics)
    error = _fails_within(TIMEOUT_S, offsets.committed, tp)
    assert f"{settings.topic_articles}[0] (group deadline-test)" in str(error)
    _fails_within(TIMEOUT_S, reader.end_offsets, [tp])
    _fails_within(TIMEOUT_S, reader.beginning_offsets, [tp])
    reader.assign([tp])
    reader.seek_to_beginning(tp)
    _fails_within(TIMEOUT_S, reader.position, tp)

    # send waits for an uncached topic's metadata at most max_block_ms; flush for delivery, then a clear error
    _fails_within(TIMEOUT_S, kafka_producer.send, "news.not-cached", value=b"{}")
    future = kafka_producer.send(settings.topic_articles, key=b"k", value=b"{}")
    started = time.monotonic()
    try:
        kafka_producer.flush()
    except KafkaUnavailable:
        pass
    assert time.monotonic() - started < 5 * TIMEOUT_S + SLACK_S  # delivery_timeout_ms (4x) + a request
    assert future.is_done and future.failed()

    # and every helper that makes its own clients fails at bootstrap
    for helper in (clients.ensure_topics, lambda s: clients.group_lag(s, s.app_id, s.topic_articles)):
        _fails_within(TIMEOUT_S, helper, settings)
