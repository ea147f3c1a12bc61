"""consume → validate → analyze → emit → count, and dead-letter what cannot be analysed.

The agent takes batches (spaCy is fastest with `nlp.pipe`), runs the NLP in a worker thread so the
event loop keeps heart-beating, waits until every event of the batch is acknowledged by the broker,
and only then lets Faust acknowledge the input offsets: nothing is committed before its work is done.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from streams import metrics
from streams.app import app, articles_topic, dead_letter_topic, output_topics, settings
from streams.events import events_for
from streams.intake import Article, RejectedArticle, dead_letter_headers, parse_article
from streams.nlp import analyze_articles, load_pipeline

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


async def _emit(analysis: dict, article: Article) -> list[asyncio.Future]:
    pending = []
    for event in events_for(analysis, published_at=article.published_at):
        topic = output_topics[event.kind]
        pending.append(await topic.send(key=event.key.encode("utf-8"), value=event.value, force=True))
        metrics.EVENTS.labels(topic.get_topic_name()).inc()
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
                pending.extend(await _emit(analysis, article))
                metrics.ARTICLES.labels("ok").inc()
        # Wait for the broker to acknowledge every event before the batch's input offsets are acked.
        await asyncio.gather(*pending)
        metrics.PROCESSING_SECONDS.observe(time.perf_counter() - batch_started)
