"""Exactly-once for the article agent: one Kafka transaction per input partition and batch.

The events and dead letters of a batch's articles from partition p, the `seen` records of those articles,
and p's consumer offset commit together, in one transaction of the producer `{app id}-articles-{p}`, or
not at all. A transactional id per input partition is Kafka's classic zombie fencing: the worker that
takes p over starts a producer with the same id, which fences the previous owner and ends its open
transaction. Only then does it read p's committed offset and p's seen-articles state, so it resumes
exactly where the last committed transaction ended; records below that offset (delivered again after a
crash or a failed commit) are skipped.

`seen` (topic `{app id}-articles-seen`, compacted, partitioned like news.articles) maps an article id to
the offset and time of its first record: a later record with the same id within the horizon is a
re-publication, counted as a duplicate and not analysed again. `SeenArticles` is that state's one owner.

Who writes what: `ArticleTransactions.commit` (its steps numbered) alone moves a partition's committed
offset; `SeenArticles` alone changes its seen articles. The agent reads the offset, asks `SeenArticles.check`
and says per record what it sends (`Work`, with its `Outcome`).
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import json
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import kafka.errors
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, ProducerFenced
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from kafka import TopicPartition

from streams.kafka import clients
from streams.kafka.plumbing import read_to_end
from streams.kafka.security import faust_credentials, ssl_context
from streams.runtime import metrics
from streams.runtime.faust_compat.partition_reader import PartitionReader
from streams.settings import Settings

log = logging.getLogger(__name__)

RETRY_BACKOFF_S = (0.5, 1, 2, 5, 10)
#: what a broker that is away or restarting raises, here or in kafka-python (offsets, seen state)
RETRIABLE = (KafkaError, kafka.errors.KafkaError, clients.KafkaUnavailable, OSError, asyncio.TimeoutError)

#: article id -> (offset, time) of its first record in its partition
SeenEntry = tuple[str, tuple[int, float]]


class Outcome(enum.Enum):
    """What happened to one record of news.articles. The value is the `outcome` label of
    newswire_articles_processed_total (streams.runtime.metrics), counted once the record's transaction committed."""

    EMITTED = "ok"  # analysed: its events are sent
    REPUBLISHED = "duplicate"  # an article seen before in its partition, within the horizon: nothing sent
    DEAD_LETTERED = "dead_lettered"  # rejected by intake or by the analysis: its dead letter is sent
    SKIPPED = "skipped"  # left out of the transaction: done already, or its partition was revoked (not counted)


@dataclass
class Outgoing:
    """One record to send in a partition's transaction."""

    topic: str
    key: bytes | None
    value: bytes | None
    timestamp: float | None = None
    headers: list[tuple[str, bytes]] | None = None


@dataclass
class Work:
    """One input record: what happened to it, what to send for it, and its seen entry (when it was analysed)."""

    offset: int
    records: list[Outgoing]
    seen: SeenEntry | None = None
    outcome: Outcome = Outcome.EMITTED
    analysis: dict | None = None
    timestamp: float | None = None
    metadata: tuple = ()  # what intake normalised or dropped (metrics: streams.runtime.metrics.count_metadata)


class SeenArticles:
    """Re-publish detection for one input partition, and the only writer of its state: article id -> the
    offset and time of its first record, within the horizon.

    Filled from the seen topic when the partition is opened (`replay`), asked by the agent for each article
    (`check`, which notes a first sighting at once: a failed commit re-reads the state from Kafka), told what
    a transaction committed (`committed`). Memory stays bounded by the horizon (the topic by its retention).
    """

    PRUNE_EVERY_S = 600

    def __init__(self, horizon_s: float) -> None:
        self.horizon_s = horizon_s
        self._first: dict[str, tuple[int, float]] = {}
        self._pruned_at = time.monotonic()

    def __len__(self) -> int:
        return len(self._first)

    def check(self, article_id: str, offset: int, at: float) -> SeenEntry | None:
        """None when the record at `offset` (published at `at`) re-publishes an article seen within the horizon;
        else its seen entry, which is noted here (and is to be committed with the record)."""
        first = self._first.get(article_id)
        if first is not None and first[0] != offset and at - first[1] <= self.horizon_s:
            return None
        self._first[article_id] = (offset, at)
        return article_id, (offset, at)

    def committed(self, entries: Iterable[SeenEntry]) -> None:
        """The seen entries of a committed transaction (again, if this state was re-read since `check`)."""
        self._first.update(entries)
        if time.monotonic() - self._pruned_at > self.PRUNE_EVERY_S:
            oldest = time.time() - self.horizon_s
            self._first = {k: v for k, v in self._first.items() if v[1] >= oldest}
            self._pruned_at = time.monotonic()

    def replay(self, key: bytes, value: bytes | None, oldest: float) -> None:
        """Apply one record of the seen topic (read in offset order); entries older than `oldest` are left out."""
        if value is None:
            self._first.pop(key.decode("utf-8"), None)
            return
        first = json.loads(value)
        if first["at"] >= oldest:
            self._first[key.decode("utf-8")] = (first["offset"], first["at"])

    @staticmethod
    def record(entry: SeenEntry) -> tuple[bytes, bytes]:
        """The key and value of `entry` in the seen topic (what `replay` reads)."""
        article_id, (offset, at) = entry
        return article_id.encode("utf-8"), json.dumps({"offset": offset, "at": at}).encode()


