"""The worker's state topics, created before it subscribes: the tables' changelogs (with Faust's settings)
and the seen-articles topic of streams.runtime.transactions.

Faust creates a missing changelog topic itself at start-up and subscribes a moment later. When the broker's
metadata does not list the new topic yet, the group is assigned without it and stays so until the next
metadata refresh (5 minutes), and every table update fails meanwhile (`PartitionsMismatch`). Creating the
topics first and waiting until the broker lists them removes that race, as `ensure_topics` does for the
pipeline's own topics.
"""

from __future__ import annotations

import sys

from mode.utils.times import want_seconds

from streams.kafka.clients import consumer, create_missing_topics
from streams.runtime.app import app, settings
from streams.runtime.transactions import seen_topic


def changelog_specs(faust_app) -> dict[str, dict]:
    """Changelog topic name -> create options, exactly as Faust would declare it (`Topic.declare`)."""
    specs = {}
    for table in faust_app.tables.values():
        topic = table.changelog_topic
        configs = dict(topic.config or {})
        policy = [name for name, wanted in (("compact", topic.compacting), ("delete", topic.deleting)) if wanted]
        if policy:
            configs["cleanup.policy"] = ",".join(policy)
        if topic.retention:
            configs["retention.ms"] = str(int(want_seconds(topic.retention) * 1000))
        specs[topic.get_topic_name()] = {
            "num_partitions": topic.partitions or faust_app.conf.topic_partitions,
            "replication_factor": topic.replicas or faust_app.conf.topic_replication_factor or 1,
            "configs": {key: str(value) for key, value in configs.items()},
        }
    return specs


def seen_topic_spec(partitions: int) -> dict[str, dict]:
    """Compacted (one record per article id) and, past the re-publish horizon, deleted."""
    retention_ms = int(settings.dedup_horizon_hours * 3600 * 1000)
    return {
        seen_topic(settings): {
            "num_partitions": partitions,
            "replication_factor": settings.topic_replication,
            "configs": {"cleanup.policy": "compact,delete", "retention.ms": str(retention_ms)},
        }
    }


def _article_partitions() -> int:
    """Partitions of news.articles (the seen topic is written partition for partition)."""
    reader = consumer(settings)
    try:
        return len(reader.partitions_for_topic(settings.topic_articles) or ()) or settings.topic_partitions
    finally:
        reader.close()


@app.on_worker_init.connect
def create_changelog_topics(sender=None, **kwargs) -> None:
    specs = {**changelog_specs(app), **seen_topic_spec(max(settings.topic_partitions, _article_partitions()))}
    created = create_missing_topics(settings, specs)
    if created:
        # print: Faust has not set up logging yet at this point of the start-up
        print(f"created changelog topics: {', '.join(created)}", file=sys.stderr, flush=True)
