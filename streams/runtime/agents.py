"""consume → validate → analyze → emit → count, and dead-letter what cannot be analysed.

`process_articles` takes batches (spaCy is fastest with `nlp.pipe`), runs the NLP in a worker thread so
the event loop keeps heart-beating, and emits each input partition's share of the batch in one Kafka
transaction with that partition's offset (streams.runtime.transactions): the events of an article, its dead letter
or its duplicate mark are committed together with its offset, exactly once. A re-published article (an id
seen before in its partition, within `dedup_horizon_hours`) is counted as `duplicate`, not analysed again.

`count_country_mentions` reads the country-mention events back (`read_committed`; keyed by ISO code, so
co-partitioned with the tables) and adds them to the all-time, hourly and daily tables. Each table value
carries the next input offset to apply, so a replayed event (after a crash) is not counted twice.

What the agents share with the rebalance handler and `newswire reprocess` is in one `AgentContext`
(`context`), not in module globals.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from aiokafka.structs import TopicPartition

from streams.domain.events import events_for
from streams.domain.intake import Article, RejectedArticle, dead_letter_headers, parse_article
from streams.domain.tables import ISO_CODE, WINDOWS, add_mentions, article_time, window_key
from streams.kafka.cloudevents_binding import event_headers, event_source
from streams.nlp import analyze_articles, load_pipeline
from streams.runtime import metrics
from streams.runtime.app import (
    app,
    articles_topic,
    country_mentions_topic,
    country_totals,
    dead_letter_topic,
    output_topics,
    settings,
    windowed_tables,
)
from streams.runtime.faust_compat import CatchUp, PartitionReader, in_order
from streams.runtime.transactions import ArticleTransactions, Outcome, Outgoing, Transactions, Work

log = logging.getLogger(__name__)

# One thread: spaCy is not made faster by more threads here, and one keeps the model's use serial.
_nlp_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlp")


async def _in_nlp_thread(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(_nlp_thread, fn, *args)


def new_transactions() -> Transactions:
    """The agent's transactions (the agent tests put an in-memory stand-in here)."""
    return ArticleTransactions(settings, app.conf.id, owns=lambda tp: tp in app.consumer.assignment())


@dataclass
class AgentContext:
    """The runtime objects of this worker's agents that others reach: the rebalance handler, the stall check,
    `newswire reprocess`."""

    #: input partition -> the offset where this worker stops (`newswire reprocess`: a backfill ends); none live
    stop_before: dict[int, int] = field(default_factory=dict)
    transactions: Transactions | None = None  # the article agent's, while it runs
    nlp: object | None = None  # its model, once loaded
    catch_up: CatchUp | None = None  # the table agent's, while it runs
    #: input partition -> when (time.monotonic) a record of it was last handed to the agent or read by the stall check
    last_handed: dict = field(default_factory=dict)
    #: one batch at a time, the agent's or the stall check's; a revocation waits for it (as Faust's own does)
    batch_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def revoked(self, tps) -> None:
        # Revoked partitions may go to another worker, whose producers fence ours: start afresh if they return.
        ours = [tp for tp in tps if tp.topic == articles_topic.get_topic_name()]
        if self.catch_up is not None:
            async with self.catch_up.lock:  # not in the middle of counting them
                self.catch_up.forget(tps)
        if ours:
            log.info("rebalance: %d partitions of %s revoked", len(ours), articles_topic.get_topic_name())
            metrics.PARTITIONS_REVOKED.inc(len(ours))
        for tp in ours:
            self.last_handed.pop(tp, None)
        if self.transactions is not None:
            async with self.batch_lock:
                await self.transactions.release(ours)


context = AgentContext()


def stop_before(offsets: dict[int, int]) -> None:
    """Leave the records of partition p from `offsets[p]` on alone: they are not processed or committed."""
    context.stop_before.clear()
    context.stop_before.update(offsets)


@app.on_partitions_revoked.connect
async def _release_revoked(sender=None, revoked=(), **kwargs) -> None:
    await context.revoked(revoked)


