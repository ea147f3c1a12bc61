"""Partitions read straight from Kafka, beside Faust's consumer, to make up for the records it drops.

Faust (faust-streaming) can drop records around a rebalance: a record it had fetched moves its read offset
on even when the rebalance stops it from being delivered, and when the fetcher is then sought back to the
committed offset, the copies fetched again are dropped as already read (faust-streaming issues #216, #221).
The article agent checks every record of news.articles against the committed offset of its transactions
and reads a hole back with `PartitionReader.read_range` (`in_order`); the table agent, whose input has a gap
at every transaction marker, uses `CatchUp`. Both read `read_committed`, so aborted records and markers are not in
what they read back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import SimpleNamespace

from kafka import TopicPartition

from streams.kafka import clients
from streams.kafka.plumbing import read_to_end
from streams.settings import Settings

log = logging.getLogger(__name__)


class PartitionReader:
    def __init__(self, settings: Settings, group_id: str, max_record_bytes: int | None = None) -> None:
        self.settings = settings
        self.group_id = group_id
        self.room = (max_record_bytes or settings.max_article_bytes) + (2 << 20)
        # kafka-python clients are not thread-safe: one thread owns them.
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="partition-reader")
        self._offsets = None
        self._records = None

    async def committed(self, tp) -> int | None:
        """The group's committed offset of `tp`: where its next owner resumes (None: nothing committed)."""
        return await self._run(self._committed, tp)

    async def read_range(self, tp, start: int, end: int) -> list:
        """The committed records of `tp` with offsets in [start, end), shaped like Faust's messages (key, value
        as bytes, offset, timestamp in seconds); none when only markers or deleted records are in between."""
        return await self._run(self._read_range, tp, start, end)

    async def close(self) -> None:
        for client in (self._offsets, self._records):
            if client is not None:
                await self._run(client.close)
        self._io.shutdown(wait=False)

    async def _run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._io, fn, *args)

    def _committed(self, tp) -> int | None:
        if self._offsets is None:
            self._offsets = clients.consumer(self.settings, group_id=self.group_id, enable_auto_commit=False)
        return self._offsets.committed(TopicPartition(tp.topic, tp.partition))

    def _ensure_records(self) -> None:
        if self._records is None:
            self._records = clients.consumer(
                self.settings,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                isolation_level="read_committed",
                max_partition_fetch_bytes=self.room,
                fetch_max_bytes=self.room,
            )

    def _read_range(self, tp, start: int, end: int) -> list:
        self._ensure_records()
        part = TopicPartition(tp.topic, tp.partition)
        found = read_to_end(
            self._records,
            {part: end},
            time.monotonic() + 60,
            lambda: TimeoutError(f"could not read {tp.topic}[{tp.partition}] offsets {start}..{end} within 60 s"),
            starts={part: start},
            timeout_ms=200,
            max_records=500,
        )
        return [
            SimpleNamespace(
                topic=tp.topic,
                partition=tp.partition,
                tp=tp,
                offset=r.offset,
                key=r.key,
                value=r.value,
                timestamp=r.timestamp / 1000,
            )
            for _, r in found
            if start <= r.offset
        ]

    async def bounds(self, tp) -> tuple[int, int]:
        """The first offset Kafka still holds of `tp`, and its end for a `read_committed` reader."""
        return await self._run(self._bounds, tp)

    def _bounds(self, tp) -> tuple[int, int]:
        self._ensure_records()
        part = TopicPartition(tp.topic, tp.partition)
        return self._records.beginning_offsets([part])[part], self._records.end_offsets([part])[part]


async def in_order(
    tp, messages: list, next_offset: int | None, read_range: Callable[..., Awaitable[list]], stop: int | None = None
) -> list:
    """The messages of `tp` to process now: from the committed offset `next_offset` on, without a hole.

    Faust may hand out records past the committed offset after a restart or a rebalance (buffers filled
    before its seek): committing past records never processed would lose them. So a hole is filled with
    the records Kafka holds there (`read_range(tp, start, end)`, e.g. `PartitionReader.read_range`; none
    when it is only transaction markers or records deleted by retention). Records below the committed
    offset were done already.

    With a `stop` (a worker that stops at that offset of `tp`: `newswire reprocess`), records from `stop` on
    are left alone; one of them handed out proves that every record before it was handed out or skipped,
    so the skipped ones up to the stop are read from Kafka too.
    """
    if stop is None:
        return await _without_holes(tp, messages, next_offset, read_range)
    run = await _without_holes(tp, [message for message in messages if message.offset < stop], next_offset, read_range)
    expected = run[-1].offset + 1 if run else next_offset
    if expected is not None and expected < stop and any(message.offset >= stop for message in messages):
        run.extend(await read_range(tp, expected, stop))
    return run


async def _without_holes(tp, messages: list, next_offset: int | None, read_range) -> list:
    expected = next_offset
    if expected is None:
        return messages
    run = []
    for message in messages:
        if message.offset < expected:
            continue  # delivered again after a crash or a failed commit: already done
        if message.offset > expected:
            missed = await read_range(tp, expected, message.offset)
            if missed:
                log.warning(
                    "%s[%d]: offset %d came before %d: read %d skipped records from Kafka",
                    tp.topic,
                    tp.partition,
                    message.offset,
                    expected,
                    len(missed),
                )
            run.extend(missed)
        run.append(message)
        expected = message.offset + 1
    return run


