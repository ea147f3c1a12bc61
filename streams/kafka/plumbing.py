"""The Kafka chores every kafka-python caller shares, written once: how far a group lags, reading partitions
to their end within a deadline, waiting until a condition holds, publishing and waiting for the broker's
acknowledgements.

The callers bring their own clients (streams/kafka/clients.py makes them, with a deadline on every call)
and say what an expired deadline means in their words (`expired`: a function returning the error to
raise). The worker's readers (streams/runtime/transactions.py, faust_compat/partition_reader.py) run the
same kafka-python clients on a thread of their own, so they use these functions too.

**Lag, and a partition never committed.** A group's lag in a partition is its end offset minus the group's
committed offset. Where the group has never committed, it counts from the first offset the partition still
holds: that is where a consumer of the group starts (`auto_offset_reset=earliest`, Faust's and ours), so it
is what the group still has to read; counting from 0 overstates it once retention has deleted the
partition's start, and then never reaches 0. A lag is never negative (the end offset and the committed one
are read one after the other). `resume_at` and `lag` are the rule; `resume_offsets` and `partition_lags`
read the offsets they need.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def resume_at(committed: int | None, first: int) -> int:
    """Where a group goes on reading a partition: its `committed` offset; never committed (None): `first`, the
    partition's first offset still held (see the module's docstring)."""
    return first if committed is None else committed


def lag(end: int, committed: int | None, first: int) -> int:
    """Records a group still has to read in one partition: `end` minus `resume_at(committed, first)`, never
    negative."""
    return max(0, end - resume_at(committed, first))


def resume_offsets(reader, partitions: list) -> dict:
    """Partition -> `resume_at` for the group of `reader` (a kafka-python consumer with a group id, not
    subscribed); asks for the first offsets only when a partition was never committed."""
    committed = {tp: reader.committed(tp) for tp in partitions}
    never = [tp for tp in partitions if committed[tp] is None]
    firsts = reader.beginning_offsets(never) if never else {}
    return {tp: resume_at(committed[tp], firsts.get(tp, 0)) for tp in partitions}


def partition_lags(reader, partitions: list) -> dict:
    """Partition -> `lag` of the group of `reader` (as for `resume_offsets`): the end offsets read first."""
    ends = reader.end_offsets(partitions)
    return {tp: max(0, ends[tp] - start) for tp, start in resume_offsets(reader, partitions).items()}


def read_to_end(
    reader,
    ends: dict,
    deadline: float,
    expired: Callable[[], BaseException],
    starts: dict | None = None,
    **poll,
) -> Iterator[tuple]:
    """(partition, record) for every record `reader` reads below `ends` (partition -> offset), from `starts`
    (partition -> offset; None: each partition's beginning) until its position has reached `ends` everywhere.

    `reader` is assigned `ends`' partitions. Past `deadline` (`time.monotonic()`) raises `expired()`. `poll` goes to
    each `reader.poll` (timeout_ms, max_records).
    """
    partitions = list(ends)
    if not partitions:
        return
    reader.assign(partitions)
    if starts is None:
        reader.seek_to_beginning(*partitions)
    else:
        for tp, start in starts.items():
            reader.seek(tp, start)
    while any(reader.position(tp) < end for tp, end in ends.items()):
        if time.monotonic() > deadline:
            raise expired()
        for tp, records in reader.poll(**poll).items():
            for record in records:
                if record.offset < ends[tp]:
                    yield tp, record


def wait_until(
    probe: Callable[[], T | None],
    timeout: float,
    expired: Callable[[], BaseException],
    every: float = 0.5,
    tolerate: tuple[type[BaseException], ...] = (),
) -> T:
    """The first answer of `probe()` that is neither None nor False, asked every `every` seconds; past `timeout`
    seconds raises `expired()`. An error in `tolerate` (a broker restarting) counts as no answer yet."""
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        try:
            answer = probe()
        except tolerate:
            answer = None
        if answer is not None and answer is not False:
            return answer
        time.sleep(every)
    raise expired()


def send_all(
    producer,
    topic: str,
    records: Iterable[tuple[bytes | None, bytes | None]],
    timeout: float = 60,
    rate: float | None = None,
    strict: bool = True,
) -> list:
    """Send every (key, value) of `records` to `topic`, at once or paced at `rate` per second, flush, and wait
    (at most `timeout` s each) for the broker's acknowledgement: the RecordMetadata of each, in order.

    `strict`: a record not acknowledged raises its error; otherwise its place holds None.
    """
    futures = []
    started = time.monotonic()
    for i, (key, value) in enumerate(records):
        if rate:
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        futures.append(producer.send(topic, key=key, value=value))
    producer.flush()
    if strict:
        return [future.get(timeout=timeout) for future in futures]
    acknowledged = []
    for future in futures:
        try:
            acknowledged.append(future.get(timeout=timeout))
        except Exception:  # noqa: BLE001 - not acknowledged: the caller counts it
            acknowledged.append(None)
    return acknowledged
