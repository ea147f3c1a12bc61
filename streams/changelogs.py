"""The tables' changelog topics, created (with Faust's settings) before the worker subscribes to them.

Faust creates a missing changelog topic itself at start-up and subscribes a moment later. When the broker's
metadata does not list the new topic yet, the group is assigned without it and stays so until the next
metadata refresh (5 minutes), and every table update fails meanwhile (`PartitionsMismatch`). Creating the
topics first and waiting until the broker lists them removes that race, as `ensure_topics` does for the
pipeline's own topics.
"""

from __future__ import annotations

import sys

from mode.utils.times import want_seconds

from streams.app import app, settings
from streams.clients import create_missing_topics


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


@app.on_worker_init.connect
def create_changelog_topics(sender=None, **kwargs) -> None:
    created = create_missing_topics(settings, changelog_specs(app))
    if created:
        # print: Faust has not set up logging yet at this point of the start-up
        print(f"created changelog topics: {', '.join(created)}", file=sys.stderr, flush=True)
