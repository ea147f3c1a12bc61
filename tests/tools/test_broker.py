"""The local Apache Kafka broker, for real: resolve, start, produce/consume, stop, restart.

No mocks: a real Kafka (settings.kafka_version) runs on free ports in a temporary data dir, so a
user's own broker on :9092 is never touched. The jars are resolved once into
settings.data_dir (NEWSWIRE_DATA_DIR) and shared with `newswire broker`.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from streams.settings import PROJECT_ROOT
from streams.tools.broker import BrokerError, LocalBroker, _java_major

pytestmark = pytest.mark.timeout(240)


def _free_ports(n: int) -> list[int]:
    """n distinct free TCP ports on localhost (held open together so they differ)."""
    socks = []
    try:
        for _ in range(n):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [s.getsockname()[1] for s in socks]
    finally:
        for sock in socks:
            sock.close()


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory):
    port, controller_port = _free_ports(2)
    local = LocalBroker(
        data_dir=tmp_path_factory.mktemp("kafka"),
        port=port,
        controller_port=controller_port,
        # A broker killed with SIGKILL keeps its KRaft session until it times out (9 s by
        # default); a shorter one makes the restart-after-kill test quick. Also proves that
        # extra properties reach the broker.
        extra_properties={"broker.session.timeout.ms": "3000", "broker.heartbeat.interval.ms": "500"},
    )
    yield local
    try:
        local.stop(timeout=20)
    finally:
        if local.is_running():
            local.kill()


def _produce(bootstrap: str, topic: str, key: bytes, value: bytes) -> tuple[int, int]:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", client_id="test-broker-producer")
    try:
        meta = producer.send(topic, key=key, value=value).get(timeout=30)
        producer.flush(timeout=10)
        return meta.partition, meta.offset
    finally:
        producer.close(timeout=10)


def _read_at(bootstrap: str, topic: str, partition: int, offset: int, timeout: float = 30) -> tuple[bytes, bytes]:
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, client_id="test-broker-consumer"
    )
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, offset)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in consumer.poll(timeout_ms=1000).get(tp, []):
                if record.offset == offset:
                    return record.key, record.value
        raise AssertionError(f"no record at {topic}[{partition}]@{offset} within {timeout} s")
    finally:
        consumer.close()


def _stop_from_another_process(broker: LocalBroker) -> None:
    """What `newswire broker stop` does: a fresh process that knows only the data dir and ports."""
    code = (
        "import sys; from pathlib import Path; from streams.tools.broker import LocalBroker; "
        "LocalBroker(data_dir=Path(sys.argv[1]), port=int(sys.argv[2]), controller_port=int(sys.argv[3])).stop()"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(broker.data_dir), str(broker.port), str(broker.controller_port)],
        cwd=PROJECT_ROOT,
        check=True,
        timeout=60,
    )


@pytest.mark.kafka
def test_broker_round_trip_survives_stop_and_kill(broker: LocalBroker) -> None:
    libs = broker.install()
    assert any(p.name.startswith(f"kafka_2.13-{broker.kafka_version}") for p in libs.glob("*.jar"))

    broker.start(timeout=60)
    status = broker.status()
    assert status["running"] and status["ready"]
    assert status["bootstrap_servers"] == f"localhost:{broker.port}"
    assert status["data_dir"] == str(broker.data_dir)
    assert Path(status["log"]).is_file()
    pid = status["pid"]
    assert broker.pid_path.read_text().strip() == str(pid)

    broker.start()  # already running and ready: a no-op
    assert broker.status()["pid"] == pid

    # a real round trip through an auto-created topic
    topic = f"test.broker.{uuid.uuid4().hex[:8]}"
    value = f"hello kafka {uuid.uuid4()}".encode()
    partition, offset = _produce(broker.bootstrap_servers, topic, b"article-1", value)
    assert _read_at(broker.bootstrap_servers, topic, partition, offset) == (b"article-1", value)

    # stopped by another process through the pid file, as `newswire broker stop` does
    _stop_from_another_process(broker)
    status = broker.status()
    assert not status["running"] and status["pid"] is None and not status["ready"]
    assert not broker.pid_path.exists()
    assert not broker.is_ready()

    # a restart keeps the data (same cluster id, same log dirs)
    cluster_id = broker.cluster_id()
    broker.start(timeout=60)
    assert broker.cluster_id() == cluster_id
    assert _read_at(broker.bootstrap_servers, topic, partition, offset) == (b"article-1", value)

    # SIGKILL: no controlled shutdown, and the next start still recovers the record
    broker.kill()
    assert not broker.is_running()
    broker.start(timeout=60)
    assert _read_at(broker.bootstrap_servers, topic, partition, offset) == (b"article-1", value)

    broker.stop()
    assert not broker.is_running()
    assert not broker.pid_path.exists()
    broker.stop()  # stopping a stopped broker is a no-op


@pytest.mark.parametrize(
    "which, setting", [("port", "NEWSWIRE_BROKER_PORT"), ("controller_port", "NEWSWIRE_CONTROLLER_PORT")]
)
def test_port_taken_by_another_program_is_named(tmp_path: Path, which: str, setting: str) -> None:
    port, other = _free_ports(2)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        ports = {"port": other, "controller_port": other}
        ports[which] = port
        local = LocalBroker(data_dir=tmp_path / "kafka", **ports)
        with pytest.raises(BrokerError) as err:
            local.start(timeout=10)
    message = str(err.value)
    assert f"Port {port}" in message and setting in message and "already in use" in message
    assert not local.pid_path.exists() and not local.is_running()


def test_stop_and_status_when_never_started(tmp_path: Path) -> None:
    port, controller_port = _free_ports(2)
    local = LocalBroker(data_dir=tmp_path / "kafka", port=port, controller_port=controller_port)
    local.stop()
    local.kill()
    status = local.status()
    assert status == {
        "running": False,
        "pid": None,
        "ready": False,
        "bootstrap_servers": f"localhost:{port}",
        "log": str(tmp_path / "kafka" / "logs" / "server.log"),
        "data_dir": str(tmp_path / "kafka"),
        "kafka_version": local.kafka_version,
    }
    with pytest.raises(BrokerError, match="not running"):
        local.wait_ready(timeout=1)


def test_properties_single_node_kraft_and_overrides(tmp_path: Path) -> None:
    local = LocalBroker(
        data_dir=tmp_path,
        port=19092,
        controller_port=19093,
        extra_properties={"num.partitions": "8", "listener.name.sasl_plaintext.sasl.enabled.mechanisms": "PLAIN"},
    )
    props = local.properties()
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@localhost:19093"
    assert props["listeners"] == "PLAINTEXT://localhost:19092,CONTROLLER://localhost:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://localhost:19092"
    assert props["log.dirs"] == str(tmp_path / "kafka-logs")
    assert props["num.partitions"] == "8"
    assert props["listener.name.sasl_plaintext.sasl.enabled.mechanisms"] == "PLAIN"
    text = local.write_properties().read_text()
    assert "controller.listener.names=CONTROLLER\n" in text and "num.partitions=8\n" in text


def test_cluster_nodes_share_one_quorum_and_cluster_id(tmp_path: Path) -> None:
    from streams.settings import Settings
    from streams.tools.cluster import LocalCluster

    cluster = LocalCluster(Settings(data_dir=tmp_path, broker_port=29092, controller_port=29093))
    voters = "1@localhost:29093,2@localhost:29095,3@localhost:29097"
    assert cluster.bootstrap_servers == "localhost:29092,localhost:29094,localhost:29096"
    assert cluster.client_settings().topic_replication == 3
    ids = set()
    for node_id, node in enumerate(cluster.nodes, start=1):
        props = node.properties()
        assert props["node.id"] == str(node_id) and props["controller.quorum.voters"] == voters
        assert props["log.dirs"] == str(tmp_path / "cluster" / f"node-{node_id}" / "kafka-logs")
        for key, value in {
            "default.replication.factor": "3",
            "min.insync.replicas": "2",
            "offsets.topic.replication.factor": "3",
            "transaction.state.log.replication.factor": "3",
            "transaction.state.log.min.isr": "2",
            "unclean.leader.election.enable": "false",
        }.items():
            assert props[key] == value, key
        ids.add(node.cluster_id())
    assert len(ids) == 1 and ids == {(tmp_path / "cluster" / "cluster.id").read_text().strip()}
    assert LocalCluster(Settings(data_dir=tmp_path)).nodes[0].cluster_id() in ids  # kept across instances
    with pytest.raises(BrokerError, match="more than one listener"):
        LocalCluster(Settings(data_dir=tmp_path), ports=[1, 2, 3], controller_ports=[3, 4, 5])


def test_java_version_parsing() -> None:
    assert _java_major('openjdk version "17.0.15" 2025-04-15') == 17
    assert _java_major('java version "1.8.0_392"') == 8
    assert _java_major('openjdk version "21" 2023-09-19') == 21
    assert _java_major("no java here") is None
