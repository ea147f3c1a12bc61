"""The Faust app: its topics, declared, nothing else. Agents live in `streams.agents`.

Run a worker with `faust -A streams.app worker -l info` or `newswire worker`.
"""

from __future__ import annotations

import faust

from streams.settings import get_settings

settings = get_settings()


def _broker_urls(bootstrap_servers: str) -> list[str]:
    return [f"kafka://{server.strip()}" for server in bootstrap_servers.split(",") if server.strip()]


app = faust.App(
    settings.app_id,
    broker=_broker_urls(settings.bootstrap_servers),
    store=settings.store,
    datadir=str(settings.data_dir / "worker"),
    web_host=settings.web_host,
    web_port=settings.web_port,
    web_bind=settings.web_host,
    topic_partitions=settings.topic_partitions,
    topic_replication_factor=settings.topic_replication,
    autodiscover=["streams.agents", "streams.views"],
    origin="streams",
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
