"""What a clean run of the worker commits for a list of articles, computed in this process, without Kafka.

The worker's steps for each record (streams/runtime/agents.py): intake (`parse_article`), the analysis
(`analyze_articles` on the intake's article, NEWSWIRE_EXTRACTOR_VERSION's label where set), the events (`events_for`); a
record whose article id came before (same key, so same partition) is a re-publication: counted as a
duplicate, nothing emitted. Event ids are deterministic (streams/domain/events.py), so a run of the same
input through a broker, with or without faults, must commit exactly these events, each once.
"""

from __future__ import annotations

import json
from collections import Counter

from streams.domain.events import events_for
from streams.domain.intake import parse_article
from streams.nlp import analyze_articles
from streams.settings import Settings


def clean_run(settings: Settings, published: list[dict], nlp) -> dict:
    """`published` (articles in the order sent, re-publications included) as a clean run of `settings`'
    worker commits them: event id -> (kind, event value), and the outcome of each record (ok, duplicate)."""
    articles, outcomes, seen = [], Counter(), set()
    for record in published:
        article = parse_article(
            json.dumps(record, ensure_ascii=False).encode("utf-8"),
            record["id"].encode("utf-8"),
            settings.max_article_bytes,
            settings.max_text_chars,
            settings.naive_timezone,
        )
        if article.id in seen:
            outcomes["duplicate"] += 1
            continue
        seen.add(article.id)
        articles.append(article)
    analyses = analyze_articles([article.as_dict() for article in articles], nlp, settings.batch_size)
    events: dict[str, tuple[str, dict]] = {}
    for article, analysis in zip(articles, analyses, strict=True):
        outcomes["ok"] += 1
        if settings.extractor_version:  # a label the worker puts instead of the code's version
            analysis = analysis | {"extractor_version": settings.extractor_version}
        for event in events_for(analysis, article.published_at, article.published_at_assumed, article.dropped):
            assert event.value["event_id"] not in events, f"two events of the reference share the id {event}"
            events[event.value["event_id"]] = (event.kind, event.value)
    return {"events": events, "outcomes": outcomes}


def country_totals(events: dict[str, tuple[str, dict]]) -> dict[str, int]:
    """What the all-time country table holds once every one of `events` is counted: the counts of the
    country-mention events per country."""
    totals: Counter = Counter()
    for kind, value in events.values():
        if kind == "country-mention":
            totals[value["country"]] += value["count"]
    return dict(totals)
