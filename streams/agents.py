"""consume → validate → analyze → emit → count, and dead-letter what cannot be analysed.

`process_articles` takes batches (spaCy is fastest with `nlp.pipe`), runs the NLP in a worker thread so
the event loop keeps heart-beating, waits until every event of the batch is acknowledged by the broker,
and only then lets Faust acknowledge the input offsets: nothing is committed before its work is done.

`count_country_mentions` reads the country-mention events back (keyed by ISO code, so co-partitioned with
the tables) and adds them to the all-time, hourly and daily tables.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from streams import metrics
from streams.app import (app, articles_topic, country_daily, country_hourly, country_mentions_topic, country_totals,
                         dead_letter_topic, output_topics, settings)
from streams.events import events_for
from streams.intake import Article, RejectedArticle, dead_letter_headers, parse_article
from streams.nlp import analyze_articles, load_pipeline
from streams.tables import ISO_CODE, article_time

log = logging.getLogger(__name__)

# One thread: spaCy is not made faster by more threads here, and one keeps the model's use serial.
_nlp_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlp")


async def _in_nlp_thread(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(_nlp_thread, fn, *args)


async def _dead_letter(event, error: Exception) -> asyncio.Future:
    message = event.message
    log.warning("dead-lettering %s[%s]@%s: %s: %s", message.topic, message.partition, message.offset,
                getattr(error, "reason", type(error).__name__), error)
    metrics.ARTICLES.labels("dead_lettered").inc()
    return await dead_letter_topic.send(
        key=message.key,
        value=message.value,
        headers=dead_letter_headers(error, message.topic, message.partition, message.offset, settings.app_id),
        force=True,
    )


async def _emit(analysis: dict, article: Article, timestamp: float | None) -> list[asyncio.Future]:
    pending = []
    for event in events_for(analysis, published_at=article.published_at):
        topic = output_topics[event.kind]
        # Events keep the article record's timestamp (as Kafka Streams does): the tables' fallback event time.
        pending.append(await topic.send(key=event.key.encode("utf-8"), value=event.value, timestamp=timestamp,
                                        force=True))
        metrics.EVENTS.labels(topic.get_topic_name()).inc()
    metrics.count_analysis(analysis)
    return pending


@app.agent(articles_topic)
async def process_articles(stream):
    started = time.perf_counter()
    nlp = await _in_nlp_thread(load_pipeline, settings.model)
    metrics.MODEL_LOAD_SECONDS.set(time.perf_counter() - started)
    log.info("model %s loaded in %.1f s", settings.model, time.perf_counter() - started)

    async for batch in stream.take_events(settings.batch_size, within=settings.batch_timeout_s):
        batch_started = time.perf_counter()
        pending: list[asyncio.Future] = []
        accepted: list[tuple[object, Article]] = []
        published: list[float] = []  # record timestamps of the articles analysed, for the latency histogram
        for event in batch:
            try:
                accepted.append((event, parse_article(event.message.value, event.message.key,
                                                      settings.max_article_bytes)))
            except RejectedArticle as error:
                pending.append(await _dead_letter(event, error))
        if accepted:
            articles = [article.as_dict() for _, article in accepted]
            try:
                analyses = await _in_nlp_thread(analyze_articles, articles, nlp, settings.batch_size)
            except Exception:
                # One bad article must not sink its batch: retry one by one, dead-letter the failures.
                log.exception("batch analysis failed; retrying its %d articles one by one", len(articles))
                analyses = []
                for event, article in accepted:
                    try:
                        analyses.extend(await _in_nlp_thread(analyze_articles, [article.as_dict()], nlp, 1))
                    except Exception as error:  # noqa: BLE001 - any extractor bug is this article's DLQ reason
                        analyses.append(error)
            for (event, article), analysis in zip(accepted, analyses):
                if isinstance(analysis, Exception):
                    pending.append(await _dead_letter(event, analysis))
                    continue
                pending.extend(await _emit(analysis, article, event.message.timestamp))
                metrics.ARTICLES.labels("ok").inc()
                published.append(event.message.timestamp)
        # Wait for the broker to acknowledge every event before the batch's input offsets are acked.
        await asyncio.gather(*pending)
        metrics.PROCESSING_SECONDS.observe(time.perf_counter() - batch_started)
        emitted = time.time()
        for timestamp in published:
            if timestamp and timestamp > 0:
                metrics.LATENCY_SECONDS.observe(max(0.0, emitted - timestamp))


def _stale(windowed, when: float) -> bool:
    """True when `when` falls in a window the table already drops (older than its retention)."""
    window = windowed.table.window
    return window.stale(window.ranges(when)[0][1], time.time())


@app.agent(country_mentions_topic)
async def count_country_mentions(stream):
    # The next issue (exactly-once) de-duplicates here, on value["event_id"], before the tables change.
    async for event in stream.events():
        value = event.value
        country = event.key.decode("utf-8", "replace") if isinstance(event.key, bytes) else str(event.key)
        count = value.get("count") if isinstance(value, dict) else None
        if not ISO_CODE.match(country) or not isinstance(count, int) or count < 1 or value.get("country") != country:
            log.warning("skipping %s[%s]@%s: not a country-mention event keyed by its ISO code",
                        event.message.topic, event.message.partition, event.message.offset)
            continue
        country_totals[country.encode("ascii")] += count
        when = article_time(value, event.message.timestamp)
        if when is None:
            continue  # no time at all: counted all-time only
        for windowed in (country_hourly, country_daily):
            if not _stale(windowed, when):
                windowed[country] += count
