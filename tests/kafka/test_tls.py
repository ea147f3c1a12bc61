"""TLS for real: local brokers whose only client listener is mutual TLS, or SASL (SCRAM) over TLS, with
certificates made for this run (streams/kafka/tls.py), and the whole pipeline against them.

The worker (Faust/aiokafka, its transactional producers included), the publisher and the subscriber take
the TLS context from the same settings (streams/kafka/security.py). A client that trusts another CA, or brings no
certificate or one of another CA to the mutual-TLS broker, is refused with a message naming the setting to fix.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from pydantic import SecretStr

from streams.kafka.clients import KafkaUnavailable, ensure_topics, producer, wait_until_processed
from streams.kafka.publisher import publish, read_articles
from streams.kafka.security import SecurityConfigError, ssl_context, tls_problem
from streams.kafka.subscriber import tail
from streams.kafka.tls import make_ca, make_pki
from streams.settings import PROJECT_ROOT, Settings
from streams.tools.faults import committed_events
from streams.tools.worker import WorkerProcess
from tests.support import SEED, free_port

REFUSAL_BOUND_S = 30  # the bootstrap deadline (REFUSED_TIMEOUT_S below) plus our diagnosing handshake, with room


def _start_broker(tmp_path_factory, name: str, client_auth: bool, **security):
    from streams.tools.broker import LocalBroker

    root = tmp_path_factory.mktemp(name)
    pki = make_pki(root / "pki")
    if client_auth:
        security |= {"ssl_certfile": pki.client_cert, "ssl_keyfile": pki.client_key}
    port = free_port()
    settings = Settings(
        data_dir=root / "data",
        broker_port=port,
        controller_port=free_port(),
        bootstrap_servers=f"localhost:{port}",
        ssl_cafile=pki.ca_cert,
        app_id=f"newswire-{name}",
        web_port=free_port(),
        store="memory://",
        **security,
    )
    broker = LocalBroker(settings, tls=pki.broker_tls(client_auth=client_auth))
    broker.start(timeout=120)
    return broker, settings, pki


@pytest.fixture(scope="class")
def mtls(tmp_path_factory):
    """A broker that speaks only SSL and requires a client certificate signed by its CA."""
    broker, settings, _ = _start_broker(tmp_path_factory, "mtls", client_auth=True, security_protocol="SSL")
    yield settings
    broker.stop()


@pytest.fixture(scope="class")
def sasl_ssl(tmp_path_factory):
    """A broker that speaks only SASL_SSL, with a SCRAM-SHA-256 user stored when its storage was formatted."""
    broker, settings, _ = _start_broker(
        tmp_path_factory,
        "saslssl",
        client_auth=False,
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-256",
        sasl_username="newswire",
        sasl_password=SecretStr("s3cret, pw]"),
    )
    yield settings
    broker.stop()


def _run_pipeline(settings: Settings) -> None:
    """Publish the seed article, let a worker process it, read the events back as a subscriber would."""
    ensure_topics(settings)
    articles = list(read_articles([str(SEED)]))
    with WorkerProcess(settings) as worker:
        kafka_producer = producer(settings)
        assert publish(kafka_producer, settings.topic_articles, articles, progress=False) == (1, 1)
        kafka_producer.close()
        wait_until_processed(settings, timeout=180)
        # The worker's web server is plain HTTP whatever the broker speaks, and counts the article.
        with urllib.request.urlopen(worker.metrics_url, timeout=10) as response:
            metrics = response.read().decode()
        assert any(
            line.startswith('newswire_articles_processed_total{outcome="ok"}') and float(line.split()[-1]) == 1
            for line in metrics.splitlines()
        ), metrics
        events = committed_events(settings)
    assert {r["value"]["article_id"] for r in events[settings.topic_quotes]} == {articles[0]["id"]}
    assert {"VE", "RU", "US"} <= {r["key"] for r in events[settings.topic_country_mentions]}
    # `newswire tail`'s reader, over the same TLS settings, sees the same committed events.
    tailed = list(tail(settings, [settings.topic_quotes], from_beginning=True, idle_timeout=5))
    assert sorted(r["offset"] for r in tailed) == sorted(r["offset"] for r in events[settings.topic_quotes])


# A refused client waits out its bootstrap deadline (at most 10 s, NEWSWIRE_KAFKA_TIMEOUT_S if lower): 3 s here,
# so that the refusals do not wait 10 s each. What is checked is the message, not the deadline.
REFUSED_TIMEOUT_S = 3.0


def _refused(settings: Settings) -> tuple[KafkaUnavailable, float]:
    started = time.monotonic()
    with pytest.raises(KafkaUnavailable) as refused:
        producer(settings.model_copy(update={"kafka_timeout_s": REFUSED_TIMEOUT_S})).close()
    return refused.value, time.monotonic() - started


@pytest.mark.kafka
@pytest.mark.slow
class TestMutualTls:
    def test_the_pipeline_runs_over_mutual_tls(self, mtls):
        _run_pipeline(mtls)

    def test_a_client_trusting_another_ca_is_refused_with_a_clear_error(self, mtls, tmp_path):
        other_ca, _ = make_ca(tmp_path / "other", name="some other CA")
        error, took = _refused(mtls.model_copy(update={"ssl_cafile": other_ca}))
        assert str(error).startswith(f"TLS handshake with {mtls.bootstrap_servers} failed: certificate verify failed")
        assert "NEWSWIRE_SSL_CAFILE must name the CA that signed the broker's certificate" in str(error)
        assert str(other_ca) in str(error)
        assert took < REFUSAL_BOUND_S

    def test_the_cli_says_so_without_a_traceback(self, mtls, tmp_path):
        other_ca, _ = make_ca(tmp_path / "other")
        env = (
            os.environ | mtls.model_copy(update={"ssl_cafile": other_ca, "kafka_timeout_s": REFUSED_TIMEOUT_S}).as_env()
        )
        done = subprocess.run(
            [sys.executable, "-m", "streams.cli", "publish", str(SEED)],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert done.returncode == 2, done.stderr
        assert "error: TLS handshake with" in done.stderr
        assert "NEWSWIRE_SSL_CAFILE must name the CA" in done.stderr
        assert "Traceback" not in done.stderr

    def test_a_client_without_a_certificate_is_refused(self, mtls):
        error, took = _refused(mtls.model_copy(update={"ssl_certfile": None, "ssl_keyfile": None}))
        assert "the broker requires a client certificate" in str(error)
        assert "set NEWSWIRE_SSL_CERTFILE and NEWSWIRE_SSL_KEYFILE" in str(error)
        assert took < REFUSAL_BOUND_S

    def test_a_client_certificate_of_another_ca_is_refused(self, mtls, tmp_path):
        stranger = make_pki(tmp_path / "stranger")
        error, took = _refused(
            mtls.model_copy(update={"ssl_certfile": stranger.client_cert, "ssl_keyfile": stranger.client_key})
        )
        assert "the broker refused the client certificate" in str(error)
        assert str(stranger.client_cert) in str(error)
        assert took < REFUSAL_BOUND_S


@pytest.mark.kafka
@pytest.mark.slow
class TestSaslOverTls:
    def test_the_pipeline_runs_over_sasl_scram_over_tls(self, sasl_ssl):
        _run_pipeline(sasl_ssl)

    def test_a_wrong_password_is_told_from_a_tls_problem(self, sasl_ssl):
        error, took = _refused(sasl_ssl.model_copy(update={"sasl_password": SecretStr("wrong")}))
        assert "TLS handshake" not in str(error)  # the handshake is fine: the credentials are not
        assert "check NEWSWIRE_SASL_USERNAME and NEWSWIRE_SASL_PASSWORD" in str(error)
        assert took < REFUSAL_BOUND_S

    def test_a_client_trusting_another_ca_is_refused(self, sasl_ssl, tmp_path):
        other_ca, _ = make_ca(tmp_path / "other")
        error, took = _refused(sasl_ssl.model_copy(update={"ssl_cafile": other_ca}))
        assert "certificate verify failed" in str(error)
        assert "NEWSWIRE_SSL_CAFILE must name the CA" in str(error)
        assert took < REFUSAL_BOUND_S


# -- the diagnosis itself, against small TLS servers of our own (no broker) ------------------------------


@contextlib.contextmanager
def _server(context: ssl.SSLContext | None, plaintext_reply: bytes = b"HTTP/1.0 400 Bad Request\r\n\r\n"):
    """localhost:port of a one-connection server: TLS with `context`, else a non-TLS reply and close."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(15)

    def serve():
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                if context is None:
                    conn.recv(1024)
                    conn.sendall(plaintext_reply)
                    return
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.settimeout(5)
                    tls.recv(1)  # until the client goes

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"localhost:{listener.getsockname()[1]}"
    finally:
        thread.join(10)
        listener.close()


