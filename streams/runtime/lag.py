"""Consumer lag per input partition, measured by each worker for the partitions it owns.

Faust's monitor has no lag metric, so every `NEWSWIRE_LAG_POLL_INTERVAL_S` the worker asks the broker
for the end offset and the group's committed offset of each input partition assigned to it, and
publishes the difference as `newswire_consumer_lag_records{topic, partition}`.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from kafka import TopicPartition

from streams.kafka.clients import consumer
from streams.kafka.plumbing import partition_lags
from streams.runtime import metrics
from streams.runtime.app import app, articles_topic, country_mentions_topic, settings

log = logging.getLogger(__name__)
logging.getLogger("kafka").setLevel(logging.WARNING)  # kafka-python logs every connection at INFO

# kafka-python clients are not thread-safe: one thread owns this worker's lag client.
_lag_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lag")
_client = None
INPUT_TOPICS = {articles_topic.get_topic_name(), country_mentions_topic.get_topic_name()}


def measure(partitions: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """(topic, partition) -> end offset minus committed offset; never committed counts from the log start
    (streams.kafka.plumbing.lag)."""
    global _client
    if _client is None:
        # Not subscribed, so it never joins the group; the group id only selects whose commits we read.
        _client = consumer(settings, group_id=settings.app_id, enable_auto_commit=False)
    tps = [TopicPartition(topic, partition) for topic, partition in partitions]
    return {(tp.topic, tp.partition): behind for tp, behind in partition_lags(_client, tps).items()}


@app.timer(interval=settings.lag_poll_interval_s, name="streams.lag.poll_consumer_lag")  # the name before the move
async def poll_consumer_lag() -> None:
    if app.rebalancing:
        return  # the assignment is about to change; measure at the next tick
    owned = sorted((tp.topic, tp.partition) for tp in app.assignor.assigned_actives() if tp.topic in INPUT_TOPICS)
    try:
        lags = await asyncio.get_running_loop().run_in_executor(_lag_thread, measure, owned) if owned else {}
    except Exception as error:  # noqa: BLE001 - a failed measurement must not stop the worker; log and retry
        log.warning(
            "could not measure consumer lag (%s: %s); retrying in %.0f s",
            type(error).__name__,
            error,
            settings.lag_poll_interval_s,
        )
        return
    metrics.CONSUMER_LAG.snapshot = lags
