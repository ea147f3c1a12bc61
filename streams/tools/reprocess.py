"""`newswire reprocess`: re-analyse the retained `news.articles` under a new extractor version.

A reprocess is the new version's pipeline started early, from the past: the same Faust worker (the same
agents, transactions and tables, in this process), under the app id `<app id>-<version>`, writing to the
output topics `<topic>.<version>` and building that version's country tables beside the live ones. It
begins at the first offset of each partition at `--since` (Kafka's offsets-for-times on the records'
timestamps), committed as the new group's offset before the worker starts, and it stops cleanly once the
group has committed every partition up to the end it saw at start (or to `--until`): a backfill ends.

Exactly once, like the live worker: each input partition's events commit in one transaction with its
offset, so a reprocess killed half-way and run again resumes at the committed offsets, none lost, none
twice. The cut-over: live workers started with the new version's names (printed at the end) resume
where the reprocess stopped.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from kafka import TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata
from tqdm import tqdm

from streams.domain.tables import (
    WINDOWS,
    isoformat,
    mentions,
    normalise_country,
    parse_time,
    top_countries,
    window_bounds,
)
from streams.errors import NewswireError
from streams.kafka import clients
from streams.runtime import metrics
from streams.settings import Settings, get_settings

log = logging.getLogger(__name__)

KAFKA_TIMEOUT_MS = 30_000  # every Kafka call here: past it, a clear error instead of a wait
VERSION_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # it goes into topic names
RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class ReprocessError(NewswireError, ValueError):
    """A reprocess that cannot start or finish; the message says why and what to do."""


def parse_moment(text: str, now: float | None = None) -> float:
    """`--since` / `--until`: an ISO 8601 time (naive = UTC) or one relative to now (`7d`, `24h`, `30m`)."""
    relative = RELATIVE.match(text.strip().lower())
    if relative:
        return (time.time() if now is None else now) - float(relative[1]) * UNITS[relative[2]]
    moment = parse_time(text)
    if moment is None:
        raise ReprocessError(
            f"{text!r} is neither an ISO 8601 time (2024-05-01, 2024-05-01T12:00:00Z) nor a relative one (7d, 24h, 30m)"
        )
    return moment


def code_version() -> str:
    from streams.nlp.pipeline import EXTRACTOR_VERSION

    return EXTRACTOR_VERSION


def versioned(settings: Settings, version: str, **extra) -> Settings:
    """The settings of version `version`'s pipeline: its app id and output topics, the same input."""
    if not VERSION_LABEL.match(version):
        raise ReprocessError(
            f"extractor version {version!r} cannot name topics: use letters, digits, '.', '_' and '-' (at most 64)"
        )
    return settings.model_copy(
        update={
            "app_id": f"{settings.app_id}-{version}",
            "extractor_version": version,
            **{
                name: f"{getattr(settings, name)}.{version}"
                for name in ("topic_entities", "topic_quotes", "topic_stances", "topic_country_mentions", "topic_dlq")
            },
            **extra,
        }
    )


def cutover_env(run: Settings) -> dict[str, str]:
    """What live workers of the new version set (with the new package installed) to take over from the run."""
    env = {"NEWSWIRE_APP_ID": run.app_id}
    for name in ("topic_entities", "topic_quotes", "topic_stances", "topic_country_mentions", "topic_dlq"):
        env[f"NEWSWIRE_{name.upper()}"] = getattr(run, name)
    return env


@contextmanager
def _kafka(what: str) -> Iterator[None]:
    """Turn a Kafka error or timeout into what went wrong and what to do."""
    try:
        yield
    except KafkaError as error:
        raise ReprocessError(
            f"Kafka did not answer while {what} ({type(error).__name__}: {error}); check that the "
            "brokers at NEWSWIRE_BOOTSTRAP_SERVERS are up, then run the same command again (it "
            "resumes)"
        ) from None


def _partitions(reader, topic: str) -> list[TopicPartition]:
    deadline = time.monotonic() + KAFKA_TIMEOUT_MS / 1000
    while (found := reader.partitions_for_topic(topic)) is None and time.monotonic() < deadline:
        time.sleep(0.2)  # kafka-python answers None until its metadata has the topic
    if not found:
        raise ReprocessError(f"topic {topic} does not exist (or has no partitions); nothing to reprocess")
    return [TopicPartition(topic, p) for p in sorted(found)]


