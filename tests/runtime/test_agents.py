"""The Faust agent, in Faust's test context: batches in, events and dead letters out (no broker)."""

from __future__ import annotations

import asyncio
import inspect
import json

import pytest
from aiokafka.structs import TopicPartition
from faust.types import TP

from streams.domain.contracts import first_error
from streams.runtime import agents
from streams.runtime.faust_compat import in_order
from streams.runtime.transactions import (
    ArticleTransactions,
    Outcome,
    PartitionState,
    SeenArticles,
    Transactions,
    Work,
)
from streams.settings import Settings


class MemoryTransactions:
    """Stands in for streams.runtime.transactions.ArticleTransactions (both are exactly `Transactions`, checked
    below): commits in memory, keeps what was sent; the re-publish detection is the real `SeenArticles`."""

    def __init__(self) -> None:
        self.states: dict = {}
        self.committed: list = []  # Outgoing records, in commit order
        self.offsets: dict = {}
        self.horizon_s = Settings().dedup_horizon_hours * 3600

    def owns(self, tp):
        return True

    async def state(self, tp):
        if tp not in self.states:
            self.states[tp] = PartitionState(None, self.offsets.get(tp), SeenArticles(self.horizon_s))
        return self.states[tp]

    async def commit(self, tp, work):
        state = await self.state(tp)
        todo = [w for w in work if state.next_offset is None or w.offset >= state.next_offset]
        for item in work[: len(work) - len(todo)]:
            item.outcome = Outcome.SKIPPED
        for item in todo:
            self.committed.extend(item.records)
        if todo:
            state.next_offset = self.offsets[tp] = todo[-1].offset + 1
            state.seen.committed(w.seen for w in todo if w.seen)
        return todo

    async def read_range(self, tp, start, end):
        # The test context delivers every record in order; a hole here would be a bug of the agent.
        raise AssertionError(f"the agent asked for {tp}[{start}:{end}], records it was never missing")

    async def bounds(self, tp):
        raise AssertionError(f"the stall check looked at {tp}: the test context never stalls")

    async def release(self, tps):
        for tp in tps:
            self.states.pop(tp, None)

    async def close(self):
        pass

    def sent(self, topic: str) -> list[dict]:
        return [
            {
                "key": r.key,
                "value": json.loads(r.value) if topic != agents.dead_letter_topic.get_topic_name() else r.value,
                "headers": dict(r.headers or []),
            }
            for r in self.committed
            if r.topic == topic
        ]


def _methods(cls) -> dict:
    return {name: value for name, value in vars(cls).items() if inspect.isfunction(value) and not name.startswith("_")}


def _shape(method) -> tuple:
    parameters = [(p.name, p.kind, p.default) for p in inspect.signature(method).parameters.values()]
    return parameters, inspect.iscoroutinefunction(method)


def test_the_stand_in_and_the_real_transactions_are_exactly_the_protocol():
    real = ArticleTransactions(Settings(), "newswire")  # opens nothing until used
    assert isinstance(real, Transactions) and isinstance(MemoryTransactions(), Transactions)
    wanted = _methods(Transactions)
    assert set(wanted) == {"state", "read_range", "bounds", "commit", "release", "close"}
    assert set(Transactions.__annotations__) == {"owns"} and callable(real.owns) and callable(MemoryTransactions().owns)
    # Nothing more in the real one, nothing else in the stand-in (besides `owns`, and `sent` for the tests).
    assert set(_methods(ArticleTransactions)) == set(wanted)
    assert set(_methods(MemoryTransactions)) - {"owns", "sent"} == set(wanted)
    for name, protocol_method in wanted.items():
        for implementation in (ArticleTransactions, MemoryTransactions):
            assert _shape(getattr(implementation, name)) == _shape(protocol_method), (implementation.__name__, name)


def test_a_partition_that_is_not_ours_commits_nothing_and_its_work_is_skipped():
    from types import SimpleNamespace

    real = ArticleTransactions(Settings(), "newswire", owns=lambda tp: False)
    work = [Work(offset, [], outcome=Outcome.DEAD_LETTERED) for offset in (3, 4)]
    tp = SimpleNamespace(topic="news.articles", partition=0)
    assert asyncio.run(real.commit(tp, work)) == [] and {w.outcome for w in work} == {Outcome.SKIPPED}


