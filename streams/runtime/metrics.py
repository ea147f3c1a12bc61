"""Prometheus metric definitions (names follow Prometheus conventions: base units, `_total`, bounded labels).

Every label has a bounded set of values: outcomes, topic names, spaCy entity labels, quote kinds,
stance polarities, ISO 3166-1 country codes (about 250) and partition numbers.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

disable_created_metrics()  # the *_created series only double the scrape size

REGISTRY = CollectorRegistry(auto_describe=True)

ARTICLES = Counter(
    "newswire_articles_processed_total",
    "Articles consumed from the input topic, by outcome.",
    ["outcome"],  # ok | dead_lettered | duplicate
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
TRANSACTION_SECONDS = Histogram(
    "newswire_transaction_seconds",
    "Wall time of one input partition's Kafka transaction: its events, dead letters and offset, sent and committed.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
LATENCY_SECONDS = Histogram(
    "newswire_end_to_end_latency_seconds",
    "From an article's publication to Kafka (its record timestamp) until the broker acknowledged all its events.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
    registry=REGISTRY,
)
PARTITIONS_REVOKED = Counter(
    "newswire_partitions_revoked_total",
    "Input partitions taken from this worker by consumer-group rebalances (a worker thrown out of its group "
    "loses them all).",
    registry=REGISTRY,
)
MODEL_LOAD_SECONDS = Gauge(
    "newswire_model_load_seconds",
    "Time the worker took to load its spaCy model.",
    registry=REGISTRY,
)
ENTITIES = Counter(
    "newswire_entities_extracted_total",
    "Canonical entities extracted, by label.",
    ["label"],
    registry=REGISTRY,
)
QUOTES = Counter(
    "newswire_quotes_extracted_total",
    "Quotes extracted, by kind.",
    ["kind"],  # full | partial | indirect
    registry=REGISTRY,
)
STANCES = Counter(
    "newswire_stances_extracted_total",
    "Stances extracted, by polarity.",
    ["polarity"],  # support | oppose
    registry=REGISTRY,
)
COUNTRY_MENTIONS = Counter(
    "newswire_country_mentions_total",
    "Country mentions in the articles analysed, by ISO 3166-1 alpha-2 code.",
    ["country"],
    registry=REGISTRY,
)

METADATA_NORMALISED = Counter(
    "newswire_metadata_normalised_total",
    "Optional article fields read in another form than the contract's and normalised, by field and how.",
    ["field", "reason"],  # published_at: naive_time | date_only | iso8601 | rfc2822 | epoch_seconds | epoch_milliseconds
    registry=REGISTRY,
)
METADATA_DROPPED = Counter(
    "newswire_metadata_dropped_total",
    "Optional article fields that could not be read and were left out (the text analysed all the same).",
    ["field", "reason"],  # title | url | source | published_at | language; wrong_type | unreadable | too_long | invalid
    registry=REGISTRY,
)


class ConsumerLag(Collector):
    """`newswire_consumer_lag_records`: per partition this worker owns, end offset minus committed offset.

    A snapshot replaced whole at each measurement (streams.runtime.lag), so partitions given to another worker
    at a rebalance disappear from this worker's scrape instead of lingering with a stale value.
    """

    name = "newswire_consumer_lag_records"
    documentation = "Records not yet processed (end offset minus committed offset), per input partition owned."

    def __init__(self) -> None:
        self.snapshot: dict[tuple[str, int], int] = {}

    def describe(self):
        return [GaugeMetricFamily(self.name, self.documentation, labels=["topic", "partition"])]

    def collect(self):
        family = GaugeMetricFamily(self.name, self.documentation, labels=["topic", "partition"])
        for (topic, partition), lag in sorted(self.snapshot.items()):
            family.add_metric([topic, str(partition)], lag)
        yield family


CONSUMER_LAG = ConsumerLag()
REGISTRY.register(CONSUMER_LAG)

# Export zeros for the known label values, so rate() and the dashboard work from the first scrape.
for outcome in ("ok", "dead_lettered", "duplicate"):  # duplicate: counted once de-duplication exists
    ARTICLES.labels(outcome)
for kind in ("full", "partial", "indirect"):
    QUOTES.labels(kind)
for polarity in ("support", "oppose"):
    STANCES.labels(polarity)
for reason in ("naive_time", "date_only", "iso8601", "rfc2822", "epoch_seconds", "epoch_milliseconds"):
    METADATA_NORMALISED.labels("published_at", reason)
for name in ("title", "url", "source", "published_at", "language"):
    METADATA_DROPPED.labels(name, "wrong_type")
METADATA_DROPPED.labels("published_at", "unreadable")


def count_metadata(notes) -> None:
    """Count one input article's metadata notes (streams.domain.intake.Article.metadata_notes)."""
    for what, name, reason in notes:
        (METADATA_NORMALISED if what == "normalised" else METADATA_DROPPED).labels(name, reason).inc()


def count_analysis(analysis: dict) -> None:
    """Count what one article's analysis holds (the `newswire analyze` JSON)."""
    for entity in analysis["entities"]:
        ENTITIES.labels(entity["label"]).inc()
    for quote in analysis["quotes"]:
        QUOTES.labels(quote["kind"]).inc()
    for stance in analysis["stances"]:
        STANCES.labels(stance["polarity"]).inc()
    for country, count in analysis["countries"].items():
        COUNTRY_MENTIONS.labels(country).inc(count)
