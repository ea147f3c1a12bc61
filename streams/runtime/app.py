"""The Faust app: its topics and tables, declared, nothing else. Agents live in `streams.runtime.agents`.

Run a worker with `faust -A streams.runtime.app worker -l info` or `newswire worker`.
"""

from __future__ import annotations

from datetime import timedelta

from streams.domain.tables import WINDOWS, event_time
from streams.kafka.security import faust_credentials
from streams.runtime.faust_compat.transport import NewswireApp
from streams.settings import get_settings

settings = get_settings()


def _broker_urls(bootstrap_servers: str) -> list[str]:
    return [f"kafka://{server.strip()}" for server in bootstrap_servers.split(",") if server.strip()]


app = NewswireApp(
    settings.app_id,
    # Exactly-once (streams.runtime.transactions): the offsets of news.articles commit in the transactions that emit
    # the articles' events; Faust commits the rest (the tables' input) after flushing their changelogs.
    transactional_topics=frozenset({settings.topic_articles}),
    broker=_broker_urls(settings.bootstrap_servers),
    broker_credentials=faust_credentials(settings),  # TLS / SASL, same settings as the CLI clients
    store=settings.store,
    # One store directory per worker: two workers on one machine (different ports) must not share RocksDB files.
    datadir=str(settings.data_dir / f"worker-{settings.web_port}"),
    web_host=settings.web_host,
    web_port=settings.web_port,
    web_bind=settings.web_host,
    # The URL the other workers route table queries to (Faust shares it at each rebalance).
    canonical_url=settings.web_url or f"http://{settings.web_host}:{settings.web_port}",
    broker_session_timeout=settings.session_timeout_s,
    # No standby copies: a partition that moves is rebuilt from its changelog (a few hundred keys: instant),
    # never promoted from a standby that may lag behind its changelog.
    table_standby_replicas=0,
    # The longest batch (the largest allowed article) must not get the worker thrown out of its group.
    broker_max_poll_interval=settings.processing_timeout_s,
    # Records up to the article size limit must pass through (input, dead letters): room for headers too.
    producer_max_request_size=settings.max_article_bytes + (1 << 20),
    consumer_max_fetch_size=settings.max_article_bytes + (1 << 20),
    topic_partitions=settings.topic_partitions,
    topic_replication_factor=settings.topic_replication,
    autodiscover=[
        "streams.runtime.changelogs",
        "streams.runtime.agents",
        "streams.runtime.views",
        "streams.runtime.lag",
        "streams.runtime.live_web",
    ],
    # Faust scans its origin package for agents too: the runtime only (the whole of streams would import
    # every tool, and streams/cli/__main__.py would run the CLI inside the worker).
    origin="streams.runtime",
)

# Input is read as raw bytes: decoding is ours, so bad input is dead-lettered instead of crashing.
articles_topic = app.topic(settings.topic_articles, key_serializer="raw", value_serializer="raw")
dead_letter_topic = app.topic(settings.topic_dlq, key_serializer="raw", value_serializer="raw")

# Contract name (schemas/) -> output topic.
output_topics = {
    "entity": app.topic(settings.topic_entities, key_serializer="raw", value_serializer="json"),
    "quote": app.topic(settings.topic_quotes, key_serializer="raw", value_serializer="json"),
    "stance": app.topic(settings.topic_stances, key_serializer="raw", value_serializer="json"),
    "country-mention": app.topic(settings.topic_country_mentions, key_serializer="raw", value_serializer="json"),
}
country_mentions_topic = output_topics["country-mention"]

# Country-mention tables. All three are updated by the agent that reads `news.country-mentions`, which is
# keyed by ISO code, so a country's counts live in the partition (and on the worker) that owns its key.
# Changelog-backed; on `rocksdb://` (rocksdict) a restarted worker reads back only what it missed.
_small_store = {"write_buffer_size": 4 << 20, "block_cache_size": 16 << 20}  # ~250 keys: RocksDB defaults are GBs

# key_type=bytes: keys are serialized raw, exactly like the topic's keys, so Faust's router hashes
# "VE" to the same partition as the records keyed "VE" (a JSON key would hash differently).
# Values are [mentions, next offset of news.country-mentions to apply] (streams.domain.tables.add_mentions): one
# changelog record holds a count and the mark that makes replaying its input harmless.
country_totals = app.Table(
    "country-mentions-total",
    default=list,
    key_type=bytes,
    options=dict(_small_store),
    help="All-time country mentions, by ISO 3166-1 alpha-2 code.",
)
# Event time: the article's published_at, else the record's timestamp (when the article was published
# to Kafka). Windows start on the hour / at 00:00 UTC; Faust drops them `expires` after their end.
country_hourly = (
    app.Table(
        "country-mentions-1h",
        default=list,
        key_type=str,
        options=dict(_small_store),
        help="Country mentions per hour of event time.",
    )
    .tumbling(timedelta(seconds=WINDOWS["1h"]), expires=timedelta(hours=settings.hourly_retention_hours))
    .relative_to(event_time)
)
country_daily = (
    app.Table(
        "country-mentions-1d",
        default=list,
        key_type=str,
        options=dict(_small_store),
        help="Country mentions per day of event time.",
    )
    .tumbling(timedelta(seconds=WINDOWS["1d"]), expires=timedelta(days=settings.daily_retention_days))
    .relative_to(event_time)
)
#: window name in the HTTP API (streams.domain.tables.WINDOWS, whose sizes the tables have) -> its table
windowed_tables = {"1h": country_hourly, "1d": country_daily}
