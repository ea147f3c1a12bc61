"""Security: a local broker that only speaks SASL_PLAINTEXT with PLAIN, and the whole pipeline against it.

The worker (Faust, its transactional producers included), the publisher and the reader get the credentials
from the same settings (streams/kafka/security.py); a client without them is refused.
"""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from streams.kafka.clients import KafkaUnavailable, ensure_topics, producer, wait_until_processed
from streams.kafka.publisher import publish, read_articles
from streams.settings import Settings
from streams.tools.faults import committed_events
from streams.tools.worker import WorkerProcess
from tests.support import SEED, free_port

pytestmark = [pytest.mark.kafka, pytest.mark.slow]  # a SASL broker of its own, and a worker


@pytest.fixture(scope="module")
def sasl_settings(tmp_path_factory):
    from streams.tools.broker import LocalBroker

    port = free_port()
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("sasl"),
        broker_port=port,
        controller_port=free_port(),
        bootstrap_servers=f"localhost:{port}",
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="PLAIN",
        sasl_username="newswire",
        sasl_password=SecretStr("s3cret-pw"),
        app_id="newswire-sasl",
        web_port=free_port(),
        store="memory://",
    )
    broker = LocalBroker(settings)
    broker.start(timeout=120)
    yield settings
    broker.stop()


def test_the_pipeline_runs_against_a_sasl_plain_broker(sasl_settings):
    ensure_topics(sasl_settings)
    with WorkerProcess(sasl_settings):
        articles = list(read_articles([str(SEED)]))
        kafka_producer = producer(sasl_settings)
        assert publish(kafka_producer, sasl_settings.topic_articles, articles, progress=False) == (1, 1)
        kafka_producer.close()
        wait_until_processed(sasl_settings, timeout=120)
        events = committed_events(sasl_settings)
    assert {r["value"]["article_id"] for r in events[sasl_settings.topic_quotes]} == {articles[0]["id"]}
    assert {"VE", "RU", "US"} <= {r["key"] for r in events[sasl_settings.topic_country_mentions]}


def test_a_client_with_the_wrong_password_is_refused(sasl_settings):
    from streams.tools.broker import LocalBroker

    # A 3 s deadline, not the default 10 s: what is checked is the message.
    wrong = sasl_settings.model_copy(update={"sasl_password": SecretStr("wrong"), "kafka_timeout_s": 3.0})
    # kafka-python retries a refused handshake until its bootstrap deadline; the CLI's error names the cause.
    with pytest.raises(KafkaUnavailable, match="refused the SASL credentials") as refused:
        producer(wrong)
    assert "NEWSWIRE_SASL_PASSWORD" in str(refused.value)
    # The broker was up (the fixture waited until it answered) and refused the credentials, not the connection:
    log = LocalBroker(sasl_settings).log_path.read_text(errors="replace")
    assert "Authentication failed: Invalid username or password" in log
