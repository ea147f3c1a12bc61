"""Prometheus metric definitions (names follow Prometheus conventions: base units, `_total`)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

disable_created_metrics()  # the *_created series only double the scrape size

REGISTRY = CollectorRegistry(auto_describe=True)

ARTICLES = Counter(
    "newswire_articles_processed_total",
    "Articles consumed from the input topic, by outcome.",
    ["outcome"],  # ok | dead_lettered
    registry=REGISTRY,
)
EVENTS = Counter(
    "newswire_events_emitted_total",
    "Events produced, by output topic.",
    ["topic"],
    registry=REGISTRY,
)
PROCESSING_SECONDS = Histogram(
    "newswire_batch_processing_seconds",
    "Wall time to analyse one batch of articles and publish its events.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
MODEL_LOAD_SECONDS = Gauge(
    "newswire_model_load_seconds",
    "Time the worker took to load its spaCy model.",
    registry=REGISTRY,
)

for outcome in ("ok", "dead_lettered"):
    ARTICLES.labels(outcome)  # export zeros so rate() works from the first scrape
