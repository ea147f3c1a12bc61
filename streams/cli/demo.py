"""`newswire demo`: broker, worker, the seed articles in, their events and country counts out."""

from __future__ import annotations

import json
import time
from collections import Counter

from streams.kafka.clients import ensure_topics, producer, wait_until_processed
from streams.kafka.publisher import publish, read_articles
from streams.kafka.subscriber import tail
from streams.settings import PROJECT_ROOT, Settings
from streams.tools.broker import LocalBroker
from streams.tools.worker import WorkerProcess


def _say(message: str) -> None:
    print(f"==> {message}", flush=True)


def _summary(topic_kind: str, value: dict) -> str:
    if topic_kind == "entity":
        country = f" [{value['country']}]" if value.get("country") else ""
        return f"{value['label']:<7} {value['canonical']}{country} ×{len(value['mentions'])}"
    if topic_kind == "quote":
        return f"{value['kind']:<8} {value['speaker'] or '(unattributed)'} {value['cue'] or ''}: “{value['text']}”"
    if topic_kind == "stance":
        return f"{value['actor']} {value['polarity'].upper()} {value['target']} ({value['type']}, cue “{value['cue']}”)"
    return f"{value['country']} ×{value['count']}: {', '.join(value['forms'])}"


def run_demo(settings: Settings, seeds: list[str] | None = None, keep_running: bool = False) -> dict[str, int]:
    broker = LocalBroker(settings)
    started_broker = not broker.is_ready()
    if started_broker:
        _say(f"starting Apache Kafka {settings.kafka_version} on {broker.bootstrap_servers}")
        broker.start()
    worker = WorkerProcess(settings)
    try:
        ensure_topics(settings)
        _say(f"starting a Faust worker (log: {worker.log_path})")
        worker.start()
        articles = list(read_articles(seeds or [str(PROJECT_ROOT / "seeds")]))
        ids = {article["id"] for article in articles}
        kafka_producer = producer(settings)
        sent, acknowledged = publish(kafka_producer, settings.topic_articles, articles, progress=False)
        kafka_producer.close()
        _say(f"published {acknowledged}/{sent} seed articles to {settings.topic_articles}")
        wait_until_processed(settings)

        kinds = {
            settings.topic_entities: "entity",
            settings.topic_quotes: "quote",
            settings.topic_stances: "stance",
            settings.topic_country_mentions: "country-mention",
        }
        counts: Counter[str] = Counter()
        current_topic = None
        for record in sorted(
            tail(settings, list(kinds), from_beginning=True, idle_timeout=3),
            key=lambda r: (list(kinds).index(r["topic"]), r["partition"], r["offset"]),
        ):
            value = record["value"]
            if value.get("article_id") not in ids:
                continue  # events of articles published before this run
            if record["topic"] != current_topic:
                current_topic = record["topic"]
                _say(f"events on {current_topic}")
            print("   ", _summary(kinds[record["topic"]], value))
            if kinds[record["topic"]] == "country-mention":
                counts[value["country"]] += value["count"]
        _say("country mentions in the seed articles")
        for iso, count in counts.most_common():
            print(f"    {iso}  {count}")
        print(json.dumps({"countries": dict(counts.most_common())}))
        _say(f"live page: {worker.page_url} (countries, quotes and stances, updated as articles arrive)")
        if keep_running:
            _say(
                f"still running: broker {broker.bootstrap_servers}, live page {worker.page_url}, worker metrics "
                f"{worker.metrics_url}; publish more with `newswire publish FILE`; Ctrl-C stops"
            )
            while True:
                time.sleep(3600)
        return dict(counts)
    except KeyboardInterrupt:
        return {}
    finally:
        _say("stopping")
        worker.stop()
        if started_broker:
            broker.stop()
