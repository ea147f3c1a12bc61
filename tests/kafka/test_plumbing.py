"""The shared Kafka plumbing (streams/kafka/plumbing.py) on stand-in clients: no broker needed."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from streams.kafka.plumbing import lag, partition_lags, read_to_end, resume_at, send_all, wait_until


class FakeReader:
    """Partitions as lists of offsets still held (a compacted or truncated log has gaps), a group's commits."""

    def __init__(self, logs: dict[str, list[int]], committed: dict[str, int | None], ends: dict[str, int]) -> None:
        self.logs, self._committed, self.ends = logs, committed, ends
        self.positions: dict[str, int] = {}
        self.asked_first: list[str] = []

    def end_offsets(self, partitions):
        return {tp: self.ends[tp] for tp in partitions}

    def beginning_offsets(self, partitions):
        self.asked_first.extend(partitions)
        return {tp: (self.logs[tp] or [self.ends[tp]])[0] for tp in partitions}

    def committed(self, tp):
        return self._committed[tp]

    def assign(self, partitions):
        self.positions = dict.fromkeys(partitions, 0)

    def seek_to_beginning(self, *partitions):
        for tp in partitions:
            self.positions[tp] = (self.logs[tp] or [self.ends[tp]])[0]

    def seek(self, tp, offset):
        self.positions[tp] = offset

    def position(self, tp):
        return self.positions[tp]

    def poll(self, timeout_ms=0, max_records=2):
        batches = {}
        for tp, at in self.positions.items():
            records = [o for o in self.logs[tp] if o >= at][:max_records]
            if records:
                batches[tp] = [SimpleNamespace(offset=o) for o in records]
                self.positions[tp] = records[-1] + 1
            else:
                self.positions[tp] = max(at, self.ends[tp])
        return batches


def test_the_lag_counts_from_the_committed_offset_or_else_the_first_offset_held():
    assert lag(end=10, committed=4, first=0) == 6
    assert lag(end=10, committed=None, first=3) == 7  # never committed: from where the group would start
    assert lag(end=10, committed=None, first=10) == 0  # everything expired before the group read it: nothing left
    assert lag(end=4, committed=6, first=0) == 0  # the end read before a later commit: never negative
    assert resume_at(None, 3) == 3 and resume_at(0, 3) == 0  # 0 is a commit, not "never"


def test_partition_lags_asks_for_first_offsets_only_for_partitions_never_committed():
    reader = FakeReader({"a": [5, 6, 7], "b": [0, 1, 2]}, {"a": None, "b": 1}, {"a": 8, "b": 3})
    assert partition_lags(reader, ["a", "b"]) == {"a": 3, "b": 2}
    assert reader.asked_first == ["a"]


def test_read_to_end_gives_every_record_below_the_ends_from_the_starts():
    reader = FakeReader({"a": [0, 1, 2, 5, 6, 9], "b": [3, 4]}, {}, {"a": 7, "b": 5})
    found = [(tp, r.offset) for tp, r in read_to_end(reader, {"a": 7, "b": 5}, time.monotonic() + 5, TimeoutError)]
    assert sorted(found) == [("a", 0), ("a", 1), ("a", 2), ("a", 5), ("a", 6), ("b", 3), ("b", 4)]
    found = read_to_end(reader, {"a": 7}, time.monotonic() + 5, TimeoutError, starts={"a": 2})
    assert [r.offset for _, r in found] == [2, 5, 6]
    assert list(read_to_end(reader, {}, time.monotonic() - 1, TimeoutError)) == []


def test_read_to_end_raises_the_callers_error_past_its_deadline():
    reader = FakeReader({"a": [0]}, {}, {"a": 5})
    reader.poll = lambda **poll: {}  # a broker that never answers
    with pytest.raises(RuntimeError, match="a within"):
        list(read_to_end(reader, {"a": 5}, time.monotonic() + 0.05, lambda: RuntimeError("a within 0 s")))


def test_wait_until_returns_the_first_answer_and_tolerates_the_given_errors():
    answers = iter([ConnectionError("restarting"), None, False, 0, 7])

    def probe():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert wait_until(probe, 5, TimeoutError, every=0, tolerate=(ConnectionError,)) == 0  # 0 is an answer
    with pytest.raises(ConnectionError):
        wait_until(lambda: (_ for _ in ()).throw(ConnectionError()), 5, TimeoutError, every=0)
    with pytest.raises(TimeoutError, match="never"):
        wait_until(lambda: False, 0.05, lambda: TimeoutError("never"), every=0.01)


class FakeProducer:
    def __init__(self, fail: set[bytes]) -> None:
        self.fail, self.sent, self.flushed = fail, [], False

    def send(self, topic, key=None, value=None):
        self.sent.append((topic, key, value, time.monotonic()))
        failed = key in self.fail

        def get(timeout):
            assert self.flushed, "waited for an acknowledgement before flushing"
            if failed:
                raise TimeoutError(key)
            return SimpleNamespace(key=key, timestamp=len(self.sent))

        return SimpleNamespace(get=get)

    def flush(self):
        self.flushed = True


def test_send_all_flushes_then_gives_each_acknowledgement_in_order():
    producer = FakeProducer(fail={b"2"})
    acknowledged = send_all(producer, "t", [(b"1", b"x"), (b"2", b"y"), (b"3", b"z")], strict=False)
    assert [m and m.key for m in acknowledged] == [b"1", None, b"3"]
    assert [(topic, key) for topic, key, _, _ in producer.sent] == [("t", b"1"), ("t", b"2"), ("t", b"3")]
    with pytest.raises(TimeoutError):
        send_all(FakeProducer(fail={b"2"}), "t", [(b"1", b"x"), (b"2", b"y")])


def test_send_all_paces_the_records_at_the_rate():
    producer = FakeProducer(fail=set())
    send_all(producer, "t", [(b"%d" % i, b"v") for i in range(5)], rate=50)
    times = [at for *_, at in producer.sent]
    assert times[-1] - times[0] >= 4 / 50 * 0.95