def test_outcomes_are_the_labels_of_the_articles_metric():
    from streams.runtime.metrics import REGISTRY

    labels = {
        sample.labels["outcome"]
        for family in REGISTRY.collect()
        if family.name == "newswire_articles_processed"
        for sample in family.samples
    }
    assert labels == {outcome.value for outcome in Outcome if outcome is not Outcome.SKIPPED}


def test_seen_articles_tell_a_republication_within_the_horizon():
    seen = SeenArticles(horizon_s=100)
    assert seen.check("a", 5, at=1000.0) == ("a", (5, 1000.0))
    assert seen.check("a", 5, at=1000.0) == ("a", (5, 1000.0))  # the same record again: not a re-publication
    assert seen.check("a", 9, at=1100.0) is None  # another record of it, within the horizon
    assert seen.check("a", 12, at=1100.5) == ("a", (12, 1100.5))  # past the horizon: analysed again, noted
    assert len(seen) == 1


def test_seen_articles_replay_what_they_commit():
    written = SeenArticles(horizon_s=100)
    entries = [written.check("old", 1, at=800.0), written.check("new", 2, at=950.0), written.check("gone", 3, 960.0)]
    records = [SeenArticles.record(entry) for entry in entries] + [(b"gone", None)]  # a tombstone
    read = SeenArticles(horizon_s=100)
    for key, value in records:
        read.replay(key, value, oldest=900.0)
    assert len(read) == 1 and read.check("new", 7, at=990.0) is None and read.check("old", 8, at=990.0)
    assert json.loads(records[1][1]) == {"offset": 2, "at": 950.0} and records[1][0] == b"new"


def test_the_app_s_windowed_tables_are_keyed_like_window_key():
    from streams.domain.tables import WINDOWS, window_key

    assert set(agents.windowed_tables) == set(WINDOWS)
    for name, windowed in agents.windowed_tables.items():
        for moment in (0.0, 1548426600.0, 1700003599.95, 1700003600.0):
            assert repr(windowed.table.window.ranges(moment)[0]) == repr(window_key(WINDOWS[name], moment))


@pytest.fixture
def transactions(monkeypatch):
    memory = MemoryTransactions()
    monkeypatch.setattr(agents, "new_transactions", lambda: memory)
    return memory


async def _run(messages: list[tuple[bytes, bytes]], until, timeout: float = 60) -> None:
    async with agents.process_articles.test_context() as agent:
        for key, value in messages:
            await agent.put(value, key=key)
        deadline = asyncio.get_running_loop().time() + timeout
        while not until():
            assert asyncio.get_running_loop().time() < deadline, "the agent did not emit in time"
            await asyncio.sleep(0.05)


def _topic(kind: str) -> str:
    return agents.output_topics[kind].get_topic_name()


def test_agent_emits_valid_events_and_dead_letters_bad_input(transactions, seed_text):
    seed = json.dumps({"id": "seed", "text": seed_text}).encode()
    good = json.dumps({"id": "second", "text": "Officials in Kyiv said Ukraine would talk to Poland."}).encode()
    asyncio.run(
        _run(
            [(b"bad", b"{oops"), (b"seed", seed), (b"second", good)],
            until=lambda: (
                {"seed", "second"} <= {e["value"]["article_id"] for e in transactions.sent(_topic("country-mention"))}
            ),
        )
    )
    out = {kind: transactions.sent(_topic(kind)) for kind in agents.output_topics}
    dlq = transactions.sent(agents.dead_letter_topic.get_topic_name())

    assert len(dlq) == 1 and dlq[0]["value"] == b"{oops"
    assert dlq[0]["headers"]["__connect.errors.exception.class.name"] == b"InvalidJSON"
    for kind, sent in out.items():
        assert sent, f"no {kind} events"
        for event in sent:
            assert first_error(kind, event["value"]) is None
    countries = {e["key"] for e in out["country-mention"] if e["value"]["article_id"] == "second"}
    assert {b"UA", b"PL"} <= countries


def test_a_republished_article_is_a_duplicate_and_emits_nothing_again(transactions):
    article = json.dumps({"id": "twice", "text": "The minister flew from Paris to Berlin."}).encode()
    last = json.dumps({"id": "last", "text": "Rain fell on Madrid."}).encode()
    asyncio.run(
        _run(
            [(b"twice", article), (b"twice", article), (b"last", last)],
            until=lambda: "last" in {e["value"]["article_id"] for e in transactions.sent(_topic("country-mention"))},
        )
    )
    ids = [e["value"]["event_id"] for kind in agents.output_topics for e in transactions.sent(_topic(kind))]
    assert len(ids) == len(set(ids))
    assert {e["key"] for e in transactions.sent(_topic("country-mention"))} == {b"FR", b"DE", b"ES"}


