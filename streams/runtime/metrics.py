"""Prometheus metric definitions (names follow Prometheus conventions: base units, `_total`, bounded labels).

Every label has a bounded set of values: outcomes, topic names, spaCy entity labels, quote kinds,
stance polarities and types (the taxonomy of streams/nlp/stances/lexicon.py), ISO 3166-1 country codes
(about 250), partition numbers, and a reprocess's extractor version (one per `newswire reprocess` process).
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
STALLED_PARTITION_READS = Counter(
    "newswire_stalled_partition_reads_total",
    "Times the worker read an input partition's records from Kafka itself because its consumer had handed out "
    "none for NEWSWIRE_STALL_AFTER_S.",
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
#: The stance types of streams/nlp/stances/lexicon.py TYPES (not imported: that pulls in spaCy; a test keeps
#: them equal). A type outside it would be counted as `other`, so the label stays bounded.
STANCE_TYPES = (
    "recognize",
    "cooperate",
    "praise",
    "express_support",
    "material_cooperation",
    "provide_aid",
    "criticize_or_accuse",
    "appeal_or_demand",
    "reject",
    "sue",
    "threaten",
    "sanction",
    "use_force",
)
STANCE_TYPE_COUNT = Counter(
    "newswire_stance_types_extracted_total",
    "Stances extracted, by type (the CAMEO-based taxonomy; each type has one polarity).",
    ["type"],
    registry=REGISTRY,
)
#: Calibrated confidences lie in [0, 1]; `le="0.5"` is the dashboard's and the alert's "low confidence".
CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
LOW_CONFIDENCE = 0.5
QUOTE_CONFIDENCE = Histogram(
    "newswire_quote_confidence",
    "Calibrated confidence of the quote events emitted: that the speaker is right (for reported speech: that "
    "it is reported speech and its speaker is right).",
    buckets=CONFIDENCE_BUCKETS,
    registry=REGISTRY,
)
STANCE_CONFIDENCE = Histogram(
    "newswire_stance_confidence",
    "Calibrated confidence of the stance events emitted: that the stance is right.",
    buckets=CONFIDENCE_BUCKETS,
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
    # published_at: naive_time | date_only | iso8601 | rfc2822 | epoch_seconds | epoch_milliseconds
    ["field", "reason"],
    registry=REGISTRY,
)
METADATA_DROPPED = Counter(
    "newswire_metadata_dropped_total",
    "Optional article fields that could not be read and were left out (the text analysed all the same).",
    ["field", "reason"],  # title | url | source | published_at | language; wrong_type | unreadable | too_long | invalid
    registry=REGISTRY,
)

# `newswire reprocess` (streams.tools.reprocess): exported by the reprocess's own worker, on its --web-port.
REPROCESS_PLANNED = Gauge(
    "newswire_reprocess_planned_records",
    "Input records this reprocess run covers: from its group's committed offsets to the end offsets seen at "
    "start (or --until).",
    ["version"],
    registry=REGISTRY,
)
REPROCESS_REMAINING = Gauge(
    "newswire_reprocess_remaining_records",
    "Input records of this reprocess run not yet committed.",
    ["version"],
    registry=REGISTRY,
)
REPROCESS_PROCESSED = Counter(
    "newswire_reprocess_processed_records_total",
    "Input records this reprocess run has committed (its events, dead letters and offsets).",
    ["version"],
    registry=REGISTRY,
)
REPROCESS_START = Gauge(
    "newswire_reprocess_start_time_seconds",
    "When this reprocess run started its worker (Unix time).",
    ["version"],
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
for stance_type in STANCE_TYPES:
    STANCE_TYPE_COUNT.labels(stance_type)
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
        QUOTE_CONFIDENCE.observe(quote["confidence"])
    for stance in analysis["stances"]:
        STANCES.labels(stance["polarity"]).inc()
        STANCE_TYPE_COUNT.labels(stance["type"] if stance["type"] in STANCE_TYPES else "other").inc()
        STANCE_CONFIDENCE.observe(stance["confidence"])
    for country, count in analysis["countries"].items():
        COUNTRY_MENTIONS.labels(country).inc(count)


def reprocess_started(version: str, planned: int, at: float) -> None:
    """A reprocess run of `version` starts its worker, with `planned` input records to do."""
    REPROCESS_PLANNED.labels(version).set(planned)
    REPROCESS_REMAINING.labels(version).set(planned)
    REPROCESS_PROCESSED.labels(version)
    REPROCESS_START.labels(version).set(at)


def reprocess_progress(version: str, remaining: int, newly_done: int) -> None:
    """`remaining` of the run's planned records are still to commit; `newly_done` were committed since the
    last call."""
    REPROCESS_REMAINING.labels(version).set(max(0, remaining))
    if newly_done > 0:
        REPROCESS_PROCESSED.labels(version).inc(newly_done)