class CatchUp:
    """The records Faust skipped in a partition after its assignment, read from Kafka before they are needed.

    A record Faust had fetched when the group rebalanced moves its read offset on even when it is not
    delivered, and a copy fetched again after the rebalance is then dropped: anywhere between the committed
    offset and the partition's end at the time, never past it. So, per partition, from its assignment until
    the agent has passed that end, the committed records Kafka holds there are read ahead (a chunk at a time)
    and every one the agent did not get is handed back, in order, before the record that came after it.
    After that, nothing more is read until the next assignment.
    """

    CHUNK = 2000  # records read ahead at a time

    def __init__(self, reader: PartitionReader, mark_done) -> None:
        self.reader = reader
        #: async (tp, start, end, last=False): offsets [start, end) are done (Faust may commit them); `last`: and
        #: nothing after them was handed out (NewswireConsumer.mark_done)
        self.mark_done = mark_done
        #: held while records are counted, by the agent or the stall check: a table value keeps the next offset
        #: to apply, so a record counted before an earlier one would make the earlier look like a replay
        self.lock = asyncio.Lock()
        self._windows: dict[object, _Window] = {}
        self._caught_up: set = set()
        self._handed: dict = {}  # partition -> when (time.monotonic) the agent was last handed one of its records

    def forget(self, tps) -> None:
        """`tps` were revoked: check them afresh when they come back."""
        for tp in tps:
            self._windows.pop(tp, None)
            self._caught_up.discard(tp)
            self._handed.pop(tp, None)

    async def _open(self, tp) -> _Window:
        first, end = await self.reader.bounds(tp)
        committed = await self.reader.committed(tp)
        start = first if committed is None else max(committed, first)
        window = self._windows[tp] = _Window(expected=start, end=end, loaded_to=start)
        return window

    async def _read_ahead(self, tp, window: _Window, at_least: int = 0) -> None:
        """Read the next chunk of `window` (up to its end, or through `at_least` - 1 if that is further)."""
        upto = max(at_least, min(window.end, window.loaded_to + self.CHUNK))
        window.records.extend(await self.reader.read_range(tp, window.loaded_to, upto))
        window.loaded_to = upto

    def _close(self, tp) -> None:
        self.forget([tp])
        self._caught_up.add(tp)

    async def skipped_before(self, tp, offset: int) -> list:
        """The committed records of `tp` before `offset` that were never handed to the agent (oldest first)."""
        if tp in self._caught_up:
            return []
        self._handed[tp] = time.monotonic()
        window = self._windows.get(tp) or await self._open(tp)
        if offset < window.expected:
            return []  # delivered again (below the committed offset): the agent knows it was done
        if offset >= window.loaded_to:  # read ahead through `offset` at least
            await self._read_ahead(tp, window, at_least=offset + 1)
        missed = []
        while window.records and window.records[0].offset <= offset:
            record = window.records.popleft()
            if record.offset < offset:
                missed.append(record)
        if missed:
            log.warning(
                "%s[%d]: offset %d came before %d: %d skipped records read back from Kafka",
                tp.topic,
                tp.partition,
                offset,
                window.expected,
                len(missed),
            )
        if offset > window.expected:
            await self.mark_done(tp, window.expected, offset)  # markers, aborted records, and `missed`
        window.expected = offset + 1
        if window.expected >= window.end:
            self._close(tp)
        return missed

    async def stalled(self, tp, now: float, after_s: float, count: Callable[[object], None]) -> int:
        """Count (`count(record)`) the records of `tp` the agent is still owed since its assignment, when it was
        handed none of them for `after_s`; return how many. Call it with `lock` held, for a partition still owned.

        The last records of a partition are dropped like any others, and with no later record to reveal the
        hole `skipped_before` never sees them: they would stay uncounted, or, counted by the previous owner
        before it died, never be committed. A chunk at a time, each marked done only once counted.
        """
        if tp in self._caught_up or now - self._handed.setdefault(tp, now) < after_s:
            return 0
        window = self._windows.get(tp) or await self._open(tp)
        counted = 0
        while window.expected < window.end:
            if not window.records and window.loaded_to < window.end:
                await self._read_ahead(tp, window)
            start, window.expected = window.expected, window.loaded_to
            for record in window.records:
                count(record)
            counted += len(window.records)
            window.records.clear()
            await self.mark_done(tp, start, window.expected, last=True)
        if counted:
            log.warning(
                "%s[%d]: none of its last records handed out for %.0f s: %d counted from Kafka",
                tp.topic,
                tp.partition,
                after_s,
                counted,
            )
        self._close(tp)
        return counted


@dataclass
class _Window:
    expected: int  # the next offset the agent should get
    end: int  # the partition's end when it was assigned
    loaded_to: int  # records read ahead up to here (exclusive)
    records: deque = field(default_factory=deque)
