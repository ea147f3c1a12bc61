"""kafka-python clients for the CLI (publish, tail, topic set-up), configured from settings.

No wait without a deadline: every client made here bounds each call by NEWSWIRE_KAFKA_TIMEOUT_S
(`request_timeout_ms`), and past it raises `KafkaUnavailable` saying what it waited for, where and what
to do. kafka-python 3.0.12 leaves a few calls unbounded by default (`BoundedConsumer`, `BoundedProducer`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
    RequestTimedOutError,
    TopicAlreadyExistsError,
)

from streams.errors import NewswireError
from streams.kafka.plumbing import partition_lags, read_to_end, resume_offsets, wait_until
from streams.kafka.security import kafka_python_config, tls_problem, uses_sasl
from streams.settings import Settings


class KafkaUnavailable(NewswireError, RuntimeError):
    """No broker answered the bootstrap (or it refused the credentials)."""


def client_config(settings: Settings) -> dict:
    timeout_ms = int(settings.kafka_timeout_s * 1000)
    return {
        "bootstrap_servers": [s.strip() for s in settings.bootstrap_servers.split(",") if s.strip()],
        # fail fast with our message rather than after kafka-python's 30 s
        "bootstrap_timeout_ms": min(10_000, timeout_ms),
        "request_timeout_ms": timeout_ms,
        **kafka_python_config(settings),
    }


def unavailable(settings: Settings, waiting_for: str) -> KafkaUnavailable:
    """The error past a deadline: what was waited for, where, and what to do."""
    return KafkaUnavailable(
        f"no answer from Kafka at {settings.bootstrap_servers} within {settings.kafka_timeout_s:g} s while "
        f"waiting for {waiting_for}. Check that the brokers run and are reachable (the local one: "
        "`newswire broker start`), or raise NEWSWIRE_KAFKA_TIMEOUT_S for a slow cluster."
    )


#: what kafka-python raises when a broker does not answer in time or cannot be reached
_NO_ANSWER = (KafkaTimeoutError, NodeNotReadyError, KafkaConnectionError, RequestTimedOutError)


@contextmanager
def deadline(settings: Settings, waiting_for: str) -> Iterator[None]:
    """Turn kafka-python's timeouts and unreachable brokers into `unavailable(settings, waiting_for)`."""
    try:
        yield
    except _NO_ANSWER as error:
        raise unavailable(settings, waiting_for) from error


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
        hint = (
            " (or it refused the SASL credentials: check NEWSWIRE_SASL_USERNAME and NEWSWIRE_SASL_PASSWORD)"
            if uses_sasl(settings)
            else ""
        )
        raise KafkaUnavailable(
            f"no Kafka broker answers at {settings.bootstrap_servers}{hint}",
            "start the local one with `newswire broker start`, or set NEWSWIRE_BOOTSTRAP_SERVERS to your cluster",
        ) from None


class BoundedConsumer(KafkaConsumer):
    """kafka-python's consumer with a deadline on every call that waits for the broker.

    In kafka-python 3.0.12 `partitions_for_topic` and `topics` wait for the cluster's metadata without a
    timeout (`_fetch_all_topic_metadata`), and `committed` and `position` wait forever unless given one:
    here each waits at most `request_timeout_ms` (NEWSWIRE_KAFKA_TIMEOUT_S). Past it, and for the offset
    look-ups that are bounded already, KafkaUnavailable says what was waited for.
    """

    def __init__(self, *topics: str, settings: Settings, **configs) -> None:
        self._settings = settings
        super().__init__(*topics, **configs)

    def _fetch_all_topic_metadata(self) -> None:
        # The library's own, with a deadline on both waits (it passes None: forever).
        give_up = time.monotonic() + self.config["request_timeout_ms"] / 1000

        def wait(future) -> None:
            left_ms = max(1, int((give_up - time.monotonic()) * 1000))
            self._net.run(self._manager.wait_for, future, left_ms)

        if self._cluster.metadata_refresh_in_progress:
            wait(self._cluster.request_update())
        stash = self._cluster.need_all_topic_metadata
        self._cluster.need_all_topic_metadata = True
        try:
            wait(self._cluster.request_update())
        finally:
            self._cluster.need_all_topic_metadata = stash

    def partitions_for_topic(self, topic: str) -> set[int]:
        with deadline(self._settings, f"the partitions of topic {topic}"):
            return super().partitions_for_topic(topic)

    def topics(self) -> set[str]:
        with deadline(self._settings, "the list of topics"):
            return super().topics()

    def committed(self, partition, metadata=False, timeout_ms=None):
        group = self.config["group_id"]
        with deadline(
            self._settings, f"the committed offset of {partition.topic}[{partition.partition}] (group {group})"
        ):
            return super().committed(partition, metadata, timeout_ms or self.config["request_timeout_ms"])

    def position(self, partition, timeout_ms=None):
        with deadline(self._settings, f"the position in {partition.topic}[{partition.partition}]"):
            position = super().position(partition, timeout_ms or self.config["request_timeout_ms"])
        if position is None:  # kafka-python gives None when its deadline passed
            raise unavailable(self._settings, f"the position in {partition.topic}[{partition.partition}]")
        return position

    def end_offsets(self, partitions, timeout_ms=None):
        with deadline(self._settings, "the end offsets of " + _names(partitions)):
            return super().end_offsets(partitions, timeout_ms)

    def beginning_offsets(self, partitions, timeout_ms=None):
        with deadline(self._settings, "the first offsets of " + _names(partitions)):
            return super().beginning_offsets(partitions, timeout_ms)