class HeldByKafka(MemoryTransactions):
    """A partition's records that Kafka holds and the consumer never hands out (dropped around a rebalance)."""

    def __init__(self, texts: list[str]) -> None:
        super().__init__()
        self.records = [json.dumps({"id": f"held-{i}", "text": text}).encode() for i, text in enumerate(texts)]
        self.reads: list[tuple[int, int]] = []

    async def read_range(self, tp, start, end):
        from types import SimpleNamespace

        self.reads.append((start, end))
        return [
            SimpleNamespace(topic=tp.topic, partition=tp.partition, tp=tp, offset=o, key=None, value=v, timestamp=None)
            for o, v in enumerate(self.records)
            if start <= o < end
        ]

    async def bounds(self, tp):
        return 0, len(self.records)

    async def commit(self, tp, work):
        # What aiokafka's send_offsets_to_transaction insists on: Faust's TP (a tuple alike) is refused there.
        assert isinstance(tp, TopicPartition), f"{tp!r} is no aiokafka TopicPartition"
        return await super().commit(tp, work)


def _stalled(held: HeldByKafka, tp, checks: list[float], last_handed: float, nlp, stop: int | None = None):
    async def run():
        agents.context.transactions, agents.context.nlp = held, nlp
        agents.context.batch_lock = asyncio.Lock()
        agents.context.last_handed[tp] = last_handed
        if stop is not None:
            agents.context.stop_before[tp.partition] = stop
        return [await agents.read_stalled([tp], now) for now in checks]

    return asyncio.run(run())


def _articles_read(held: HeldByKafka) -> list[str]:
    return sorted({e["value"]["article_id"] for e in held.sent(_topic("entity"))}, key=lambda a: int(a.split("-")[1]))


def test_records_the_consumer_never_hands_out_are_read_from_kafka_a_batch_at_a_time(monkeypatch, nlp):
    monkeypatch.setattr(agents, "context", agents.AgentContext())
    tp = TP(agents.articles_topic.get_topic_name(), 0)
    held = HeldByKafka([f"Officials in Kyiv met envoys from Poland on day {i}." for i in range(20)])
    quiet = agents.settings.stall_after_s
    # Quiet for longer than the stall bound: a batch read; checked again at once: the rest; then nothing is left.
    found = _stalled(held, tp, [1000.0, 1000.0 + quiet + 1, 1000.0 + 2 * quiet + 2], last_handed=0.0, nlp=nlp)
    batch = agents.settings.batch_size
    assert found == [[tp], [tp], []]
    assert held.reads == [(0, batch), (batch, 20)]
    assert held.offsets[tp] == 20
    assert _articles_read(held) == [f"held-{i}" for i in range(20)]


def test_a_partition_handed_out_lately_or_at_its_stop_is_left_alone(monkeypatch, nlp):
    monkeypatch.setattr(agents, "context", agents.AgentContext())
    tp = TP(agents.articles_topic.get_topic_name(), 1)
    held = HeldByKafka([f"Rain fell on Madrid on day {i}." for i in range(5)])
    quiet = agents.settings.stall_after_s
    assert _stalled(held, tp, [1000.0], last_handed=1000.0 - quiet / 2, nlp=nlp) == [[]]
    assert held.reads == []
    # `newswire reprocess` stops before offset 3: what is past it is not this worker's to process.
    monkeypatch.setattr(agents, "context", agents.AgentContext())
    assert _stalled(held, tp, [1000.0, 1000.0 + quiet + 1], last_handed=0.0, nlp=nlp, stop=3) == [[tp], []]
    assert held.reads == [(0, 3)] and held.offsets[tp] == 3


class Holes:
    """A partition's records as Kafka holds them: `data` offsets; the others are transaction markers."""

    def __init__(self, data: set[int]) -> None:
        self.data = data
        self.reads: list[tuple[int, int]] = []

    async def read_range(self, tp, start, end):
        from types import SimpleNamespace

        self.reads.append((start, end))
        return [SimpleNamespace(offset=o) for o in sorted(self.data) if start <= o < end]