def _dead_letter(message, error: Exception) -> Outgoing:
    log.warning(
        "dead-lettering %s[%s]@%s: %s: %s",
        message.topic,
        message.partition,
        message.offset,
        getattr(error, "reason", type(error).__name__),
        error,
    )
    headers = dead_letter_headers(error, message.topic, message.partition, message.offset, settings.app_id)
    return Outgoing(dead_letter_topic.get_topic_name(), message.key, message.value, message.timestamp, headers)


def _events(analysis: dict, article: Article, timestamp: float | None) -> list[Outgoing]:
    # Events keep the article record's timestamp (as Kafka Streams does): the tables' fallback event time.
    # Each is a CloudEvent in binary mode: the value is the JSON event, its attributes are headers.
    source = event_source(settings.app_id)
    return [
        Outgoing(
            output_topics[event.kind].get_topic_name(),
            event.key.encode("utf-8"),
            json.dumps(event.value, ensure_ascii=False).encode("utf-8"),
            timestamp,
            event_headers(event, source, timestamp),
        )
        for event in events_for(analysis, article.published_at, article.published_at_assumed, article.dropped)
    ]


def _analyse_batch(items: list[tuple[Article, float | None]], nlp) -> list:
    """Per article: (analysis, its encoded events), or the exception that is its dead-letter reason.

    Runs in the NLP thread, encoding included: the event loop stays free for the consumer and the web views.
    """
    try:
        analyses = analyze_articles([article.as_dict() for article, _ in items], nlp, settings.batch_size)
    except Exception:
        # One bad article must not sink its batch: retry one by one, dead-letter the failures.
        log.exception("batch analysis failed; retrying its %d articles one by one", len(items))
        analyses = []
        for article, _ in items:
            try:
                analyses.extend(analyze_articles([article.as_dict()], nlp, 1))
            except Exception as error:  # noqa: BLE001 - any extractor bug is this article's DLQ reason
                analyses.append(error)
    if settings.extractor_version:  # a label for the reprocess (tests run two versions of one code side by side)
        analyses = [
            a if isinstance(a, Exception) else a | {"extractor_version": settings.extractor_version} for a in analyses
        ]
    return [
        analysis if isinstance(analysis, Exception) else (analysis, _events(analysis, article, timestamp))
        for (article, timestamp), analysis in zip(items, analyses, strict=True)
    ]


@app.agent(articles_topic, name="streams.agents.process_articles")  # the name before the move to runtime/
async def process_articles(stream):
    started = time.perf_counter()
    nlp = await _in_nlp_thread(load_pipeline, settings.model, settings.blas)
    nlp.max_length = max(nlp.max_length, settings.max_text_chars + 1)
    metrics.MODEL_LOAD_SECONDS.set(time.perf_counter() - started)
    log.info("model %s loaded in %.1f s", settings.model, time.perf_counter() - started)
    context.transactions = transactions = new_transactions()
    context.nlp, context.batch_lock = nlp, asyncio.Lock()  # a lock of this event loop (tests run several)
    try:
        async for batch in stream.take_events(settings.batch_size, within=settings.batch_timeout_s):
            # Committed before the next batch is taken: Faust's rebalance waits for the batch it handed out.
            async with context.batch_lock:
                started = time.perf_counter()
                by_partition: dict[object, list] = defaultdict(list)
                for event in batch:
                    by_partition[event.message.tp].append(event.message)
                    context.last_handed[event.message.tp] = time.monotonic()
                work = await _prepare(by_partition, transactions, nlp, context.stop_before)
                await _commit(work, transactions, started)
    finally:
        context.transactions = context.nlp = None
        await transactions.close()


STALL_CHECK_S = max(1.0, settings.stall_after_s / 3)