class BoundedProducer(KafkaProducer):
    """kafka-python's producer with explicit deadlines: `send` waits at most NEWSWIRE_KAFKA_TIMEOUT_S for
    the topic's metadata (`max_block_ms`); a record not acknowledged within four times that
    (`delivery_timeout_ms`: kafka-python's 2 minutes by default) fails; `flush` and `close` wait no longer
    than that plus one request (kafka-python's default: forever), then KafkaUnavailable."""

    def __init__(self, settings: Settings, **configs) -> None:
        self._settings = settings
        super().__init__(**configs)

    @property
    def _drain_s(self) -> float:
        return (self.config["delivery_timeout_ms"] + self.config["request_timeout_ms"]) / 1000

    def send(self, topic, *args, **kwargs):
        with deadline(self._settings, f"the metadata of topic {topic}"):
            return super().send(topic, *args, **kwargs)

    def flush(self, timeout=None):
        with deadline(self._settings, "the broker's acknowledgement of the records sent"):
            super().flush(self._drain_s if timeout is None else timeout)

    def close(self, timeout=None, null_logger=False):
        with deadline(self._settings, "the broker's acknowledgement of the records sent"):
            super().close(self._drain_s if timeout is None else timeout, null_logger)


def _names(partitions) -> str:
    return ", ".join(sorted({f"{tp.topic}[{tp.partition}]" for tp in partitions})) or "no partitions"


def producer(settings: Settings, **overrides) -> BoundedProducer:
    timeout_ms = int(settings.kafka_timeout_s * 1000)
    config = {
        **client_config(settings),
        "acks": "all",
        "linger_ms": 5,
        "max_block_ms": timeout_ms,
        "delivery_timeout_ms": 4 * timeout_ms,
        **overrides,
    }
    with _reachable(settings):
        return BoundedProducer(settings, **config)


def consumer(settings: Settings, *topics: str, **overrides) -> BoundedConsumer:
    with _reachable(settings):
        return BoundedConsumer(*topics, settings=settings, **{**client_config(settings), **overrides})


def admin_client(settings: Settings) -> KafkaAdminClient:
    """An admin client: kafka-python bounds each of its requests by `request_timeout_ms` (wrap the calls in
    `deadline` for our message)."""
    with _reachable(settings):
        return KafkaAdminClient(**client_config(settings))


def create_missing_topics(settings: Settings, specs: dict[str, dict]) -> list[str]:
    """Create the topics of `specs` (name -> create_topics options) that do not exist; return their names.

    Waits until the broker lists them: a consumer that subscribes earlier is assigned without them.
    """
    admin = admin_client(settings)
    try:
        with deadline(settings, "the list of topics"):
            missing = {name: spec for name, spec in specs.items() if name not in set(admin.list_topics())}
        if missing:
            try:
                with deadline(settings, "the creation of topics " + ", ".join(sorted(missing))):
                    admin.create_topics(missing, wait_for_metadata=True)  # waits at most 10 s for the metadata
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
    """Per partition of `topic`: end offset minus the group's committed offset (`plumbing.lag`: never committed
    counts from the partition's first offset)."""
    reader = consumer(settings, group_id=group_id, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(reader.partitions_for_topic(topic) or [])]
        return {tp.partition: behind for tp, behind in partition_lags(reader, partitions).items()}
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
        behind = {tp: start for tp, start in resume_offsets(offsets, partitions).items() if start < ends[tp]}
        found = read_to_end(
            reader,
            {tp: ends[tp] for tp in behind},
            time.monotonic() + settings.kafka_timeout_s,
            lambda: unavailable(settings, f"the records of {topic} up to its end offsets"),
            starts=behind,
            timeout_ms=200,
        )
        return sum(1 for _ in found)
    finally:
        reader.close()
        offsets.close()


def wait_until_processed(settings: Settings, timeout: float = 120, tolerate: tuple = ()) -> None:
    """Until the worker group has committed every article (it commits only after emitting the events).

    `tolerate`: errors taken for "not yet" (a broker being restarted)."""
    wait_until(
        lambda: sum(group_lag(settings, settings.app_id, settings.topic_articles).values()) == 0,
        timeout,
        lambda: TimeoutError(f"the worker did not process {settings.topic_articles} within {timeout:.0f} s"),
        tolerate=tolerate,
    )