def _server_context(pki) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.broker_cert, pki.broker_key)
    return context


def _tls_settings(server: str, cafile) -> Settings:
    return Settings(bootstrap_servers=server, security_protocol="SSL", ssl_cafile=cafile)


def test_a_sound_handshake_is_no_problem(tmp_path):
    pki = make_pki(tmp_path)
    with _server(_server_context(pki)) as server:
        assert tls_problem(_tls_settings(server, pki.ca_cert)) is None


def test_a_certificate_for_another_name_is_told_apart(tmp_path):
    pki = make_pki(tmp_path, hosts=("kafka.elsewhere.example",))
    with _server(_server_context(pki)) as server:
        problem = tls_problem(_tls_settings(server, pki.ca_cert))
    assert problem.startswith(f"TLS handshake with {server} failed: Hostname mismatch")
    assert "connect by a name the broker's certificate holds (NEWSWIRE_BOOTSTRAP_SERVERS)" in problem


def test_a_listener_that_does_not_speak_tls_is_told_apart(tmp_path):
    pki = make_pki(tmp_path)
    with _server(None) as server:
        problem = tls_problem(_tls_settings(server, pki.ca_cert))
    assert problem.startswith(f"TLS handshake with {server} failed")
    assert "speak TLS" in problem and "NEWSWIRE_SECURITY_PROTOCOL=SSL" in problem


def test_nothing_listening_is_not_called_a_tls_problem(tmp_path):
    pki = make_pki(tmp_path)
    assert tls_problem(_tls_settings(f"localhost:{free_port()}", pki.ca_cert)) is None


def test_an_unreadable_ca_file_is_a_settings_error(tmp_path):
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n")
    with pytest.raises(SecurityConfigError, match=f"NEWSWIRE_SSL_CAFILE={bad} cannot be read as PEM CA"):
        ssl_context(_tls_settings("localhost:1", bad))