def live_versions(settings: Settings) -> set[str]:
    """The extractor versions in the latest committed country-mention events of the live pipeline."""
    reader = clients.consumer(settings, enable_auto_commit=False, isolation_level="read_committed")
    try:
        with _kafka(f"reading the versions on {settings.topic_country_mentions}"):
            if settings.topic_country_mentions not in reader.topics():
                return set()
            parts = _partitions(reader, settings.topic_country_mentions)
            ends = reader.end_offsets(parts, timeout_ms=KAFKA_TIMEOUT_MS)
            firsts = reader.beginning_offsets(parts, timeout_ms=KAFKA_TIMEOUT_MS)
            tail = [tp for tp in parts if ends[tp] > firsts[tp]]
            if not tail:
                return set()
            reader.assign(tail)
            for tp in tail:  # the last few offsets: records and the markers of their transactions
                reader.seek(tp, max(firsts[tp], ends[tp] - 20))
            versions: set[str] = set()
            deadline = time.monotonic() + KAFKA_TIMEOUT_MS / 1000
            while any(reader.position(tp) < ends[tp] for tp in tail) and time.monotonic() < deadline:
                for records in reader.poll(timeout_ms=200).values():
                    for record in records:
                        match = re.search(rb'"extractor_version":\s*"([^"]*)"', record.value or b"")
                        if match:
                            versions.add(match[1].decode("utf-8", "replace"))
            return versions
    finally:
        reader.close()


@dataclass
class Plan:
    """Per input partition: where the run starts (its group's committed offset) and where it stops."""

    starts: dict[int, int]
    stops: dict[int, int]
    resumed: bool  # the group had committed offsets already: an earlier run of this version goes on

    @property
    def total(self) -> int:
        return sum(max(0, self.stops[p] - self.starts[p]) for p in self.stops)


def plan(run: Settings, since: float | None, until: float | None) -> Plan:
    """Commit the start offsets (`since`) for the run's group where it has none, and fix the stops."""
    offsets = clients.consumer(run, group_id=run.app_id, enable_auto_commit=False)
    reader = clients.consumer(run, enable_auto_commit=False, isolation_level="read_committed")
    try:
        with _kafka(f"finding the offsets of {run.topic_articles} at the given times"):
            parts = _partitions(reader, run.topic_articles)
            ends = reader.end_offsets(parts, timeout_ms=KAFKA_TIMEOUT_MS)
            firsts = reader.beginning_offsets(parts, timeout_ms=KAFKA_TIMEOUT_MS)

            def at(moment: float | None, default: dict) -> dict:
                if moment is None:
                    return dict(default)
                found = reader.offsets_for_times({tp: int(moment * 1000) for tp in parts}, timeout_ms=KAFKA_TIMEOUT_MS)
                # None: no record at or after the time in that partition
                return {tp: ends[tp] if found.get(tp) is None else found[tp].offset for tp in parts}

            begin = at(since, firsts)
            stop = {tp: min(ends[tp], offset) for tp, offset in at(until, ends).items()}
            committed = {tp: offsets.committed(tp, timeout_ms=KAFKA_TIMEOUT_MS) for tp in parts}
            fresh = {tp: OffsetAndMetadata(begin[tp], "", -1) for tp in parts if committed[tp] is None}
            if fresh:
                offsets.commit(fresh, timeout_ms=KAFKA_TIMEOUT_MS)
        starts = {tp.partition: committed[tp] if committed[tp] is not None else begin[tp] for tp in parts}
        return Plan(starts, {tp.partition: stop[tp] for tp in parts}, resumed=len(fresh) < len(parts))
    finally:
        reader.close()
        offsets.close()


