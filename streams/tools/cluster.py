"""A local Apache Kafka cluster: three KRaft nodes, each broker and controller, replicated as in production.

Each node is a `LocalBroker` (streams/tools/broker.py) with its own node id, ports and data dir, all voting in
one static quorum (`controller.quorum.voters`) under one cluster id, each formatted once. On top of the
single broker's config, what a production cluster needs (`CLUSTER_PROPERTIES`): topics replicated 3 times
with `min.insync.replicas=2`, the transaction state log and the consumer offsets likewise, no unclean
leader election. Producers of this project use `acks=all` (streams/kafka/clients.py, the worker's
transactional producers and Faust's), so an acknowledged record is on at least two brokers.

Files, under `settings.data_dir / "cluster"` unless given::

    cluster.id          the KRaft cluster id shared by the nodes
    node-1/ node-2/ ... one LocalBroker data dir each (server.properties, broker.pid, logs/, kafka-logs/)

Ports: node i (from 1) listens on `broker_port + 2 (i - 1)` for clients and the next port for its
controller (9092/9093, 9094/9095, 9096/9097 by default), unless given.

    with LocalCluster() as cluster:
        settings = cluster.client_settings()     # bootstrap servers of all nodes, replication 3
        cluster.kill(cluster.leaders("news.articles")[0])

Every call to the cluster (the admin look-ups) has a deadline: `NEWSWIRE_KAFKA_TIMEOUT_S`.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import logging
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from streams.kafka.plumbing import wait_until
from streams.settings import Settings, get_settings
from streams.tools.broker import BrokerError, LocalBroker, _new_cluster_id, _quiet_kafka_python, _write_atomic

log = logging.getLogger(__name__)

#: nodes of `newswire broker start --nodes N` when N is not given, and of the test fixture
DEFAULT_NODES = 3


def cluster_properties(nodes: int) -> dict[str, str]:
    """server.properties every node gets on top of the single broker's: replication min(3, nodes), min ISR one
    less (2 of 3: a write survives one broker lost, and one broker down does not stop writes)."""
    replication = min(3, nodes)
    min_isr = max(1, replication - 1)
    return {
        "default.replication.factor": str(replication),
        "min.insync.replicas": str(min_isr),
        "offsets.topic.replication.factor": str(replication),
        "transaction.state.log.replication.factor": str(replication),
        "transaction.state.log.min.isr": str(min_isr),
        "share.coordinator.state.topic.replication.factor": str(replication),
        "share.coordinator.state.topic.min.isr": str(min_isr),
        "unclean.leader.election.enable": "false",
        # Kafka's 50 partitions each, times 3 replicas, on a laptop: slow to create for nothing.
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.num.partitions": "10",
    }


class LocalCluster:
    """`nodes` LocalBrokers (KRaft combined mode) forming one cluster, run from this project's data dir."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        nodes: int = DEFAULT_NODES,
        data_dir: Path | None = None,
        ports: list[int] | None = None,
        controller_ports: list[int] | None = None,
        extra_properties: dict[str, str] | None = None,
    ) -> None:
        if nodes < 1:
            raise BrokerError(f"A cluster needs at least one node, not {nodes} (`--nodes 3`).")
        self.settings = settings or get_settings()
        self.size = nodes
        self.data_dir = Path(data_dir or self.settings.data_dir / "cluster").expanduser().resolve()
        ports = list(ports or [self.settings.broker_port + 2 * i for i in range(nodes)])
        controller_ports = list(controller_ports or [self.settings.controller_port + 2 * i for i in range(nodes)])
        if len(ports) != nodes or len(controller_ports) != nodes:
            raise BrokerError(f"{nodes} nodes need {nodes} client ports and {nodes} controller ports.")
        taken = Counter(ports + controller_ports)
        if clash := sorted(p for p, n in taken.items() if n > 1):
            raise BrokerError(f"Ports {clash} are given to more than one listener of the cluster; each needs its own.")
        self.replication = min(3, nodes)
        self.min_insync = max(1, self.replication - 1)
        voters = ",".join(f"{i + 1}@localhost:{port}" for i, port in enumerate(controller_ports))
        properties = cluster_properties(nodes) | dict(extra_properties or {})
        cluster_id = self._cluster_id()
        self.nodes = [
            LocalBroker(
                self.settings,
                data_dir=self.data_dir / f"node-{i + 1}",
                port=ports[i],
                controller_port=controller_ports[i],
                extra_properties=properties,
                node_id=i + 1,
                quorum_voters=voters,
                cluster_id=cluster_id,
            )
            for i in range(nodes)
        ]

    def _cluster_id(self) -> str:
        path = self.data_dir / "cluster.id"
        with contextlib.suppress(OSError):
            if cid := path.read_text().strip():
                return cid
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cid = _new_cluster_id()
        _write_atomic(path, cid + "\n")
        return cid

    def __repr__(self) -> str:
        return f"LocalCluster({self.size} nodes, {self.bootstrap_servers}, data_dir={self.data_dir})"

    # -- addresses -----------------------------------------------------------------------

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(node.bootstrap_servers for node in self.nodes)

    def client_settings(self, base: Settings | None = None) -> Settings:
        """`base` (default: the cluster's settings) pointed at every node, creating topics replicated as the
        cluster's defaults are (NEWSWIRE_TOPIC_REPLICATION)."""
        return (base or self.settings).model_copy(
            update={"bootstrap_servers": self.bootstrap_servers, "topic_replication": self.replication}
        )

    def node(self, node_id: int) -> LocalBroker:
        for node in self.nodes:
            if node.node_id == node_id:
                return node
        raise BrokerError(f"The cluster has no node {node_id}: its nodes are 1 to {self.size}.")

    def running(self) -> list[int]:
        """Ids of the nodes whose process runs."""
        return [node.node_id for node in self.nodes if node.is_running()]

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, timeout: float = 120) -> None:
        """Start every node that is not running and wait until each answers unfenced. The nodes are launched
        together: none is ready before a majority of the controllers runs."""
        launched = []
        try:
            for node in self.nodes:
                if node.launch():
                    launched.append(node)
            deadline = time.monotonic() + timeout
            for node in self.nodes:
                node.wait_ready(max(1.0, deadline - time.monotonic()))
        except BrokerError:
            for node in launched:
                node.stop(timeout=10)
            raise
        log.info("Kafka cluster of %d nodes ready on %s", self.size, self.bootstrap_servers)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM every node at once (controlled shutdown), SIGKILL past `timeout`. All at once, because the
        last node of a sequential stop would wait for a controller quorum that is gone."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=self.size) as pool:
            for future in [pool.submit(node.stop, timeout) for node in self.nodes]:
                future.result()

    def kill(self, node_id: int) -> None:
        """SIGKILL one node (kill -9: no controlled shutdown, its leaderships move when its session expires)."""
        log.info("killing node %d (pid %s)", node_id, self.node(node_id).pid())
        self.node(node_id).kill()

    def stop_node(self, node_id: int, timeout: float = 30) -> None:
        """SIGTERM one node: a controlled shutdown, its leaderships moved first."""
        self.node(node_id).stop(timeout)

    def start_node(self, node_id: int, timeout: float = 120) -> None:
        """Start one node (its data kept) and wait until it answers unfenced."""
        self.node(node_id).start(timeout)

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- inspection (admin requests, each with a deadline) ---------------------------------

    def _admin_call(self, what: str, call, timeout: float | None = None) -> Any:
        """`call(admin)` with an admin client bootstrapped on the running nodes, retried (a node that just died
        is still in the metadata for a few seconds) within `timeout` (default NEWSWIRE_KAFKA_TIMEOUT_S), else
        BrokerError saying what did not answer."""
        timeout = self.settings.kafka_timeout_s if timeout is None else timeout
        deadline = time.monotonic() + timeout
        last: BaseException | None = None
        while True:
            servers = [self.node(n).bootstrap_servers for n in self.running()]
            if not servers:
                raise BrokerError(
                    f"No node of {self!r} runs: start it with `newswire broker start --nodes {self.size}`."
                )
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrokerError(
                    f"The cluster on {','.join(servers)} could not tell {what} within {timeout:g} s"
                    f" (last error: {last!r}); raise NEWSWIRE_KAFKA_TIMEOUT_S for a slow machine."
                ) from last
            try:
                return _bounded(functools.partial(self._call_once, servers, call, left), left, what)
            except Exception as error:  # noqa: BLE001 - retried until the deadline
                last = error
                time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    def _call_once(self, servers: list[str], call, timeout: float) -> Any:
        from kafka.admin import KafkaAdminClient

        from streams.kafka.security import kafka_python_config

        with _quiet_kafka_python():
            admin = KafkaAdminClient(
                bootstrap_servers=servers,
                client_id="newswire-cluster-admin",
                bootstrap_timeout_ms=max(1000, int(timeout * 1000)),
                request_timeout_ms=max(1000, min(10_000, int(timeout * 1000))),
                **kafka_python_config(self.settings),
            )
            try:
                return call(admin)
            finally:
                with contextlib.suppress(Exception):
                    admin.close()

    def describe(self, topics: list[str] | None = None, timeout: float | None = None) -> dict[str, dict[int, dict]]:
        """Topic -> partition -> {"leader", "replicas", "isr"} (node ids; leader -1 while it has none)."""
        rows = self._admin_call(
            f"the partitions of {', '.join(topics) if topics else 'every topic'}",
            lambda admin: admin.describe_topics(topics),
            timeout,
        )
        found: dict[str, dict[int, dict]] = {}
        for row in rows:
            if row.get("error_code"):
                raise BrokerError(f"Topic {row.get('name')!r} could not be described (error code {row['error_code']}).")
            found[row["name"]] = {
                p["partition_index"]: {
                    "leader": p["leader_id"],
                    "replicas": sorted(p["replica_nodes"]),
                    "isr": sorted(p["isr_nodes"]),
                }
                for p in row["partitions"]
            }
        return found

    def leaders(self, topic: str, timeout: float | None = None) -> dict[int, int]:
        """Partition -> node id of its leader (-1: none)."""
        return {p: row["leader"] for p, row in self.describe([topic], timeout)[topic].items()}

    def leader(self, topic: str, partition: int, timeout: float | None = None) -> int:
        return self.leaders(topic, timeout)[partition]

    def coordinators(self, transactional_ids: list[str], timeout: float | None = None) -> dict[str, int]:
        """Transactional id -> node id of its transaction coordinator (FindCoordinator, key type 1).

        kafka-python 3.0.12 finds it as part of DescribeTransactions (its FindCoordinator helper is private),
        so an id must be known to its coordinator: a producer must have used it."""
        described = self._admin_call(
            f"the transaction coordinators of {', '.join(transactional_ids)}",
            lambda admin: admin.describe_transactions(transactional_ids),
            timeout,
        )
        return {tid: described[tid].coordinator_id for tid in transactional_ids}

    def coordinator(self, transactional_id: str, timeout: float | None = None) -> int:
        return self.coordinators([transactional_id], timeout)[transactional_id]

    def under_replicated(self, topics: list[str] | None = None, timeout: float | None = None) -> list[str]:
        """`topic[p]` of every partition whose in-sync replicas are fewer than its replicas."""
        return sorted(
            f"{topic}[{p}]"
            for topic, parts in self.describe(topics, timeout).items()
            for p, row in parts.items()
            if len(row["isr"]) < len(row["replicas"])
        )

    def wait_in_sync(self, topics: list[str] | None = None, timeout: float = 120) -> float:
        """Until every replica of `topics` (default: all, internal ones included) is in sync; the seconds it took.
        A restarted node catches up here."""
        started = time.monotonic()
        behind: list[str] = []  # the last answer: what the error names

        def in_sync() -> bool:
            behind[:] = self.under_replicated(topics)
            return not behind

        wait_until(
            in_sync,
            timeout,
            lambda: BrokerError(f"Replicas still out of sync after {timeout:g} s: {', '.join(behind[:20])}"),
            every=1,
            tolerate=(BrokerError,),
        )
        return time.monotonic() - started

    def status(self) -> dict[str, Any]:
        nodes = [node.status() | {"node_id": node.node_id} for node in self.nodes]
        return {
            "nodes": nodes,
            "running": sum(1 for n in nodes if n["running"]),
            "bootstrap_servers": self.bootstrap_servers,
            "replication": self.replication,
            "min_insync_replicas": self.min_insync,
            "data_dir": str(self.data_dir),
        }


def _bounded(call, timeout: float, what: str) -> Any:
    """`call()` in a daemon thread, waited for at most `timeout` seconds (kafka-python's admin has calls that
    can wait longer than its request timeout: connecting, metadata retries)."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = call()
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
            result["error"] = error

    worker = threading.Thread(target=run, name=f"cluster-admin: {what}", daemon=True)
    worker.start()
    worker.join(timeout + 1)
    if worker.is_alive():
        raise TimeoutError(f"no answer about {what} within {timeout:g} s")
    if "error" in result:
        raise result["error"]
    return result["value"]