@app.timer(interval=STALL_CHECK_S)
async def _read_stalled_partitions() -> None:
    if app.rebalancing or not app.tables.recovery.completed.is_set():
        return  # partitions are moving, or Faust holds them back on purpose while it recovers its tables
    assigned = app.consumer.assignment()
    articles, mentions = articles_topic.get_topic_name(), country_mentions_topic.get_topic_name()
    try:
        await read_stalled([tp for tp in assigned if tp.topic == articles], time.monotonic())
        await count_stalled([tp for tp in assigned if tp.topic == mentions], time.monotonic())
    except Exception:  # noqa: BLE001 - an error raised out of a Faust timer stops the worker; the next tick retries
        log.exception("reading stalled partitions from Kafka failed; trying again in %.0f s", STALL_CHECK_S)


async def read_stalled(owned, now: float) -> list:
    """Process, from Kafka, a batch of each partition in `owned` that has records past its committed offset
    and of which the consumer handed out none for `stall_after_s`; return those partitions.

    Faust can drop records it had fetched when the group rebalances (faust-streaming #216, #221); a later
    record of the partition brings them back (`in_order`), but the last ones of a partition that gets no new
    record would wait forever. A partition only slow to come (the agent busy) is read here all the same:
    what the agent is handed later is below the committed offset and skipped.
    """
    transactions, nlp = context.transactions, context.nlp
    if transactions is None or nlp is None:
        return []  # the model is still loading
    read = []
    # aiokafka's transactions take its own TopicPartition, not Faust's TP (both equal as tuples)
    for tp in sorted((TopicPartition(tp.topic, tp.partition) for tp in owned), key=lambda tp: tp.partition):
        if now - context.last_handed.setdefault(tp, now) < settings.stall_after_s:
            continue
        async with context.batch_lock:
            if not transactions.owns(tp):
                continue
            state = await transactions.state(tp)
            first, end = await transactions.bounds(tp)
            start = first if state.next_offset is None else max(state.next_offset, first)
            stop = context.stop_before.get(tp.partition)
            end = end if stop is None else min(end, stop)
            context.last_handed[tp] = now
            if start >= end:
                continue  # nothing left: checked again after another stall_after_s
            log.warning(
                "%s[%d]: %d records from offset %d waiting, none handed out for %.0f s: reading them from Kafka",
                tp.topic,
                tp.partition,
                end - start,
                start,
                settings.stall_after_s,
            )
            metrics.STALLED_PARTITION_READS.inc()
            started = time.perf_counter()
            messages = await transactions.read_range(tp, start, min(end, start + settings.batch_size))
            await _commit(await _prepare({tp: messages}, transactions, nlp, context.stop_before), transactions, started)
            read.append(tp)
    return read


async def _prepare(
    by_partition: dict[object, list], transactions: Transactions, nlp, stops: dict[int, int]
) -> dict[object, list[Work]]:
    """The work per input partition of its messages (in offset order): dead letters, duplicates, and analysed
    articles' events."""
    work: dict[object, list[Work]] = {}
    to_analyse: list[tuple[Work, Article, object]] = []
    for tp, messages in by_partition.items():
        if not transactions.owns(tp):
            continue  # revoked meanwhile: its new owner resumes from the committed offset
        state = await transactions.state(tp)
        stop = stops.get(tp.partition)
        messages = await in_order(tp, messages, state.next_offset, transactions.read_range, stop=stop)
        if not messages:
            continue
        work[tp] = []
        for message in messages:
            item = Work(message.offset, [], timestamp=message.timestamp)
            work[tp].append(item)
            try:
                article = parse_article(
                    message.value,
                    message.key,
                    settings.max_article_bytes,
                    settings.max_text_chars,
                    settings.naive_timezone,
                )
            except RejectedArticle as error:
                item.outcome, item.records = Outcome.DEAD_LETTERED, [_dead_letter(message, error)]
                continue
            item.metadata = article.metadata_notes()
            item.seen = state.seen.check(article.id, message.offset, message.timestamp or time.time())
            if item.seen is None:
                log.info(
                    "article %r re-published at %s[%s]@%s: counted as a duplicate, not analysed again",
                    article.id,
                    message.topic,
                    message.partition,
                    message.offset,
                )
                item.outcome = Outcome.REPUBLISHED
                continue
            to_analyse.append((item, article, message))

    if to_analyse:
        results = await _in_nlp_thread(_analyse_batch, [(a, m.timestamp) for _, a, m in to_analyse], nlp)
        for (item, _, message), result in zip(to_analyse, results, strict=True):
            if isinstance(result, Exception):
                item.outcome, item.records = Outcome.DEAD_LETTERED, [_dead_letter(message, result)]
            else:
                item.analysis, item.records = result
    return work


