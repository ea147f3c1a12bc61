"""Shared fixtures: the spaCy model, and a real Apache Kafka broker started for the test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.broker import free_port
from streams.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_ef05e9ccc23091e5.txt"


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
    """A real Apache Kafka broker (KRaft, one node) for the whole session, stopped at the end."""
    from streams.broker import LocalBroker

    broker = LocalBroker(kafka_settings)
    broker.start(timeout=120)
    yield broker
    broker.stop()
