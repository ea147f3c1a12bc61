"""Shared fixtures: the spaCy model, and a real Apache Kafka broker (and, for the cluster's fault tests, a local
three-node cluster) started for the test session.

Helpers the modules import live in tests/support/. A test that needs a broker is marked `kafka`
(pyproject.toml declares the markers); one that uses the `kafka` fixture without the mark is refused.
"""

from __future__ import annotations

import pytest

from streams.settings import Settings
from tests.support import SEED, free_port


def pytest_collection_modifyitems(config, items):
    unmarked = [
        item.nodeid
        for item in items
        if "kafka" in getattr(item, "fixturenames", ()) and item.get_closest_marker("kafka") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            f"these tests start the session's broker but are not marked @pytest.mark.kafka: {', '.join(unmarked)}"
        )
    unmarked = [
        item.nodeid
        for item in items
        if "kafka_cluster" in getattr(item, "fixturenames", ())
        and not (item.get_closest_marker("kafka") and item.get_closest_marker("slow"))
    ]
    if unmarked:
        raise pytest.UsageError(
            "these tests start the session's three-broker cluster but are not marked @pytest.mark.kafka and "
            f"@pytest.mark.slow: {', '.join(unmarked)}"
        )


@pytest.fixture(scope="session")
def nlp():
    from streams.nlp import load_pipeline

    return load_pipeline(Settings().model)


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def kafka_settings(tmp_path_factory) -> Settings:
    """Settings for a broker of the test session's own: free ports, a temporary data dir."""
    port = free_port()
    return Settings(
        data_dir=tmp_path_factory.mktemp("newswire"),
        broker_port=port,
        controller_port=free_port(),
        bootstrap_servers=f"localhost:{port}",
    )


@pytest.fixture(scope="session")
def kafka(kafka_settings):
    """A real Apache Kafka broker (KRaft, one node) for the whole session, stopped at the end.

    It takes records up to the articles' size limit and a little over it (Kafka's default: 1 MB), so that the
    hostile-input tests (tests/runtime/test_hostile_input.py) need no broker of their own.
    """
    from streams.tools.broker import LocalBroker

    room = str(kafka_settings.max_article_bytes + (2 << 20))
    broker = LocalBroker(kafka_settings, extra_properties={"message.max.bytes": room, "replica.fetch.max.bytes": room})
    broker.start(timeout=120)
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def kafka_cluster(tmp_path_factory):
    """A local Apache Kafka cluster of three KRaft nodes (replication 3, min ISR 2) for the whole session,
    started at its first use and stopped at the end. Tests using it are marked `kafka` and `slow`."""
    from streams.tools.cluster import LocalCluster

    data_dir = tmp_path_factory.mktemp("newswire-cluster")
    cluster = LocalCluster(
        Settings(data_dir=data_dir),
        ports=[free_port() for _ in range(3)],
        controller_ports=[free_port() for _ in range(3)],
    )
    cluster.start(timeout=180)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def cluster_settings(kafka_cluster) -> Settings:
    """Settings pointed at the session's cluster: every node as bootstrap server, topics replicated 3 times."""
    return kafka_cluster.client_settings()