def _in_order(offsets, next_offset, data):
    from types import SimpleNamespace

    holes = Holes(data)
    messages = [SimpleNamespace(offset=o) for o in offsets]
    tp = SimpleNamespace(topic="news.articles", partition=0)
    run = asyncio.run(in_order(tp, messages, next_offset, holes.read_range))
    return [m.offset for m in run], holes.reads


def test_records_already_committed_are_skipped_and_markers_are_no_hole():
    run, reads = _in_order([8, 9, 10, 12, 13], next_offset=10, data={10, 12, 13})  # 11: a commit marker
    assert run == [10, 12, 13] and reads == [(11, 12)]


def test_records_the_consumer_skipped_are_read_from_kafka_in_order():
    run, reads = _in_order([10, 11, 20, 21], next_offset=10, data=set(range(30)))
    assert run == list(range(10, 22)) and reads == [(12, 20)]
    run, reads = _in_order([15, 16], next_offset=12, data=set(range(30)))  # a hole before the first one
    assert run == [12, 13, 14, 15, 16] and reads == [(12, 15)]


class Backlog(Holes):
    """A reader of a partition whose records are `data`, committed up to `committed`, ending at `end`."""

    def __init__(self, data: set[int], committed: int | None, end: int) -> None:
        super().__init__(data)
        self.committed_offset, self.end = committed, end

    async def committed(self, tp):
        return self.committed_offset

    async def bounds(self, tp):
        return 0, self.end


def test_the_table_agent_gets_back_what_faust_dropped_after_an_assignment():
    from faust.types import TP

    from streams.runtime.faust_compat.partition_reader import CatchUp

    tp = TP("news.country-mentions", 1)
    # Committed up to 14 when assigned, ending at 40 then; 16, 18, 25: transaction markers.
    reader = Backlog(data=set(range(60)) - {16, 18, 25}, committed=14, end=40)
    done = []

    async def mark_done(tp, start, end):
        done.append((start, end))

    catch_up = CatchUp(reader, mark_done)
    catch_up.CHUNK = 10

    def delivered(*offsets):
        async def run():
            return [[m.offset for m in await catch_up.skipped_before(tp, o)] for o in offsets]

        return asyncio.run(run())

    # 14..19 were fetched before the rebalance and dropped; then 24 too, further on; 17 is delivered again.
    assert delivered(20, 21, 17, 22, 23, 26) == [[14, 15, 17, 19], [], [], [], [], [24]]
    assert done == [(14, 20), (24, 26)]  # Faust may commit past them
    assert delivered(*range(27, 40)) == [[]] * 13
    reads = list(reader.reads)
    assert reads[0] == (14, 24) and reads[-1][1] == 40  # read ahead in chunks, up to the end at assignment
    assert delivered(45) == [[]] and reader.reads == reads  # caught up: nothing read any more
    catch_up.forget([tp])  # revoked; assigned again, resumed right at the committed offset
    reader.committed_offset, reader.end, reader.reads = 46, 50, []
    assert delivered(46, 47, 48, 49) == [[], [], [], []] and done[-1] == (24, 26)


def test_the_last_records_faust_dropped_are_counted_once_the_partition_is_quiet():
    import time

    from faust.types import TP

    from streams.runtime.faust_compat.partition_reader import CatchUp

    tp = TP("news.country-mentions", 2)
    # Committed up to 10 when assigned, ending at 30 then; 25: a transaction marker. 10..12 are handed out,
    # 13..29 were fetched before the rebalance and dropped: no later record reveals them.
    reader = Backlog(data=set(range(40)) - {25}, committed=10, end=30)
    done, counted = [], []

    async def mark_done(tp, start, end, last=False):
        done.append((start, end, last))

    catch_up = CatchUp(reader, mark_done)
    catch_up.CHUNK = 8
    quiet = 30.0

    async def run():
        for offset in (10, 11, 12):
            assert await catch_up.skipped_before(tp, offset) == []
        now = time.monotonic()
        handed_lately = await catch_up.stalled(tp, now + quiet / 2, quiet, lambda r: counted.append(r.offset))
        stalled = await catch_up.stalled(tp, now + quiet + 1, quiet, lambda r: counted.append(r.offset))
        again = await catch_up.stalled(tp, now + 3 * quiet, quiet, lambda r: counted.append(r.offset))
        return handed_lately, stalled, again, await catch_up.skipped_before(tp, 31)

    assert asyncio.run(run()) == (0, 16, 0, [])
    assert counted == [o for o in range(13, 30) if o != 25]  # in order, from the read-ahead on
    # The read-ahead of the first record (10..17) first, then a chunk at a time, each marked done once counted.
    assert done == [(13, 18, True), (18, 26, True), (26, 30, True)]

    # A partition of which nothing at all is handed out after its assignment is read from its committed offset.
    other = TP("news.country-mentions", 3)
    reader.committed_offset, reader.end, counted[:] = 36, 40, []

    async def silent():
        now = time.monotonic()
        first = await catch_up.stalled(other, now, quiet, lambda r: counted.append(r.offset))
        return first, await catch_up.stalled(other, now + quiet, quiet, lambda r: counted.append(r.offset))

    assert asyncio.run(silent()) == (0, 4) and counted == [36, 37, 38, 39] and done[-1] == (36, 40, True)