async def _commit(work: dict[object, list[Work]], transactions: Transactions, started: float) -> None:
    # One transaction per input partition, each with its own producer: side by side, not one after another.
    committed = await asyncio.gather(*(transactions.commit(tp, items) for tp, items in work.items() if items))
    # Counted once committed: what a subscriber sees.
    metrics.PROCESSING_SECONDS.observe(time.perf_counter() - started)
    now = time.time()
    for items in committed:
        for item in items:
            metrics.ARTICLES.labels(item.outcome.value).inc()
            metrics.count_metadata(item.metadata)
            for record in item.records:
                metrics.EVENTS.labels(record.topic).inc()
            if item.analysis is not None:
                metrics.count_analysis(item.analysis)
                if item.timestamp and item.timestamp > 0:
                    metrics.LATENCY_SECONDS.observe(max(0.0, now - item.timestamp))


def _stale(name: str, when: float) -> bool:
    """True when `when` falls in a window the table `name` already drops (older than its retention)."""
    return windowed_tables[name].table.window.stale(window_key(WINDOWS[name], when)[1], time.time())


@app.agent(country_mentions_topic, name="streams.agents.count_country_mentions")  # likewise
async def count_country_mentions(stream):
    reader = PartitionReader(settings, app.conf.id, max_record_bytes=1 << 20)
    context.catch_up = catch_up = CatchUp(reader, app.consumer.mark_done)
    try:
        async for event in stream.events():
            async with catch_up.lock:
                # After a rebalance Faust can drop records it had fetched: count them first, read from Kafka.
                for missed in await catch_up.skipped_before(event.message.tp, event.message.offset):
                    _count_record(missed)
                _count(event.key, event.value, event.message)
    finally:
        context.catch_up = None
        await reader.close()


async def count_stalled(owned, now: float) -> int:
    """Count, from Kafka, what the table agent is still owed of each partition in `owned` of which it was
    handed none for `stall_after_s` (`CatchUp.stalled`); return how many records."""
    catch_up, counted = context.catch_up, 0
    if catch_up is None:
        return 0
    for tp in owned:
        async with catch_up.lock:
            if tp not in app.consumer.assignment():
                continue  # revoked meanwhile: its new owner counts it
            found = await catch_up.stalled(tp, now, settings.stall_after_s, _count_record)
        if found:
            metrics.STALLED_PARTITION_READS.inc()
        counted += found
    return counted


def _count_record(record) -> None:
    """Count a record read from Kafka (its value is the raw JSON)."""
    try:
        value = json.loads(record.value) if record.value is not None else None
    except ValueError:
        value = None
    _count(record.key, value, record)


def _count(key, value, message) -> None:
    """Add one country-mention event to the tables, once per table value (see streams.domain.tables.add_mentions)."""
    country = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
    count = value.get("count") if isinstance(value, dict) else None
    if not ISO_CODE.match(country) or not isinstance(count, int) or count < 1 or value.get("country") != country:
        log.warning(
            "skipping %s[%s]@%s: not a country-mention event keyed by its ISO code",
            message.topic,
            message.partition,
            message.offset,
        )
        return
    offset = message.offset
    raw = country.encode("ascii")
    current = country_totals[raw]
    # A replayed event is skipped, but its value written again: the changelog then surely holds it.
    country_totals[raw] = add_mentions(current, count, offset) or current
    when = article_time(value, message.timestamp)
    if when is None:
        return  # no time at all: counted all-time only
    for name, windowed in windowed_tables.items():
        if not _stale(name, when):
            # The event's own window, not the one of the record being processed (a skipped record's may differ).
            window = window_key(WINDOWS[name], when)
            current = windowed.table.get((country, window))
            windowed[country][window] = add_mentions(current, count, offset) or current