class Progress:
    """Polls the run's committed offsets: a progress bar with the time left, and the stop when caught up.

    A partition is done when its committed offset reached its stop, or when nothing Kafka holds lies
    between them any more (transaction markers or records deleted by retention, never handed out).
    """

    def __init__(self, run: Settings, plan: Plan, bar: tqdm, on_done) -> None:
        self.run, self.plan, self.bar, self.on_done = run, plan, bar, on_done
        self.reported = 0  # records done, as last exported (newswire_reprocess_*)
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.position = dict(plan.starts)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="reprocess-progress", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        # kafka-python clients are not thread-safe: this thread owns its two.
        offsets = clients.consumer(self.run, group_id=self.run.app_id, enable_auto_commit=False)
        reader = clients.consumer(self.run, enable_auto_commit=False, isolation_level="read_committed")
        try:
            while not self._stop.wait(1.0):
                try:
                    if self._poll(offsets, reader):
                        self.done.set()
                        self.on_done()
                        return
                except KafkaError as error:  # the broker may be away a moment: the worker waits too
                    log.warning("could not read the reprocess's offsets (%s); retrying", error)
        except BaseException as error:  # noqa: BLE001 - reported by the command once the worker stops
            self.error = error
            self.on_done()
        finally:
            reader.close()
            offsets.close()

    def _poll(self, offsets, reader) -> bool:
        for partition, stop in self.plan.stops.items():
            tp = TopicPartition(self.run.topic_articles, partition)
            committed = offsets.committed(tp, timeout_ms=KAFKA_TIMEOUT_MS) or 0
            self.position[partition] = min(max(committed, self.plan.starts[partition]), stop)
        done = sum(max(0, self.position[p] - self.plan.starts[p]) for p in self.plan.stops)
        self.bar.update(done - self.bar.n)  # tqdm's rate and time left; drawn at most every `mininterval`
        self.report(done)
        behind = [p for p, stop in self.plan.stops.items() if self.position[p] < stop]
        # Close to the stop with nothing more committed: only markers may be left (a cheap read, then).
        return all(
            stop - self.position[p] <= 20
            and not _records_between(reader, TopicPartition(self.run.topic_articles, p), self.position[p], stop)
            for p, stop in self.plan.stops.items()
            if p in behind
        ) and self._counted(offsets, reader)

    def report(self, done: int) -> None:
        """Export `done` of the plan's records as committed, on the run's /metrics (for the dashboard)."""
        metrics.reprocess_progress(self.run.extractor_version, self.plan.total - done, done - self.reported)
        self.reported = max(self.reported, done)

    def _counted(self, offsets, reader) -> bool:
        """Is every country-mention event the run wrote counted in its tables? The counting agent
        commits in the same group after the articles' agent: stopping at the articles' end alone
        left the tables short of the last events (seen in CI)."""
        topic = self.run.topic_country_mentions
        parts = _partitions(reader, topic)
        ends = reader.end_offsets(parts, timeout_ms=KAFKA_TIMEOUT_MS)  # read_committed: the stable end
        for tp in parts:
            committed = offsets.committed(tp, timeout_ms=KAFKA_TIMEOUT_MS) or 0
            if committed < ends[tp] and _records_between(reader, tp, committed, ends[tp]):
                return False
        return True


def _records_between(reader, tp: TopicPartition, start: int, end: int) -> bool:
    reader.assign([tp])
    reader.seek(tp, start)
    deadline = time.monotonic() + KAFKA_TIMEOUT_MS / 1000
    while reader.position(tp) < end:
        if time.monotonic() > deadline:
            raise ReprocessError(
                f"could not read {tp.topic}[{tp.partition}] offsets {start}..{end} within {KAFKA_TIMEOUT_MS // 1000} s"
            )
        for records in reader.poll(timeout_ms=200, max_records=50).values():
            if any(start <= record.offset < end for record in records):
                return True
    return False