@dataclass
class PartitionState:
    producer: AIOKafkaProducer | None
    next_offset: int | None  # the committed offset: the next record to process (None: nothing committed yet)
    seen: SeenArticles


def seen_topic(settings: Settings) -> str:
    return f"{settings.app_id}-articles-seen"


@runtime_checkable
class Transactions(Protocol):
    """What the article agent (streams/runtime/agents.py) needs of its transactions: ArticleTransactions here,
    an in-memory stand-in in the agent tests; tests/runtime/test_agents.py checks that both are exactly this."""

    owns: Callable[[Any], bool]  # tp -> is it assigned to this worker now

    async def state(self, tp) -> PartitionState: ...

    async def read_range(self, tp, start: int, end: int) -> list: ...

    async def bounds(self, tp) -> tuple[int, int]: ...

    async def commit(self, tp, work: list[Work]) -> list[Work]: ...

    async def release(self, tps) -> None: ...

    async def close(self) -> None: ...


def _skip(work: Iterable[Work]) -> None:
    for item in work:
        item.outcome = Outcome.SKIPPED


class ArticleTransactions:
    """The transactional producers and seen-articles state of the input partitions this worker owns."""

    def __init__(self, settings: Settings, group_id: str, owns=lambda tp: True) -> None:
        self.settings = settings
        self.group_id = group_id
        self.owns = owns  # tp -> is it assigned to this worker now
        self.horizon_s = settings.dedup_horizon_hours * 3600
        self._states: dict[Any, PartitionState] = {}
        self._locks: dict[Any, asyncio.Lock] = {}
        # kafka-python clients are not thread-safe: one thread owns them.
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="transactions")
        self._seen_reader = None
        self.reader = PartitionReader(settings, group_id)

    # --- committing ---------------------------------------------------------------------------

    async def commit(self, tp, work: list[Work]) -> list[Work]:
        """Commit the outcome of input records of `tp` (in offset order) in one transaction with their offset.

        Returns the work committed; the rest is marked `Outcome.SKIPPED` (below the partition's committed
        offset: done already, here or by a previous owner; or all of it, when the partition is no longer this
        worker's). A broker error or fencing aborts the transaction and starts again at step 1 with a fresh
        producer, which re-reads the committed offset: the records are deterministic, so a retry sends the same.
        """
        deadline = time.monotonic() + self.settings.processing_timeout_s
        for attempt in itertools.count():
            # 1. Still ours? Otherwise its new owner resumes from the committed offset.
            if not self.owns(tp):
                await self.release([tp])
                _skip(work)
                return []
            # 2. The partition's producer and state: opening them fences a previous owner and reads the
            #    committed offset and the seen articles.
            state = await self.state(tp)
            # 3. Leave out what is below the committed offset.
            todo = [w for w in work if state.next_offset is None or w.offset >= state.next_offset]
            if not todo:
                _skip(work)
                return []
            producer, started = state.producer, time.perf_counter()
            try:
                # aiokafka's sends and commit wait for the coordinator without a deadline: a stuck
                # transaction is aborted and retried (asyncio.TimeoutError is RETRIABLE).
                async with asyncio.timeout(self.settings.kafka_timeout_s):
                    # 4. Begin the transaction.
                    await producer.begin_transaction()
                    try:
                        # 5. Send each record's events or dead letter, and its seen entry (in p's partition).
                        delivered = []
                        for item in todo:
                            for record in item.records:
                                delivered.append(
                                    await producer.send(
                                        record.topic,
                                        record.value,
                                        key=record.key,
                                        headers=record.headers,
                                        timestamp_ms=int(record.timestamp * 1000) if record.timestamp else None,
                                    )
                                )
                            if item.seen:
                                key, value = SeenArticles.record(item.seen)
                                delivered.append(
                                    await producer.send(
                                        seen_topic(self.settings), value, key=key, partition=tp.partition
                                    )
                                )
                        # 6. Every record acknowledged before the commit: aiokafka's commit_transaction does
                        #    not wait for batches still being retried (Kafka 4 answers NOT_ENOUGH_REPLICAS while
                        #    it verifies a transaction), and a batch that lands after the commit marker is lost.
                        await asyncio.gather(*delivered)
                        # 7. The input offset, in the same transaction.
                        await producer.send_offsets_to_transaction({tp: todo[-1].offset + 1}, self.group_id)
                        # 8. Commit.
                        await producer.commit_transaction()
                    except BaseException:
                        try:
                            await asyncio.wait_for(producer.abort_transaction(), 10)
                        except Exception:  # noqa: BLE001 - the producer is dropped; a new one ends the transaction
                            pass
                        raise
            except RETRIABLE as error:
                # A new producer ends the failed transaction and re-reads the offset: back to step 1.
                await self.release([tp])
                why = "fenced by another producer" if isinstance(error, ProducerFenced) else "failed"
                await self._pause(tp, f"transaction {why}", error, attempt, deadline)
                continue
            # 9. Committed: the partition moves on.
            metrics.TRANSACTION_SECONDS.observe(time.perf_counter() - started)
            state.next_offset = todo[-1].offset + 1
            state.seen.committed(w.seen for w in todo if w.seen)
            _skip(w for w in work if w.offset < todo[0].offset)
            return todo

    # --- the state of one partition -----------------------------------------------------------

    async def state(self, tp) -> PartitionState:
        """The partition's producer and state, opened at first use (retried while the broker is away)."""
        deadline = time.monotonic() + self.settings.processing_timeout_s
        lock = self._locks.setdefault(tp, asyncio.Lock())
        async with lock:
            for attempt in itertools.count():
                if tp in self._states:
                    return self._states[tp]
                try:
                    self._states[tp] = await self._open(tp)
                except RETRIABLE as error:
                    await self._pause(tp, "could not start its transactional producer", error, attempt, deadline)

    @staticmethod
    async def _pause(tp, what: str, error: BaseException, attempt: int, deadline: float) -> None:
        if time.monotonic() > deadline:
            raise error
        pause = RETRY_BACKOFF_S[min(attempt, len(RETRY_BACKOFF_S) - 1)]
        log.warning(
            "%s[%d]: %s (%s: %s); retrying in %.1f s", tp.topic, tp.partition, what, type(error).__name__, error, pause
        )
        await asyncio.sleep(pause)

    async def _open(self, tp) -> PartitionState:
        producer = AIOKafkaProducer(
            bootstrap_servers=[s.strip() for s in self.settings.bootstrap_servers.split(",") if s.strip()],
            transactional_id=f"{self.settings.app_id}-articles-{tp.partition}",
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            max_request_size=self.settings.max_article_bytes + (1 << 20),
            request_timeout_ms=int(self.settings.kafka_timeout_s * 1000),
            **credentials_to_aiokafka_auth(faust_credentials(self.settings), ssl_context(self.settings)),
        )
        loop = asyncio.get_running_loop()
        try:
            # InitProducerId: fences the previous owner, ends its open transaction. aiokafka retries it
            # without a deadline while no transaction coordinator answers: ours is NEWSWIRE_KAFKA_TIMEOUT_S.
            await asyncio.wait_for(producer.start(), self.settings.kafka_timeout_s)
            next_offset = await self.reader.committed(tp)
            seen = await loop.run_in_executor(self._io, self._load_seen, tp.partition)
        except BaseException:
            try:
                await asyncio.wait_for(producer.stop(), self.settings.kafka_timeout_s)
            except Exception:  # noqa: BLE001 - the error that stopped the start is the one to report
                pass
            raise
        log.info(
            "%s[%d]: transactional producer ready; resuming at offset %s, %d articles seen within the horizon",
            tp.topic,
            tp.partition,
            next_offset,
            len(seen),
        )
        return PartitionState(producer, next_offset, seen)

    def _load_seen(self, partition: int) -> SeenArticles:
        """Replay partition `partition` of the seen topic (committed records only), within the horizon."""
        if self._seen_reader is None:
            self._seen_reader = clients.consumer(
                self.settings, enable_auto_commit=False, isolation_level="read_committed"
            )
        reader = self._seen_reader
        part = TopicPartition(seen_topic(self.settings), partition)
        end = reader.end_offsets([part])[part]
        oldest = time.time() - self.horizon_s
        seen = SeenArticles(self.horizon_s)
        for _, record in read_to_end(
            reader,
            {part: end},
            time.monotonic() + 120,
            lambda: TimeoutError(f"could not read {part.topic}[{partition}] up to offset {end} within 120 s"),
            timeout_ms=500,
        ):
            seen.replay(record.key, record.value, oldest)
        return seen

    async def read_range(self, tp, start: int, end: int) -> list:
        """The records of `tp` in [start, end) that Faust skipped (streams.runtime.faust_compat.partition_reader)."""
        return await self.reader.read_range(tp, start, end)

    async def bounds(self, tp) -> tuple[int, int]:
        """The first offset Kafka holds of input partition `tp`, and its end."""
        return await self.reader.bounds(tp)

    # --- ownership ----------------------------------------------------------------------------

    async def release(self, tps) -> None:
        """Forget the partitions `tps` (revoked, or after a failed transaction); stop their producers."""
        for tp in list(tps):
            state = self._states.pop(tp, None)
            if state is not None:
                try:
                    await asyncio.wait_for(state.producer.stop(), 30)
                except Exception as error:  # noqa: BLE001 - a fenced or disconnected producer may fail to stop
                    log.debug("stopping the producer of %s: %s", tp, error)

    async def close(self) -> None:
        await self.release(list(self._states))
        if self._seen_reader is not None:
            await asyncio.get_running_loop().run_in_executor(self._io, self._seen_reader.close)
        await self.reader.close()
        self._io.shutdown(wait=False)
