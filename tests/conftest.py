"""Shared fixtures: the spaCy model, and a real Apache Kafka broker started for the test session.

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