def _when(seconds: float | None) -> str:
    return (
        "the earliest retained record"
        if seconds is None
        else datetime.fromtimestamp(seconds, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )


def reprocess(
    settings: Settings,
    since: str,
    until: str | None = None,
    version: str | None = None,
    allow_live_version: bool = False,
    web_port: int | None = None,
    loglevel: str = "warn",
) -> int:
    """Run the reprocess in this process; returns the exit status (0: caught up)."""
    now = time.time()
    since_s = None if since.strip().lower() in ("all", "beginning", "earliest") else parse_moment(since, now)
    until_s = parse_moment(until, now) if until else None
    if since_s is not None and until_s is not None and until_s <= since_s:
        raise ReprocessError(f"--until ({_when(until_s)}) must come after --since ({_when(since_s)})")
    target = version or settings.extractor_version or code_version()
    live = live_versions(settings)
    if target in live and not allow_live_version:
        raise ReprocessError(
            f"the live pipeline ({settings.app_id}, {settings.topic_country_mentions}) already holds extractor "
            f"version {target}: reprocessing would compute the same events again. Install the improved package "
            "(a new EXTRACTOR_VERSION) first, or pass --extractor-version LABEL; --allow-live-version to "
            "reprocess into it anyway"
        )
    from streams.tools.broker import free_port

    # The run's tables are rebuilt from their changelogs at each start: no local store is left behind.
    run = versioned(
        settings,
        target,
        web_port=web_port or free_port(),
        store="memory://",
        data_dir=settings.data_dir / f"reprocess-{target}",
    )
    clients.ensure_topics(run)
    the_plan = plan(run, since_s, until_s)
    env = " ".join(f"{k}={v}" for k, v in cutover_env(run).items())
    where = (
        "resuming the reprocess begun earlier at its committed offsets"
        if the_plan.resumed
        else f"from {_when(since_s)}"
    )
    print(
        f"newswire reprocess: {run.topic_articles} into extractor version {target} (app id {run.app_id}), "
        f"{where}, up to {_when(until_s) if until_s else 'the end offsets at start'}: {the_plan.total} records",
        file=sys.stderr,
    )
    if the_plan.total == 0:
        print(
            f"newswire reprocess: nothing to do, version {target} is caught up. Cut over: {env} newswire worker",
            file=sys.stderr,
        )
        return 0

    # On a terminal a live bar; in a log, a line every 30 s.
    bar = tqdm(
        total=the_plan.total,
        unit="article",
        desc=f"reprocess {target}",
        file=sys.stderr,
        mininterval=1 if sys.stderr.isatty() else 30,
    )
    started = time.monotonic()
    metrics.reprocess_started(target, the_plan.total, time.time())  # served by the run's worker on /metrics
    tracker = Progress(run, the_plan, bar, on_done=lambda: os.kill(os.getpid(), signal.SIGTERM))
    log_path = settings.data_dir / "logs" / f"reprocess-{target}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print(
        f"newswire reprocess: worker log {log_path}; version {target}'s tables are served at "
        f"http://{run.web_host}:{run.web_port}/countries while it runs",
        file=sys.stderr,
    )
    run.data_dir.mkdir(parents=True, exist_ok=True)
    tracker.start()
    try:
        status = _run_worker(run, the_plan.stops, loglevel, log_path)
    finally:
        tracker.close()
        bar.close()
        shutil.rmtree(run.data_dir, ignore_errors=True)  # the run's own: memory:// keeps nothing there
    if tracker.error is not None:
        raise ReprocessError(f"the reprocess stopped: {tracker.error}; run the same command again (it resumes)")
    if not tracker.done.is_set():
        print(
            f"newswire reprocess: stopped before catching up (worker exit status {status}); run the same "
            f"command again to resume; see {log_path}",
            file=sys.stderr,
        )
        return status or 1
    elapsed = time.monotonic() - started
    print(
        f"newswire reprocess: caught up: {the_plan.total} records in {elapsed:.1f} s into version {target}. "
        f"Its tables: newswire countries --version {target}. Cut over (with the new package installed, "
        f"the live workers resume where this run stopped): {env} newswire worker",
        file=sys.stderr,
    )
    return 0


def _run_worker(run: Settings, stops: dict[int, int], loglevel: str, log_path) -> int:
    """The Faust worker of `run`'s settings in this process, until SIGTERM (caught up) or SIGINT."""
    os.environ.update(run.as_env())
    get_settings.cache_clear()
    from streams.runtime import agents  # imports streams.runtime.app, which reads the settings now in the environment

    agents.stop_before(stops)
    from streams.runtime.app import app

    sys.argv = ["newswire reprocess", "--quiet", "worker", "--loglevel", loglevel, "--logfile", str(log_path)]
    try:
        app.main()
    except SystemExit as exit_:
        return int(exit_.code or 0) if not isinstance(exit_.code, str) else 1
    return 0


