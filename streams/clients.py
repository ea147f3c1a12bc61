"""kafka-python clients for the CLI (publish, tail, topic set-up), configured from settings."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaTimeoutError, TopicAlreadyExistsError

from streams.security import kafka_python_config, tls_problem, uses_sasl
from streams.settings import Settings


class KafkaUnavailable(RuntimeError):
    pass


def client_config(settings: Settings) -> dict:
    return {
        "bootstrap_servers": [s.strip() for s in settings.bootstrap_servers.split(",") if s.strip()],
        "bootstrap_timeout_ms": 10_000,  # fail fast with our message rather than after kafka-python's 30 s
        **kafka_python_config(settings),
    }


@contextmanager
def _reachable(settings: Settings) -> Iterator[None]:
    """Turn kafka-python's bootstrap timeout into an error that says what to do."""
    try:
        yield
    except KafkaTimeoutError as error:
        if "bootstrap" not in str(error):
            raise
        problem = tls_problem(settings)  # a wrong CA or a missing client certificate looks like a timeout
        if problem:
            raise KafkaUnavailable(problem) from None
        hint = (" (or it refused the SASL credentials: check NEWSWIRE_SASL_USERNAME and NEWSWIRE_SASL_PASSWORD)"
                if uses_sasl(settings) else "")
        raise KafkaUnavailable(
            f"no Kafka broker answers at {settings.bootstrap_servers}{hint}. Start the local one with "
            "`newswire broker start`, or set NEWSWIRE_BOOTSTRAP_SERVERS to your cluster."
        ) from None


def producer(settings: Settings, **overrides) -> KafkaProducer:
    with _reachable(settings):
        return KafkaProducer(**client_config(settings), acks="all", linger_ms=5, **overrides)


def consumer(settings: Settings, *topics: str, **overrides) -> KafkaConsumer:
    with _reachable(settings):
        return KafkaConsumer(*topics, **client_config(settings), **overrides)


def admin_client(settings: Settings) -> KafkaAdminClient:
    with _reachable(settings):
        return KafkaAdminClient(**client_config(settings))


def create_missing_topics(settings: Settings, specs: dict[str, dict]) -> list[str]:
    """Create the topics of `specs` (name -> create_topics options) that do not exist; return their names.

    Waits until the broker lists them: a consumer that subscribes earlier is assigned without them.
    """
    admin = admin_client(settings)
    try:
        missing = {name: spec for name, spec in specs.items() if name not in set(admin.list_topics())}
        if missing:
            try:
                admin.create_topics(missing, wait_for_metadata=True)
            except TopicAlreadyExistsError:
                pass  # another process created it first: fine
        return sorted(missing)
    finally:
        admin.close()


def ensure_topics(settings: Settings, names: list[str] | None = None, partitions: int | None = None) -> list[str]:
    """Create the pipeline's topics that do not exist yet; return the names created."""
    names = names or [settings.topic_articles, *settings.output_topics, settings.topic_dlq]
    spec = {"num_partitions": partitions or settings.topic_partitions, "replication_factor": settings.topic_replication}
    return create_missing_topics(settings, {name: dict(spec) for name in names})


def group_lag(settings: Settings, group_id: str, topic: str) -> dict[int, int]:
    """Per partition of `topic`: end offset minus the group's committed offset (no commit yet: all)."""
    reader = consumer(settings, group_id=group_id, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(reader.partitions_for_topic(topic) or [])]
        ends = reader.end_offsets(partitions)
        return {tp.partition: ends[tp] - (reader.committed(tp) or 0) for tp in partitions}
    finally:
        reader.close()


def unconsumed(settings: Settings, group_id: str, topic: str) -> int:
    """Committed records of `topic` after the group's committed offsets.

    Unlike `group_lag` it is exact on a transactional topic, where each transaction's commit marker takes
    an offset that a consumer committing "last record + 1" (Faust) never passes.
    """
    offsets = consumer(settings, group_id=group_id, enable_auto_commit=False)
    reader = consumer(settings, enable_auto_commit=False, isolation_level="read_committed")
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(offsets.partitions_for_topic(topic) or [])]
        ends = reader.end_offsets(partitions)
        behind = {tp: offsets.committed(tp) or 0 for tp in partitions}
        behind = {tp: start for tp, start in behind.items() if start < ends[tp]}
        if not behind:
            return 0
        reader.assign(list(behind))
        for tp, start in behind.items():
            reader.seek(tp, start)
        count, deadline = 0, time.monotonic() + 30
        while any(reader.position(tp) < ends[tp] for tp in behind) and time.monotonic() < deadline:
            for tp, records in reader.poll(timeout_ms=200).items():
                count += sum(1 for record in records if record.offset < ends[tp])
        return count
    finally:
        reader.close()
        offsets.close()


def wait_until_processed(settings: Settings, timeout: float = 120) -> None:
    """Until the worker group has committed every article (it commits only after emitting the events)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(group_lag(settings, settings.app_id, settings.topic_articles).values()) == 0:
            return
        time.sleep(0.5)
    raise TimeoutError(f"the worker did not process {settings.topic_articles} within {timeout:.0f} s")
