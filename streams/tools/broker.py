"""The local Apache Kafka broker: resolve, format, start, wait, stop.

One real Apache Kafka node (``settings.kafka_version``) in KRaft combined mode
(``process.roles=broker,controller``, static ``controller.quorum.voters``), run with the
machine's Java. No Docker and no tarball: the jars come from Maven Central through
``deploy/kafka/pom.xml`` and ``mvn``, and are cached under
``settings.data_dir / "kafka-<version>" / "libs"``.

Files of one broker, all under its data dir (default ``settings.data_dir / "broker"``)::

    server.properties   written at every start (base config + extra_properties)
    cluster.id          the KRaft cluster id, kept so a restart keeps the data
    broker.pid          pid of the running java process
    broker.out          the JVM's stdout/stderr: warnings, errors, crashes
    logs/server.log     the broker's log (log4j2, deploy/kafka/log4j2.properties)
    kafka-logs/         the topic data and the metadata log (log.dirs)

A broker started by one process can be inspected and stopped by another (the pid file, and
a /proc scan for a ``kafka.Kafka`` process running this data dir's ``server.properties``).

    with LocalBroker() as broker:           # or broker.start() ... broker.stop()
        print(broker.bootstrap_servers)      # localhost:9092
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streams.errors import NewswireError
from streams.kafka.security import kafka_python_config, local_broker_format_args, local_broker_listener, tls_problem
from streams.settings import PROJECT_ROOT, Settings, get_settings

if TYPE_CHECKING:
    from streams.kafka.tls import BrokerTls

log = logging.getLogger(__name__)

KAFKA_RECIPE_DIR = PROJECT_ROOT / "deploy" / "kafka"
POM = KAFKA_RECIPE_DIR / "pom.xml"
LOG4J_CONFIG = KAFKA_RECIPE_DIR / "log4j2.properties"

MIN_JAVA = 17  # Apache Kafka 4.x brokers need Java 17 or newer
NODE_ID = 1
MAIN_CLASS = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"
MVN_TIMEOUT_S = 900
FORMAT_TIMEOUT_S = 120

# Kafka's own JVM defaults (bin/kafka-run-class.sh), minus JMX and GC logging.
JVM_OPTS = (
    "-server",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:MaxInlineLevel=15",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
    # Kafka shuts down in its own shutdown hook; log4j2's hook would stop logging mid-way.
    "-Dlog4j2.shutdownHookEnabled=false",
)

INSTALL_JAVA = "apt-get install openjdk-17-jre-headless"
INSTALL_MAVEN = "apt-get install maven"


class BrokerError(NewswireError, RuntimeError):
    """The local broker could not be installed, started, reached or stopped; the message says why."""


class LocalBroker:
    """A single-node Apache Kafka (KRaft, broker+controller) run from this project's data dir."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        data_dir: Path | None = None,
        port: int | None = None,
        controller_port: int | None = None,
        extra_properties: dict[str, str] | None = None,
        tls: BrokerTls | None = None,
        node_id: int = NODE_ID,
        quorum_voters: str | None = None,
        cluster_id: str | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        # One node of a cluster (streams/tools/cluster.py): its id, the shared static voters
        # ("1@localhost:9093,2@..."), the shared cluster id. Alone: node 1, voting for itself.
        self.node_id = int(node_id)
        self.quorum_voters = quorum_voters
        self._cluster_id = cluster_id
        self.kafka_version = self.settings.kafka_version
        self.data_dir = Path(data_dir or self.settings.data_dir / "broker").expanduser().resolve()
        self.port = int(port if port is not None else self.settings.broker_port)
        self.controller_port = int(controller_port if controller_port is not None else self.settings.controller_port)
        self.extra_properties = dict(extra_properties or {})
        self.tls = tls  # the broker's certificate, for an SSL or SASL_SSL client listener (streams/kafka/tls.py)
        self.heap = str(self.settings.broker_heap).strip()
        self._proc: subprocess.Popen[bytes] | None = None
        self._java_checked: str | None = None

    # -- paths ---------------------------------------------------------------------------

    @property
    def bootstrap_servers(self) -> str:
        return f"localhost:{self.port}"

    @property
    def kafka_home(self) -> Path:
        """Per-version cache of the resolved distribution (shared by every data dir)."""
        return Path(self.settings.data_dir).expanduser().resolve() / f"kafka-{self.kafka_version}"

    @property
    def libs_dir(self) -> Path:
        return self.kafka_home / "libs"

    @property
    def properties_path(self) -> Path:
        return self.data_dir / "server.properties"

    @property
    def pid_path(self) -> Path:
        return self.data_dir / "broker.pid"

    @property
    def stdout_path(self) -> Path:
        return self.data_dir / "broker.out"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def log_path(self) -> Path:
        return self.logs_dir / "server.log"

    @property
    def log_dirs(self) -> Path:
        return self.data_dir / "kafka-logs"

    @property
    def cluster_id_path(self) -> Path:
        return self.data_dir / "cluster.id"

    def __repr__(self) -> str:
        node = f"node {self.node_id}, " if self.quorum_voters else ""
        return f"LocalBroker({node}kafka {self.kafka_version}, {self.bootstrap_servers}, data_dir={self.data_dir})"

    # -- install -------------------------------------------------------------------------

    def install(self) -> Path:
        """Resolve the Kafka jars from Maven Central into the libs dir (once; cached) and return it."""
        libs = self.libs_dir
        fingerprint = self._install_fingerprint()
        if self._is_installed(libs, fingerprint):
            return libs
        mvn = shutil.which("mvn")
        if mvn is None:
            raise BrokerError(
                "Maven (`mvn`) is not installed or not on PATH; it resolves Apache Kafka "
                f"{self.kafka_version}'s jars from Maven Central. Install it: `{INSTALL_MAVEN}`."
            )
        self._java()  # mvn needs a JDK/JRE too; say so clearly if it is missing
        libs.parent.mkdir(parents=True, exist_ok=True)
        staging = libs.parent / f"libs.partial-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        cmd = [
            mvn,
            "-q",
            "-B",
            "-Dstyle.color=never",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
            f"-Dkafka.version={self.kafka_version}",
        ]
        log.info("resolving Apache Kafka %s from Maven Central into %s", self.kafka_version, libs)
        started = time.monotonic()
        try:
            done = subprocess.run(
                cmd,
                cwd=KAFKA_RECIPE_DIR,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=MVN_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise BrokerError(
                f"Resolving Apache Kafka {self.kafka_version} with Maven did not finish in {MVN_TIMEOUT_S} s. "
                "Is Maven Central reachable from this machine (proxy settings go in ~/.m2/settings.xml)?\n"
                f"command: {' '.join(cmd)}\n--- mvn output (last lines) ---\n{_tail_text(exc.stdout or b'')}"
            ) from None
        jars = sorted(staging.glob("*.jar")) if staging.is_dir() else []
        if done.returncode != 0 or not any(j.name.startswith("kafka_2.13-") for j in jars):
            shutil.rmtree(staging, ignore_errors=True)
            raise BrokerError(
                f"Resolving Apache Kafka {self.kafka_version} from Maven Central failed "
                f"(mvn exit code {done.returncode}). Check that Maven Central is reachable from this "
                "machine (proxy settings go in ~/.m2/settings.xml) and that "
                f"NEWSWIRE_KAFKA_VERSION={self.kafka_version} is a published release of "
                "org.apache.kafka:kafka_2.13.\n"
                f"command: {' '.join(cmd)}\n--- mvn output (last lines) ---\n{_tail_text(done.stdout)}"
            )
        (staging / ".resolved").write_text(fingerprint)
        if libs.exists():  # stale (other pom or version) or half-written: replace it
            if self._is_installed(libs, fingerprint):  # another process won the race
                shutil.rmtree(staging, ignore_errors=True)
                return libs
            old = libs.parent / f"libs.old-{os.getpid()}"
            os.replace(libs, old)
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.replace(staging, libs)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not self._is_installed(libs, fingerprint):
                raise
        log.info("resolved %d jars in %.1f s", len(jars), time.monotonic() - started)
        return libs

    def _install_fingerprint(self) -> str:
        pom_hash = hashlib.sha256(POM.read_bytes()).hexdigest()
        return f"kafka.version={self.kafka_version}\npom.sha256={pom_hash}\n"

    @staticmethod
    def _is_installed(libs: Path, fingerprint: str) -> bool:
        marker = libs / ".resolved"
        try:
            return marker.read_text() == fingerprint
        except OSError:
            return False

    # -- java ----------------------------------------------------------------------------

    def _java(self) -> str:
        """Path of a `java` new enough for Kafka (JAVA_HOME first, then PATH)."""
        if self._java_checked:
            return self._java_checked
        java_home = os.environ.get("JAVA_HOME")
        java = None
        if java_home and (Path(java_home) / "bin" / "java").is_file():
            java = str(Path(java_home) / "bin" / "java")
        java = java or shutil.which("java")
        if java is None:
            raise BrokerError(
                f"Java is not installed (no `java` on PATH or in JAVA_HOME); Apache Kafka "
                f"{self.kafka_version} needs Java {MIN_JAVA} or newer. Install it: `{INSTALL_JAVA}`."
            )
        try:
            out = subprocess.run(
                [java, "-version"], stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BrokerError(f"Could not run `{java} -version`: {exc}. Install Java: `{INSTALL_JAVA}`.") from None
        text = (out.stderr + out.stdout).decode(errors="replace")
        major = _java_major(text)
        if major is None:
            raise BrokerError(
                f"Could not tell the version of `{java}` (`java -version` said: {text.strip()[:300]!r}). "
                f"Apache Kafka needs Java {MIN_JAVA}+; install it: `{INSTALL_JAVA}`."
            )
        if major < MIN_JAVA:
            raise BrokerError(
                f"`{java}` is Java {major}, too old: Apache Kafka {self.kafka_version} needs Java {MIN_JAVA} "
                f"or newer. Install it (`{INSTALL_JAVA}`) and put it first on PATH or set JAVA_HOME "
                "(`update-alternatives --config java` switches the default)."
            )
        self._java_checked = java
        return java

    def _jvm_command(self, main_class: str, *args: str) -> list[str]:
        if not re.fullmatch(r"\d+[kKmMgG]?", self.heap):
            raise BrokerError(
                f"Invalid broker heap {self.heap!r}: use a JVM size such as 512m or 1g (NEWSWIRE_BROKER_HEAP)."
            )
        return [
            self._java(),
            f"-Xmx{self.heap}",
            f"-Xms{self.heap}",
            *JVM_OPTS,
            f"-Dkafka.logs.dir={self.logs_dir}",
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
            "-cp",
            f"{self.libs_dir}{os.sep}*",
            main_class,
            *args,
        ]

    # -- config and storage --------------------------------------------------------------

    def properties(self) -> dict[str, str]:
        """The broker's server.properties: the single-node base, then extra_properties on top."""
        props = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": self.quorum_voters or f"{self.node_id}@localhost:{self.controller_port}",
            "listeners": f"PLAINTEXT://localhost:{self.port},CONTROLLER://localhost:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://localhost:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.log_dirs),
            "num.partitions": "4",
            "auto.create.topics.enable": "true",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
        }
        props |= local_broker_listener(self.settings, self.port, self.controller_port, self.tls)
        for key, value in self.extra_properties.items():
            if value is None:  # tolerated: None removes a base property
                props.pop(key, None)
            else:
                props[key] = str(value)
        return props

    def write_properties(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        lines = [f"# written by streams/tools/broker.py for {self!r}; rewritten at every start"]
        lines += [f"{_escape_property(k)}={_escape_property(v)}" for k, v in self.properties().items()]
        _write_atomic(self.properties_path, "\n".join(lines) + "\n")
        return self.properties_path

    def cluster_id(self) -> str:
        """The KRaft cluster id of this data dir: kept in cluster.id, else taken from an existing
        meta.properties, else a new random one (a cluster's node: the cluster's, given)."""
        if self._cluster_id:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            _write_atomic(self.cluster_id_path, self._cluster_id + "\n")
            return self._cluster_id
        with contextlib.suppress(OSError):
            cid = self.cluster_id_path.read_text().strip()
            if cid:
                return cid
        cid = _meta_cluster_id(self.log_dirs / "meta.properties") or _new_cluster_id()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.cluster_id_path, cid + "\n")
        return cid

    def format_storage(self) -> None:
        """`kafka-storage format` the log dir (static voters: no --standalone); skipped if formatted."""
        if (self.log_dirs / "meta.properties").is_file():
            return
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        cmd = self._jvm_command(
            STORAGE_TOOL,
            "format",
            "--config",
            str(self.properties_path),
            "--cluster-id",
            self.cluster_id(),
            "--ignore-formatted",
            *local_broker_format_args(self.settings),
        )
        # The tool needs little heap; the broker's -Xms would only slow it down.
        cmd = [a for a in cmd if not a.startswith(("-Xms", "-Xmx"))]
        cmd.insert(1, "-Xmx128m")
        try:
            done = subprocess.run(
                cmd,
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=FORMAT_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise BrokerError(
                f"Formatting the Kafka storage in {self.log_dirs} took over {FORMAT_TIMEOUT_S} s."
            ) from None
        if done.returncode != 0:
            raise BrokerError(
                f"Formatting the Kafka storage in {self.log_dirs} failed (exit code {done.returncode}). "
                f"A bad broker property (see {self.properties_path}) shows up below as a ConfigException; "
                f"a log dir of another cluster is fixed by removing {self.log_dirs}.\n"
                f"--- kafka-storage output (last lines) ---\n{_tail_text(done.stdout)}"
            )

    # -- ports ---------------------------------------------------------------------------

    def check_ports(self) -> None:
        """Raise a BrokerError if the client or controller port is taken by anything else."""
        if self.port == self.controller_port:
            raise BrokerError(
                f"The broker port and the controller port are both {self.port}; they must differ "
                "(set NEWSWIRE_BROKER_PORT and NEWSWIRE_CONTROLLER_PORT)."
            )
        for port, what, setting in (
            (self.port, "client port", "NEWSWIRE_BROKER_PORT"),
            (self.controller_port, "KRaft controller port", "NEWSWIRE_CONTROLLER_PORT"),
        ):
            if _port_free(port):
                continue
            holder = _port_holder(port)
            by = f" by {holder}" if holder else ""
            hint = ""
            if port == self.port:
                hint = (
                    " If that is a Kafka broker you run yourself, use it instead of the local one: "
                    f"NEWSWIRE_BOOTSTRAP_SERVERS=localhost:{port}."
                )
            raise BrokerError(
                f"Port {port} (the local broker's {what}) is already in use{by}, and not by this "
                f"project's broker in {self.data_dir}. Stop that program, or choose a free port with "
                f"{setting}=<port>.{hint}"
            )

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, timeout: float = 60) -> None:
        """Install (cached), format (once), start the broker and wait until it answers metadata.

        A broker of this data dir that is already running is only waited for."""
        launched = self.launch()
        try:
            self.wait_ready(timeout)
        except BrokerError:
            if launched:
                self._terminate(grace=10)
            raise

    def launch(self) -> bool:
        """Install (cached), format (once) and start the broker's process, without waiting for it (a
        cluster's nodes are ready only once a majority of the controllers runs). False when it ran already."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with _file_lock(self.data_dir / ".lock"):
            if self.pid() is not None:
                return False
            self.check_ports()
            self.install()
            self.write_properties()
            self.format_storage()
            self.logs_dir.mkdir(parents=True, exist_ok=True)
            cmd = self._jvm_command(MAIN_CLASS, str(self.properties_path))
            log.info(
                "starting Apache Kafka %s on %s (data in %s)", self.kafka_version, self.bootstrap_servers, self.data_dir
            )
            with open(self.stdout_path, "wb") as out:
                self._proc = subprocess.Popen(
                    cmd,
                    cwd=self.data_dir,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    close_fds=True,
                )
            _write_atomic(self.pid_path, f"{self._proc.pid}\n")
        return True

    def wait_ready(self, timeout: float = 60) -> None:
        """Block until the broker answers a metadata request; raise BrokerError if its process
        exits or the timeout passes."""
        deadline = time.monotonic() + timeout
        while True:
            if self.is_ready():
                return
            if self.pid() is None:
                expected = _read_pid(self.pid_path)
                code = None
                if self._proc is not None and self._proc.pid == expected:
                    code = self._proc.poll()
                self._remove_pid_file()
                what = (
                    "is not running (start it: `newswire broker start`)"
                    if code is None
                    else f"exited during startup (exit code {code})"
                )
                raise BrokerError(f"The Kafka broker of {self.data_dir} {what}.\n{self._log_report()}")
            if time.monotonic() >= deadline:
                problem = tls_problem(self.settings.model_copy(update={"bootstrap_servers": self.bootstrap_servers}))
                raise BrokerError(
                    f"The Kafka broker on {self.bootstrap_servers} did not answer a metadata request "
                    f"within {timeout:g} s{f' ({problem})' if problem else ''}.\n{self._log_report()}"
                )
            time.sleep(0.25)

    def is_ready(self) -> bool:
        """One quick metadata round trip: does the broker list itself, unfenced?"""
        if not _port_accepts(self.port):  # cheap, and spares kafka-python's connection-refused noise
            return False
        try:
            from kafka.admin import KafkaAdminClient
        except ImportError as exc:  # pragma: no cover - kafka-python is a dependency
            raise BrokerError(f"kafka-python is needed to probe the broker: {exc}") from None
        with _quiet_kafka_python():
            return self._probe(KafkaAdminClient)

    def _probe(self, admin_class: Any) -> bool:
        try:
            admin = admin_class(
                bootstrap_servers=self.bootstrap_servers,
                client_id="newswire-broker-probe",
                bootstrap_timeout_ms=3000,
                request_timeout_ms=3000,
                **kafka_python_config(self.settings),
            )
        except Exception:  # noqa: BLE001 - any failure means "not ready yet"
            return False
        try:
            cluster = admin.describe_cluster()
            return any(
                b.get("broker_id") == self.node_id and not b.get("is_fenced", False) for b in cluster.get("brokers", [])
            )
        except Exception:  # noqa: BLE001
            return False
        finally:
            with contextlib.suppress(Exception):
                admin.close()

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM the broker (controlled shutdown), SIGKILL it after `timeout`; works for a
        broker started by another process. No-op when it is not running."""
        self._terminate(grace=timeout)

    def kill(self) -> None:
        """SIGKILL the broker, no shutdown (for fault tests); the next start recovers its logs."""
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            if not self._wait_gone(pid, 10):
                raise BrokerError(f"The Kafka broker (pid {pid}) did not die after SIGKILL.")
        self._remove_pid_file()

    def _terminate(self, grace: float) -> None:
        pid = self.pid()
        if pid is not None:
            log.info("stopping the Kafka broker (pid %d)", pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            if not self._wait_gone(pid, grace):
                log.warning("the Kafka broker (pid %d) did not stop in %g s; killing it", pid, grace)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                if not self._wait_gone(pid, 10):
                    raise BrokerError(f"The Kafka broker (pid {pid}) did not die after SIGKILL.")
        self._remove_pid_file()

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            if self._proc is not None and self._proc.pid == pid:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._proc.wait(timeout=0.1)  # reap our own child
            if not _is_broker_process(pid, self.properties_path):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)

    def _remove_pid_file(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.pid_path.unlink()

    # -- inspection ----------------------------------------------------------------------

    def pid(self) -> int | None:
        """Pid of this data dir's running broker (from the pid file, else a /proc scan), or None."""
        pid = _read_pid(self.pid_path)
        if pid is not None and _is_broker_process(pid, self.properties_path):
            return pid
        return _find_broker_process(self.properties_path)

    def is_running(self) -> bool:
        return self.pid() is not None

    def status(self) -> dict[str, Any]:
        pid = self.pid()
        return {
            "running": pid is not None,
            "pid": pid,
            "ready": pid is not None and self.is_ready(),
            "bootstrap_servers": self.bootstrap_servers,
            "log": str(self.log_path),
            "data_dir": str(self.data_dir),
            "kafka_version": self.kafka_version,
        }

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the JVM's stdout (warnings, errors, crashes), else of server.log."""
        for path in (self.stdout_path, self.log_path):
            text = _tail_file(path, lines)
            if text.strip():
                return text
        return ""

    def _log_report(self) -> str:
        tail = self.log_tail()
        body = f"--- last lines ---\n{tail}" if tail else "(the broker wrote no log)"
        return f"Logs: {self.stdout_path} and {self.log_path}\n{body}"

    # -- context manager -----------------------------------------------------------------

    def __enter__(self) -> LocalBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- helpers --------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port free on this machine right now (for brokers and workers of tests, bench and soak)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _java_major(version_output: str) -> int | None:
    """17 from 'openjdk version "17.0.15" ...', 8 from 'java version "1.8.0_392"'."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):
        major = int(match.group(2))
    return major


def _new_cluster_id() -> str:
    """A Kafka Uuid as Kafka prints it: 22 url-safe base64 chars (never starting with '-')."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _meta_cluster_id(meta: Path) -> str | None:
    with contextlib.suppress(OSError):
        for line in meta.read_text().splitlines():
            if line.startswith("cluster.id="):
                return line.split("=", 1)[1].strip() or None
    return None


def _escape_property(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("\n", "\\n")


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _cmdline(pid: int) -> list[str] | None:
    """The argv of a live (non-zombie) process, or None."""
    proc = Path("/proc") / str(pid)
    if Path("/proc/self").exists():
        try:
            stat = (proc / "stat").read_text()
            if stat[stat.rfind(")") + 2 :].startswith(("Z", "X")):  # zombie or dead
                return None
            raw = (proc / "cmdline").read_bytes()
        except OSError:
            return None
        return [a.decode(errors="replace") for a in raw.split(b"\0") if a] or None
    try:  # no /proc (macOS): ask ps
        out = subprocess.run(["ps", "-o", "stat=,args=", "-p", str(pid)], capture_output=True, text=True, check=False)
    except OSError:
        return None
    text = out.stdout.strip()
    if out.returncode != 0 or not text or text.startswith("Z"):
        return None
    return text.split()[1:]


def _is_broker_process(pid: int, properties: Path) -> bool:
    argv = _cmdline(pid)
    return bool(argv) and MAIN_CLASS in argv and str(properties) in argv


def _find_broker_process(properties: Path) -> int | None:
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    for entry in proc.iterdir():
        if entry.name.isdigit() and _is_broker_process(int(entry.name), properties):
            return int(entry.name)
    return None


def _port_free(port: int) -> bool:
    """Can a listener bind localhost:port? (SO_REUSEADDR, as the JVM sets, so TIME_WAIT is no obstacle)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def _port_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _port_holder(port: int) -> str | None:
    """Best effort, Linux: 'pid 123 (python3 -m http.server)' of the process listening on port."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    if not inodes:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in targets:
                        argv = _cmdline(int(entry.name)) or []
                        return f"pid {entry.name} ({' '.join(argv)[:120]})"
    return None


def _tail_text(data: bytes | str, lines: int = 30) -> str:
    text = data.decode(errors="replace") if isinstance(data, bytes) else data
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _tail_file(path: Path, lines: int = 40) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64 * 1024))
            return "\n".join(deque(fh.read().decode(errors="replace").splitlines(), maxlen=lines))
    except OSError:
        return ""


@contextlib.contextmanager
def _quiet_kafka_python():
    """kafka-python logs every connect and bootstrap at INFO; a readiness probe is not news.
    Only touches the `kafka` logger when nobody configured it."""
    logger = logging.getLogger("kafka")
    if logger.level != logging.NOTSET:
        yield
        return
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(logging.NOTSET)


@contextlib.contextmanager
def _file_lock(path: Path):
    """An exclusive advisory lock, so two `newswire broker start` don't race on one data dir."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