def test_marking_the_last_records_done_lets_faust_commit_through_them():
    from collections import defaultdict

    from faust.types import TP
    from intervaltree import IntervalTree

    from streams.runtime.faust_compat.transport import NewswireConsumer

    consumer = object.__new__(NewswireConsumer)  # only its offset bookkeeping, as Faust's __init__ sets it up
    consumer._gap, consumer._acked = defaultdict(IntervalTree), defaultdict(list)
    consumer._acked_index = defaultdict(set)
    consumer._committed_offset, consumer._n_acked = defaultdict(lambda: None), 0
    tp = TP("news.country-mentions", 0)
    consumer._committed_offset[tp] = 10
    consumer._acked[tp], consumer._acked_index[tp] = [10, 11], {10, 11}  # delivered and acked
    asyncio.run(consumer.mark_done(tp, 12, 20))
    assert consumer._new_offset(tp) == 12  # a gap with nothing acked after it: Faust does not commit it
    consumer._committed_offset[tp] = 12
    asyncio.run(consumer.mark_done(tp, 12, 20, last=True))
    assert consumer._new_offset(tp) == 20
    consumer._committed_offset[tp] = 20
    asyncio.run(consumer.mark_done(tp, 20, 21, last=True))  # a single record
    assert consumer._new_offset(tp) == 21


def _sample(name: str, **labels: str) -> float:
    from streams.runtime.metrics import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_committed_quotes_and_stances_move_the_confidence_and_type_metrics(transactions, seed_text):
    from streams.runtime.metrics import CONFIDENCE_BUCKETS, STANCE_TYPES

    names = ("newswire_quote_confidence", "newswire_stance_confidence")
    before = {
        name: {le: _sample(f"{name}_bucket", le=str(le)) for le in (*CONFIDENCE_BUCKETS, "+Inf")}
        | {"count": _sample(f"{name}_count"), "sum": _sample(f"{name}_sum")}
        for name in names
    }
    types_before = {t: _sample("newswire_stance_types_extracted_total", type=t) for t in STANCE_TYPES}
    seed = json.dumps({"id": "seed-metrics", "text": seed_text}).encode()
    # Counted once committed (after the transaction): wait for the count, not only for the events.
    asyncio.run(_run([(b"seed-metrics", seed)], until=lambda: _sample(f"{names[0]}_count") > before[names[0]]["count"]))
    events = {
        kind: [e["value"] for e in transactions.sent(_topic(kind)) if e["value"]["article_id"] == "seed-metrics"]
        for kind in ("quote", "stance")
    }
    assert events["quote"] and events["stance"], "the seed article should give quotes and stances"
    for name, kind in zip(names, ("quote", "stance"), strict=True):
        confidences = [event["confidence"] for event in events[kind]]
        assert _sample(f"{name}_count") - before[name]["count"] == len(confidences)
        assert abs(_sample(f"{name}_sum") - before[name]["sum"] - sum(confidences)) < 1e-9
        for le in CONFIDENCE_BUCKETS:  # cumulative buckets: events with confidence <= le
            assert _sample(f"{name}_bucket", le=str(le)) - before[name][le] == sum(c <= le for c in confidences), le
    moved = {t: _sample("newswire_stance_types_extracted_total", type=t) - types_before[t] for t in STANCE_TYPES}
    from collections import Counter

    assert {t: n for t, n in moved.items() if n} == dict(Counter(event["type"] for event in events["stance"]))


def test_the_metrics_stance_types_are_the_taxonomy():
    from streams.nlp.stances.lexicon import TYPES
    from streams.runtime.metrics import STANCE_TYPES

    assert sorted(STANCE_TYPES) == sorted(TYPES)