# --- a version's tables, read from their changelogs ------------------------------------------------------


def _changelog(run: Settings, table: str) -> str:
    return f"{run.app_id}-country-mentions-{table}-changelog"


def read_tables(run: Settings) -> dict[str, dict]:
    """Version `run`'s country tables as their changelogs hold them (the last record of each key), with no
    worker of that version running: {"all": {ISO: n}, "1h": {(ISO, start): n}, "1d": {...}}.

    Each changelog record is a whole table value ([mentions, next offset]), so the last one of a key is
    the table's value, as a worker that restores the table from the changelog has it.
    """
    topics = {name: _changelog(run, table) for name, table in (("all", "total"), ("1h", "1h"), ("1d", "1d"))}
    reader = clients.consumer(run, enable_auto_commit=False)
    try:
        with _kafka(f"reading the tables of {run.app_id}"):
            if topics["all"] not in reader.topics():
                raise ReprocessError(
                    f"no country tables of extractor version {run.extractor_version} (no topic "
                    f"{topics['all']}); build them with `newswire reprocess --since ... "
                    f"--extractor-version {run.extractor_version}`, or leave out --version for "
                    "the live tables"
                )
            parts = [tp for topic in topics.values() for tp in _partitions(reader, topic)]
            ends = reader.end_offsets(parts, timeout_ms=KAFKA_TIMEOUT_MS)
            reader.assign(parts)
            reader.seek_to_beginning(*parts)
            latest: dict[str, dict] = {name: {} for name in topics}
            name_of = {topic: name for name, topic in topics.items()}
            deadline = time.monotonic() + KAFKA_TIMEOUT_MS / 1000
            while any(reader.position(tp) < ends[tp] for tp in parts):
                if time.monotonic() > deadline:
                    raise ReprocessError(
                        f"could not read the changelogs of {run.app_id} within {KAFKA_TIMEOUT_MS // 1000} s; retry"
                    )
                for tp, records in reader.poll(timeout_ms=500, max_records=5000).items():
                    for record in records:
                        latest[name_of[tp.topic]][record.key] = record.value
    finally:
        reader.close()
    tables: dict[str, dict] = {name: {} for name in topics}
    for name, values in latest.items():
        for key, value in values.items():
            count = mentions(json.loads(value)) if value is not None else 0  # None: a deleted (expired) window
            if not count:
                continue
            if name == "all":
                tables[name][key.decode("ascii")] = count
            else:
                country, (start, _) = json.loads(key)
                tables[name][(country, float(start))] = count
    return tables


def query_tables(
    settings: Settings, version: str, country: str | None, window: str, at: str | None, limit: int
) -> dict:
    """`newswire countries --version`: the answer a worker's /countries (or /countries/{ISO}) gives, computed
    from version `version`'s changelogs."""
    run = versioned(settings, version)
    tables = read_tables(run)
    source = {"extractor_version": version, "app_id": run.app_id, "workers": 0}
    if country:
        code = normalise_country(country)
        retained = {"1h": settings.hourly_retention_hours * 3600, "1d": settings.daily_retention_days * 86400}
        windows = {
            name: [
                {"start": isoformat(start), "end": isoformat(start + WINDOWS[name]), "mentions": n}
                for (iso, start), n in sorted(tables[name].items())
                if iso == code and start + WINDOWS[name] > time.time() - retained[name]
            ]
            for name in WINDOWS
        }
        return {"country": code, "mentions": tables["all"].get(code, 0), "windows": windows} | source
    answer: dict = {"window": window}
    if window == "all":
        counts = tables["all"]
    else:
        moment = parse_time(at) if at else time.time()
        if moment is None:
            raise ReprocessError(f"--at must be an RFC 3339 time such as 2019-01-25T14:00:00Z; got {at!r}")
        start, end = window_bounds(WINDOWS[window], moment)
        counts = {iso: n for (iso, begins), n in tables[window].items() if begins == start}
        answer |= {"start": isoformat(start), "end": isoformat(end)}
    return (
        answer
        | {
            "countries": top_countries(counts, limit),
            "total_countries": len(counts),
            "total_mentions": sum(counts.values()),
        }
        | source
    )
