"""`newswire bench`: end-to-end throughput, latency and memory through Kafka, next to bare spaCy.

One run measures, on the same articles of a JSONL corpus:

* bare spaCy `nlp.pipe` over the articles' texts (titles and bodies, as the worker parses them),
  in the bench process: (a) the full model pipeline as shipped (the naive use); the same with only
  its matrix products on numpy's BLAS (`use_blas`: how much of the gain that alone is); (b) the
  pipeline our extractor runs (`load_pipeline(settings.model, settings.blas)`: the components it
  keeps enabled, plus ours: the newline sentence rule, and `newswire_morphology` in place of
  attribute_ruler + lemmatizer), (c) the full pipeline in 2 processes (each loads the model first;
  the clock runs from a common start signal until both have parsed their half);
* the system end to end for 1..W workers (`WorkerProcess`es, one app id): fresh topics per phase,
  the workers started, ready and sharing the partitions, then every article published at once;
  throughput is the articles over the span from the first article's append to the input topic
  until the last event of any of them is appended to an output topic (the worker emits an
  article's events only after analysing it and commits only after they are acknowledged);
* latency at a paced rate (default: half the best end-to-end throughput) with W workers: for each
  article, from its append to the input topic to the append of its last event (or dead letter);
* peak RSS of every worker process (`VmHWM` in /proc/<pid>/status);
* CPU seconds per article of the measured processes and of the local broker, and how many cores'
  worth of CPU everything else on the machine used meanwhile (/proc/stat): on a shared machine
  that tells a slow system from a busy neighbour.

Every topic is created with `message.timestamp.type=LogAppendTime`, so both ends of a latency or
a throughput span are timestamps of the same broker clock, not of the processes' clocks.
With `repeat` > 1 every throughput measurement runs that many times, in rounds (spaCy and end to
end in turn), and the best of each is kept: load from elsewhere only ever slows a run down.

It prints a table and, last, one JSON line (see `summarise`).
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import queue
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from streams.errors import NewswireError
from streams.kafka.plumbing import partition_lags, read_to_end, send_all, wait_until
from streams.settings import SHARED_CORPUS, Settings
from streams.tools.broker import free_port

DEFAULT_CORPUS = SHARED_CORPUS
DEFAULT_ARTICLES = 400
DEFAULT_WORKERS = 2
DEFAULT_LATENCY_SECONDS = 30.0
LOG_APPEND_TIME = 1  # Kafka record timestamp type

WORKER_READY_TIMEOUT_S = 240  # model load with the other worker(s) and the broker on the same cores
GROUP_STABLE_TIMEOUT_S = 120
STALL_TIMEOUT_S = 300  # no committed progress for this long: the run is stuck, say so
NOISY_CORES = 0.3  # other processes using this much CPU during a measurement make it unreliable
WARM_UP_TIMEOUT_S = 120  # one tiny article per partition; far longer means a worker is not consuming


SPACY_FULL = "spaCy nlp.pipe, full pipeline"
SPACY_FULL_NUMPY = "spaCy nlp.pipe, full, numpy BLAS"
SPACY_OURS = "spaCy nlp.pipe, our components"
SPACY_2PROC = "spaCy nlp.pipe, full, 2 processes"


class BenchError(NewswireError, RuntimeError):
    """The benchmark cannot run or did not finish; the message says why and what to do."""

    exit_code = 1  # what `newswire bench` has always returned for these


class Stalled(BenchError):
    """The workers stopped committing input records."""


class WarmUpStalled(Stalled):
    """Freshly started workers did not consume their warm-up records (a start-up problem, not a measure)."""


@dataclass
class BenchOptions:
    corpus: Path | None = None
    articles: int = DEFAULT_ARTICLES
    workers: int = DEFAULT_WORKERS
    partitions: int | None = None  # default: max(settings.topic_partitions, workers)
    rate: float | None = None  # latency phase, articles/s; default half the best throughput
    latency_seconds: float = DEFAULT_LATENCY_SECONDS  # length of the paced phase; 0 skips it
    spacy_batch_size: int | None = None  # default: the model's own nlp.batch_size (naive use)
    timeout: float = 3600.0  # for each phase to drain
    repeat: int = 1  # run every throughput measurement this many times, keep the best (noise only slows)
    keep_topics: bool = False


@dataclass
class Phase:
    name: str
    articles: int
    words: int
    seconds: float
    workers: int = 0
    processes: int = 1
    events: int | None = None
    dead_lettered: int = 0
    without_events: int = 0
    latencies: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    cpu_s: float | None = None  # CPU time of the measured processes (spaCy or workers) over the span
    broker_cpu_s: float | None = None  # CPU time of the local broker over the span, when it runs here
    others_cores: float | None = None  # cores' worth of CPU used by everything else on the machine meanwhile
    rate: float | None = None
    note: str = ""

    @property
    def articles_per_s(self) -> float:
        return self.articles / self.seconds if self.seconds > 0 else math.nan

    @property
    def words_per_s(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else math.nan


# -- corpus --------------------------------------------------------------------------------


def resolve_corpus(path: Path | str | None) -> Path:
    if path is not None:
        corpus = Path(path).expanduser().resolve()
        if not corpus.is_file():
            raise BenchError(f'--corpus {corpus}: no such file (a JSONL file, one {{"id", "text"}} object a line)')
        return corpus
    if DEFAULT_CORPUS.is_file():
        return DEFAULT_CORPUS
    raise BenchError(
        f"no corpus to benchmark: the default {DEFAULT_CORPUS} is not there. Pass --corpus PATH, a JSONL "
        'file with one article a line ({"id": ..., "text": ..., "title"?: ...}).'
    )


def load_articles(corpus: Path, count: int) -> list[dict]:
    """The first `count` articles of the corpus (ids filled in and made unique)."""
    from streams.kafka.publisher import read_articles

    if count < 1:
        raise BenchError("--articles must be at least 1")
    articles: list[dict] = []
    seen: set[str] = set()
    for article in read_articles([str(corpus)]):
        if article["id"] in seen:
            continue  # the same id twice would be one article to the system
        seen.add(article["id"])
        articles.append(article)
        if len(articles) == count:
            break
    if not articles:
        raise BenchError(f"{corpus}: no articles")
    return articles


def texts_of(article: dict) -> list[str]:
    """What the worker hands to nlp.pipe for an article: the title (if any), then the body."""
    return ([article["title"]] if article.get("title") else []) + [article["text"]]


def word_count(articles: Iterable[dict]) -> int:
    """Whitespace-separated words of titles and bodies."""
    return sum(len(text.split()) for a in articles for text in texts_of(a))


# -- small measures ------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), linearly interpolated between the closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def peak_rss_mib(pid: int) -> float | None:
    """Peak resident set size of a live process (VmHWM), MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        return None
    return None


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time a live process has used so far (all its threads), seconds."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores, /proc/stat; steal counts as busy)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _others(busy: float, ours: float, wall: float) -> float:
    """Cores' worth of CPU that processes other than the measured ones used during a span."""
    return max(0.0, busy - ours) / wall if wall > 0 else math.nan


def _delta(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


# -- bare spaCy ----------------------------------------------------------------------------


def time_pipe(nlp, texts: list[str], batch_size: int) -> tuple[float, float, float]:
    """(wall, CPU, machine busy) seconds of nlp.pipe over `texts`, after a two-text warm-up that is not timed."""
    for _ in nlp.pipe(texts[:2], batch_size=batch_size):
        pass
    started, cpu, busy = time.perf_counter(), time.process_time(), machine_busy_seconds()
    for _ in nlp.pipe(texts, batch_size=batch_size):
        pass
    return time.perf_counter() - started, time.process_time() - cpu, machine_busy_seconds() - busy


def _spacy_child(model: str, texts: list[str], batch_size: int, ready, start, results) -> None:
    import spacy

    nlp = spacy.load(model)
    for _ in nlp.pipe(texts[:2], batch_size=batch_size):
        pass
    ready.set()
    start.wait()
    started, cpu = time.perf_counter(), time.process_time()
    for _ in nlp.pipe(texts, batch_size=batch_size):
        pass
    results.put((time.perf_counter() - started, time.process_time() - cpu))


def time_pipe_processes(
    model: str, articles: list[dict], batch_size: int, processes: int = 2, timeout: float = 1800
) -> tuple[float, float, float, list[float]]:
    """(wall, CPU, machine busy, each process's wall) seconds of `processes` processes with the full model
    parsing a share each.

    Articles are dealt round-robin; the clock starts when all processes have loaded and warmed up
    the model and are told to go, and stops when the last one is done.
    """
    ctx = mp.get_context("spawn")  # no fork of a process that holds Kafka client threads
    start = ctx.Event()
    results = ctx.Queue()
    children, readies = [], []
    for i in range(processes):
        texts = [t for a in articles[i::processes] for t in texts_of(a)]
        ready = ctx.Event()
        child = ctx.Process(target=_spacy_child, args=(model, texts, batch_size, ready, start, results), daemon=True)
        child.start()
        children.append(child)
        readies.append(ready)
    try:
        deadline = time.monotonic() + 300
        for ready, child in zip(readies, children, strict=True):
            while not ready.wait(0.5):
                if not child.is_alive():
                    raise BenchError(f"a spaCy process exited with code {child.exitcode} while loading {model}")
                if time.monotonic() > deadline:
                    raise BenchError(f"the spaCy processes did not load {model} within 300 s")
        started, busy = time.perf_counter(), machine_busy_seconds()
        start.set()
        waiting, walls, cpu = len(children), [], 0.0
        while waiting:
            try:
                wall, child_cpu = results.get(timeout=1)
                walls.append(wall)
                cpu += child_cpu
                waiting -= 1
            except queue.Empty:
                if sum(child.is_alive() for child in children) < waiting:
                    raise BenchError("a spaCy process died while parsing; see the output above") from None
                if time.perf_counter() - started > timeout:
                    raise BenchError(f"the spaCy processes did not finish within {timeout:.0f} s") from None
        return time.perf_counter() - started, cpu, machine_busy_seconds() - busy, sorted(walls)
    finally:
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()


# -- Kafka plumbing --------------------------------------------------------------------------


def phase_settings(base: Settings, prefix: str, partitions: int) -> Settings:
    """Fresh topic names and app id (consumer group) for one phase, so phases and runs never mix."""
    return base.model_copy(
        update={
            "app_id": prefix,
            "topic_articles": f"{prefix}.articles",
            "topic_entities": f"{prefix}.entities",
            "topic_quotes": f"{prefix}.quotes",
            "topic_stances": f"{prefix}.stances",
            "topic_country_mentions": f"{prefix}.country-mentions",
            "topic_dlq": f"{prefix}.articles.dlq",
            "topic_partitions": partitions,
        }
    )


def create_phase_topics(admin, settings: Settings) -> None:
    topics = [settings.topic_articles, *settings.output_topics, settings.topic_dlq]
    spec = {
        "num_partitions": settings.topic_partitions,
        "replication_factor": settings.topic_replication,
        # Broker-clock timestamps on every record: latency and spans need no synchronised clocks.
        "configs": {"message.timestamp.type": "LogAppendTime"},
    }
    admin.create_topics({name: dict(spec) for name in topics}, wait_for_metadata=True)


def delete_phase(admin, settings: Settings) -> None:
    """Best effort: the phase's topics (and Faust's internal ones, named after the app id) and group."""
    try:
        doomed = [
            t for t in admin.list_topics() if t.startswith(settings.app_id + ".") or t.startswith(settings.app_id + "-")
        ]
        if doomed:
            admin.delete_topics(doomed)
    except Exception:  # noqa: BLE001 - clean-up must not hide the result
        pass
    try:
        admin.delete_groups([settings.app_id])
    except Exception:  # noqa: BLE001
        pass


class LagWatch:
    """Committed lag of the phase's consumer group on the input topic, with one reused client."""

    def __init__(self, settings: Settings) -> None:
        from kafka import TopicPartition

        from streams.kafka.clients import consumer

        self.reader = consumer(settings, group_id=settings.app_id, enable_auto_commit=False)
        self.partitions = [
            TopicPartition(settings.topic_articles, p)
            for p in sorted(self.reader.partitions_for_topic(settings.topic_articles) or [])
        ]

    def lag(self) -> int:
        return sum(self.lag_by_partition().values())

    def lag_by_partition(self) -> dict[int, int]:
        return {tp.partition: behind for tp, behind in partition_lags(self.reader, self.partitions).items()}

    def close(self) -> None:
        self.reader.close()


def wait_drained(
    watch: LagWatch, workers: list, timeout: float, what: str, stall_timeout: float = STALL_TIMEOUT_S
) -> None:
    """Until the group has committed every input record; fail early if a worker dies or nothing moves."""
    progress = {"lag": None, "since": time.monotonic()}  # the last lag seen, and since when

    def drained() -> bool:
        for worker in workers:
            if worker.process is not None and worker.process.poll() is not None:
                raise BenchError(
                    f"a worker exited (code {worker.process.returncode}) during {what}; "
                    f"see {worker.log_path}:\n{worker.log_tail()}"
                )
        lag, now = watch.lag(), time.monotonic()
        if lag != progress["lag"]:
            progress.update(lag=lag, since=now)
        if lag and now - progress["since"] > stall_timeout:
            raise Stalled(
                f"{what}: no committed progress for {stall_timeout:.0f} s (records left by partition of "
                f"{watch.partitions[0].topic}: {watch.lag_by_partition()}); "
                f"see the worker logs: {', '.join(str(w.log_path) for w in workers)}"
            )
        return lag == 0

    wait_until(
        drained,
        timeout,
        lambda: BenchError(f"{what} did not finish within {timeout:.0f} s ({progress['lag']} records left)"),
    )


def _owns_input(member: dict, topic: str) -> bool:
    assignment = member.get("member_assignment")
    if not isinstance(assignment, dict):
        return True  # not decodable here: trust the member count
    return any(a.get("topic") == topic and a.get("partitions") for a in assignment.get("assigned_partitions", []))


def wait_group_stable(admin, settings: Settings, members: int, timeout: float = GROUP_STABLE_TIMEOUT_S) -> None:
    """Until the consumer group is Stable with `members` members, each owning input partitions."""
    from kafka.errors import KafkaError

    deadline = time.monotonic() + timeout
    state = "unknown"
    while time.monotonic() < deadline:
        try:
            group = admin.describe_groups([settings.app_id])[settings.app_id]
        except KafkaError:  # the coordinator may not be known yet
            time.sleep(0.5)
            continue
        found = group.get("members") or []
        state = f"{group.get('group_state')} with {len(found)} member(s)"
        if (
            group.get("group_state") == "Stable"
            and len(found) == members
            and all(_owns_input(m, settings.topic_articles) for m in found)
        ):
            return
        time.sleep(0.5)
    raise BenchError(
        f"the consumer group {settings.app_id} was not Stable with {members} members "
        f"within {timeout:.0f} s (last seen: {state})"
    )


def read_completions(settings: Settings, timeout: float = 300) -> tuple[dict[str, int], dict[str, int], set[int]]:
    """Read every output and dead-letter record of the phase.

    Returns (article id -> broker timestamp (ms) of its last event or dead letter,
    events per topic, the timestamp types seen)."""
    from kafka import TopicPartition

    from streams.kafka.clients import consumer

    reader = consumer(settings, enable_auto_commit=False, max_partition_fetch_bytes=4 * 1024 * 1024)
    try:
        topics = [*settings.output_topics, settings.topic_dlq]
        partitions = [TopicPartition(t, p) for t in topics for p in sorted(reader.partitions_for_topic(t) or [])]
        done: dict[str, int] = {}
        counts: dict[str, int] = {t: 0 for t in topics}
        types: set[int] = set()
        for tp, record in read_to_end(
            reader,
            reader.end_offsets(partitions),
            time.monotonic() + timeout,
            lambda: BenchError(f"could not read the phase's events within {timeout:.0f} s"),
            timeout_ms=500,
            max_records=5000,
        ):
            if tp.topic == settings.topic_dlq:
                article_id = (record.key or b"").decode("utf-8", "replace")
            else:
                article_id = json.loads(record.value)["article_id"]
            counts[tp.topic] += 1
            types.add(record.timestamp_type)
            if record.timestamp > done.get(article_id, -1):
                done[article_id] = record.timestamp
        return done, counts, types
    finally:
        reader.close()


# -- the end-to-end phases ---------------------------------------------------------------------


class WorkerPhase:
    """Fresh topics and group, W workers started, ready, sharing the partitions, and warmed up."""

    def __init__(
        self,
        base: Settings,
        prefix: str,
        workers: int,
        partitions: int,
        run_dir: Path,
        say: Callable[[str], None],
        keep_topics: bool = False,
    ) -> None:
        from streams.tools.worker import WorkerProcess

        self.settings = phase_settings(base, prefix, partitions)
        self.say = say
        self.keep_topics = keep_topics
        self.workers = []
        for i in range(workers):
            data_dir = run_dir / prefix / f"worker-{i}"
            data_dir.mkdir(parents=True, exist_ok=True)
            worker_settings = self.settings.model_copy(update={"web_port": free_port(), "data_dir": data_dir})
            self.workers.append(WorkerProcess(worker_settings, log_path=run_dir / f"{prefix}-worker-{i}.log"))
        self.admin = None
        self.watch: LagWatch | None = None
        self.rss_mib: list[float] = []

    def __enter__(self) -> WorkerPhase:
        try:
            self._start()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def _start(self) -> None:
        from streams.kafka.clients import admin_client
        from streams.tools.worker import WorkerError

        self.admin = admin_client(self.settings)
        create_phase_topics(self.admin, self.settings)
        self.say(
            f"starting {len(self.workers)} worker(s) on {self.settings.topic_partitions} partitions "
            f"(app id {self.settings.app_id})"
        )
        with ThreadPoolExecutor(len(self.workers)) as pool:
            try:
                list(pool.map(lambda w: w.start(timeout=WORKER_READY_TIMEOUT_S), self.workers))
            except WorkerError as error:
                raise BenchError(error.message, error.hint) from None
        wait_group_stable(self.admin, self.settings, len(self.workers))
        self.watch = LagWatch(self.settings)
        self._warm_up()
        wait_group_stable(self.admin, self.settings, len(self.workers))

    def _warm_up(self) -> None:
        """One small article into every partition, until committed: every worker is consuming."""
        from streams.kafka.clients import producer

        kafka_producer = producer(self.settings)
        try:
            for partition in range(len(self.watch.partitions)):
                article_id = f"warmup-{partition}"
                value = json.dumps({"id": article_id, "text": "Officials in Paris said France would talk to Spain."})
                kafka_producer.send(
                    self.settings.topic_articles, key=article_id.encode(), value=value.encode(), partition=partition
                )
            kafka_producer.flush()
        finally:
            kafka_producer.close()
        try:
            wait_drained(self.watch, self.workers, WARM_UP_TIMEOUT_S, "the warm-up", WARM_UP_TIMEOUT_S)
        except Stalled as stall:
            raise WarmUpStalled(str(stall)) from None

    def publish(self, payloads: list[tuple[bytes, bytes]], rate: float | None = None) -> list[int]:
        """Send every (key, value), at once or paced at `rate` per second; their broker append times (ms)."""
        from streams.kafka.clients import producer

        kafka_producer = producer(self.settings)
        try:
            acknowledged = send_all(kafka_producer, self.settings.topic_articles, payloads, timeout=60, rate=rate)
            return [metadata.timestamp for metadata in acknowledged]
        finally:
            kafka_producer.close()

    def drain(self, timeout: float, what: str) -> None:
        wait_drained(self.watch, self.workers, timeout, what)

    def cpu_seconds(self) -> tuple[float | None, float | None, float, float, float]:
        """CPU seconds used so far by the workers (summed), the local broker (if it runs here), this
        process (publishing, polling), and the whole machine; and the monotonic clock."""
        from streams.tools.broker import LocalBroker

        used = [cpu_seconds(w.process.pid) for w in self.workers if w.process is not None]
        broker = LocalBroker(self.settings)
        local = broker.bootstrap_servers == self.settings.bootstrap_servers.strip()
        return (
            (None if None in used else sum(used)),
            cpu_seconds(broker.pid() if local else None),
            time.process_time(),
            machine_busy_seconds(),
            time.monotonic(),
        )

    def __exit__(self, exc_type=None, exc=None, tb=None) -> None:
        self.rss_mib = [
            rss
            for rss in (
                peak_rss_mib(w.process.pid) for w in self.workers if w.process is not None and w.process.poll() is None
            )
            if rss
        ]
        with ThreadPoolExecutor(max(1, len(self.workers))) as pool:
            list(pool.map(lambda w: w.stop(), self.workers))
        if self.watch is not None:
            self.watch.close()
        if self.admin is not None:
            stalled = exc_type is not None and issubclass(exc_type, Stalled)
            if stalled:
                self.say(f"keeping the topics and group {self.settings.app_id}* for inspection")
            elif not self.keep_topics:
                delete_phase(self.admin, self.settings)
            self.admin.close()


def paced_articles(articles: list[dict], count: int) -> list[dict]:
    """`count` articles: the corpus ones in order, again with new ids (`<id>~1`, ...) if more are needed."""
    paced = []
    for i in range(count):
        article, round_ = articles[i % len(articles)], i // len(articles)
        paced.append(article if round_ == 0 else article | {"id": f"{article['id']}~{round_}"})
    return paced


def _account(phase: Phase, before: tuple, after: tuple) -> None:
    """Workers', broker's and everybody else's CPU from just before publishing until all was committed."""
    phase.cpu_s, phase.broker_cpu_s = _delta(before[0], after[0]), _delta(before[1], after[1])
    ours = sum(x for x in (phase.cpu_s, phase.broker_cpu_s, after[2] - before[2]) if x is not None)
    phase.others_cores = _others(after[3] - before[3], ours, after[4] - before[4])


def _payloads(articles: list[dict]) -> list[tuple[bytes, bytes]]:
    return [(a["id"].encode("utf-8"), json.dumps(a, ensure_ascii=False).encode("utf-8")) for a in articles]


def _outcome(phase: Phase, settings: Settings, ids: list[str], published_ms: list[int]) -> tuple[int, int]:
    """Fill events/dead letters/latencies of `phase` from the output topics; return the span (first, last) ms."""
    done, counts, types = read_completions(settings)
    if types - {LOG_APPEND_TIME}:
        phase.note = "CreateTime timestamps (the topics existed without LogAppendTime)"
    phase.events = sum(n for topic, n in counts.items() if topic != settings.topic_dlq)
    phase.dead_lettered = counts.get(settings.topic_dlq, 0)
    finished = [done[i] for i in ids if i in done]
    phase.without_events = len(ids) - len(finished)
    phase.latencies = [(done[i] - sent) / 1000 for i, sent in zip(ids, published_ms, strict=True) if i in done]
    return min(published_ms), max(finished) if finished else max(published_ms)


def run_throughput(
    base: Settings,
    articles: list[dict],
    words: int,
    workers: int,
    partitions: int,
    run_dir: Path,
    prefix: str,
    options: BenchOptions,
    say,
) -> Phase:
    payloads = _payloads(articles)
    ids = [a["id"] for a in articles]
    with WorkerPhase(base, prefix, workers, partitions, run_dir, say, options.keep_topics) as run:
        say(f"publishing {len(articles)} articles at once; {workers} worker(s) processing")
        cpu_before = run.cpu_seconds()
        published = run.publish(payloads)
        run.drain(options.timeout, f"the {workers}-worker run")
        cpu_after = run.cpu_seconds()
        phase = Phase(
            f"newswire, {workers} worker{'s' if workers > 1 else ''}, backlog",
            len(articles),
            words,
            0.0,
            workers=workers,
        )
        first, last = _outcome(phase, run.settings, ids, published)
    phase.seconds = max(last - first, 1) / 1000
    _account(phase, cpu_before, cpu_after)
    phase.rss_mib = run.rss_mib
    phase.latencies = []  # under a backlog they measure the queue, not the system; see the paced phase
    return phase


def run_latency(
    base: Settings,
    articles: list[dict],
    workers: int,
    partitions: int,
    rate: float,
    run_dir: Path,
    prefix: str,
    options: BenchOptions,
    say,
) -> Phase:
    payloads = _payloads(articles)
    ids = [a["id"] for a in articles]
    with WorkerPhase(base, prefix, workers, partitions, run_dir, say, options.keep_topics) as run:
        say(f"publishing {len(articles)} articles at {rate:.1f}/s to {workers} worker(s)")
        cpu_before = run.cpu_seconds()
        published = run.publish(payloads, rate=rate)
        run.drain(options.timeout, "the paced run")
        cpu_after = run.cpu_seconds()
        phase = Phase(
            f"newswire, {workers} worker{'s' if workers > 1 else ''}, paced {rate:.1f}/s",
            len(articles),
            word_count(articles),
            0.0,
            workers=workers,
            rate=rate,
        )
        first, last = _outcome(phase, run.settings, ids, published)
    phase.seconds = max(last - first, 1) / 1000
    _account(phase, cpu_before, cpu_after)
    phase.rss_mib = run.rss_mib
    return phase


# -- the whole run -------------------------------------------------------------------------


def _maybe_start_broker(settings: Settings, say):
    """Start the local broker when the settings point at it and nothing answers; return it to stop later."""
    from streams.tools.broker import LocalBroker

    broker = LocalBroker(settings)
    local = {f"localhost:{broker.port}", f"127.0.0.1:{broker.port}"}
    if settings.bootstrap_servers.strip() not in local or broker.is_ready():
        return None
    say(f"starting Apache Kafka {settings.kafka_version} on {broker.bootstrap_servers}")
    broker.start(timeout=120)
    return broker


def run_bench(
    settings: Settings, options: BenchOptions, out: TextIO | None = None, err: TextIO | None = None
) -> dict[str, Any]:
    """Run every phase, print the table and the JSON line to `out` (stdout), progress to `err`; return the summary."""
    from streams.nlp import load_pipeline
    from streams.nlp.pipeline import use_blas

    out, err = out or sys.stdout, err or sys.stderr

    def say(message: str) -> None:
        print(f"==> {message}", file=err, flush=True)

    if options.workers < 1:
        raise BenchError("--workers must be at least 1")
    partitions = options.partitions or max(settings.topic_partitions, options.workers)
    if partitions < options.workers:
        raise BenchError(f"--partitions {partitions} < --workers {options.workers}: some workers would idle")
    corpus = resolve_corpus(options.corpus)
    articles = load_articles(corpus, options.articles)
    words = word_count(articles)
    texts = [t for a in articles for t in texts_of(a)]
    run_id = f"bench-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    run_dir = settings.data_dir / "bench" / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    loadavg = os.getloadavg()
    say(f"{len(articles)} articles ({words:,} words) from {corpus}; logs in {run_dir}")

    # The bare-spaCy pipelines, loaded once in this process.
    import spacy

    full = spacy.load(settings.model)
    # The full pipeline with only the BLAS changed: how much of the gain is the matrix products alone.
    full_numpy = use_blas(spacy.load(settings.model), "numpy")
    batch_size = options.spacy_batch_size or full.batch_size
    ours = load_pipeline(settings.model, settings.blas)
    repeat = max(1, options.repeat)
    runs: dict[str, list[Phase]] = {}

    def keep(phase: Phase) -> None:
        runs.setdefault(phase.name, []).append(phase)

    say(
        f"bare spaCy: full pipeline ({', '.join(full.pipe_names)}); our components "
        f"({', '.join(ours.pipe_names)}); full in 2 processes; batch {batch_size}"
        + (f"; best of {repeat}" if repeat > 1 else "")
    )
    restarts: list[str] = []

    def attempt(measure: Callable[[str], Phase], prefix: str) -> Phase:
        """Run a measurement; if its freshly started workers do not consume, start it over once."""
        try:
            return measure(prefix)
        except WarmUpStalled as stall:
            restarts.append(str(stall))
            say(f"the workers did not consume their warm-up records; starting the run over ({stall})")
            return measure(prefix + "-again")

    broker = _maybe_start_broker(settings, say)
    latency: Phase | None = None
    try:
        # Rounds of every measurement, bare spaCy and end to end in turn, so that a burst of load from
        # elsewhere on the machine hits one round of each rather than all of one kind.
        for round_ in range(repeat):
            for name, nlp in ((SPACY_FULL, full), (SPACY_FULL_NUMPY, full_numpy), (SPACY_OURS, ours)):
                wall, cpu, busy = time_pipe(nlp, texts, batch_size)
                keep(Phase(name, len(articles), words, wall, cpu_s=cpu, others_cores=_others(busy, cpu, wall)))
                say(f"{name}: {len(articles) / wall:.2f} articles/s")
            wall, cpu, busy, walls = time_pipe_processes(settings.model, articles, batch_size, 2, options.timeout)
            keep(
                Phase(
                    SPACY_2PROC,
                    len(articles),
                    words,
                    wall,
                    cpu_s=cpu,
                    processes=2,
                    others_cores=_others(busy, cpu, wall),
                    note="each process: " + " / ".join(f"{w:.1f} s" for w in walls),
                )
            )
            say(f"{SPACY_2PROC}: {len(articles) / wall:.2f} articles/s")
            for count in range(1, options.workers + 1):
                phase = attempt(
                    lambda prefix, count=count: run_throughput(
                        settings, articles, words, count, partitions, run_dir, prefix, options, say
                    ),
                    f"{run_id}-w{count}-{round_}",
                )
                keep(phase)
                say(f"{count} worker(s): {phase.articles_per_s:.2f} articles/s")
        del full, full_numpy
        best = {name: max(found, key=lambda p: p.articles_per_s) for name, found in runs.items()}
        by_workers = {p.workers: p for p in best.values() if p.workers}
        best_count = max(by_workers, key=lambda c: by_workers[c].articles_per_s)
        if options.latency_seconds > 0 or options.rate:
            rate = options.rate or by_workers[best_count].articles_per_s / 2
            count = max(2, math.ceil(rate * (options.latency_seconds or DEFAULT_LATENCY_SECONDS)))
            paced = paced_articles(articles, count)
            latency = attempt(
                lambda prefix: run_latency(
                    settings, paced, best_count, partitions, rate, run_dir, prefix, options, say
                ),
                f"{run_id}-paced",
            )
    finally:
        if broker is not None:
            say("stopping the broker")
            broker.stop()

    phases = list(best.values()) + ([latency] if latency else [])
    bare = {
        "full": best[SPACY_FULL],
        "full_numpy": best[SPACY_FULL_NUMPY],
        "ours": best[SPACY_OURS],
        "2proc": best[SPACY_2PROC],
    }
    summary = summarise(phases, bare, by_workers, latency, options.workers)
    summary.update(
        {
            "articles": len(articles),
            "words": words,
            "corpus": str(corpus),
            "model": settings.model,
            "blas": settings.blas,
            "pipeline": ours.pipe_names,
            "spacy_batch_size": batch_size,
            "worker_batch_size": settings.batch_size,
            "worker_batch_timeout_s": settings.batch_timeout_s,
            "partitions": partitions,
            "cpu_count": os.cpu_count(),
            "loadavg_at_start": [round(x, 2) for x in loadavg],
            "run_id": run_id,
            "repeat": repeat,
            "restarted_after_warm_up_stall": restarts,
            "articles_per_s_runs": {name: [_r(p.articles_per_s) for p in found] for name, found in runs.items()},
        }
    )
    print(format_table(phases, summary), file=out)
    print(json.dumps(summary), file=out, flush=True)
    return summary


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


def summarise(
    phases: list[Phase], bare: dict[str, Phase], by_workers: dict[int, Phase], latency: Phase | None, workers: int
) -> dict[str, Any]:
    """`bare`: the bare-spaCy phases by kind: "full", "full_numpy", "ours", "2proc"."""
    spacy_full, spacy_full_numpy, spacy_ours, spacy_2 = bare["full"], bare["full_numpy"], bare["ours"], bare["2proc"]
    one, most = by_workers[1], by_workers[workers]
    scaling = most.articles_per_s / one.articles_per_s
    spacy_scaling = spacy_2.articles_per_s / spacy_full.articles_per_s
    rss = [r for p in phases for r in p.rss_mib]
    lat = latency.latencies if latency else []
    return {
        # 1 worker end to end: the figure the issue compares with bare spaCy in one process.
        "articles_per_s": _r(one.articles_per_s),
        "words_per_s": _r(one.words_per_s, 1),
        "articles_per_s_by_workers": {str(c): _r(p.articles_per_s) for c, p in by_workers.items()},
        "words_per_s_by_workers": {str(c): _r(p.words_per_s, 1) for c, p in by_workers.items()},
        "max_articles_per_s": _r(max(p.articles_per_s for p in by_workers.values())),
        "spacy_full_articles_per_s": _r(spacy_full.articles_per_s),
        "spacy_full_numpy_blas_articles_per_s": _r(spacy_full_numpy.articles_per_s),
        "spacy_same_components_articles_per_s": _r(spacy_ours.articles_per_s),
        "spacy_2proc_articles_per_s": _r(spacy_2.articles_per_s),
        "ratio_vs_spacy_full": _r(one.articles_per_s / spacy_full.articles_per_s),
        "ratio_vs_spacy_full_numpy_blas": _r(one.articles_per_s / spacy_full_numpy.articles_per_s),
        "ratio_vs_spacy_same_components": _r(one.articles_per_s / spacy_ours.articles_per_s),
        "workers": workers,
        "scaling_vs_1_worker": _r(scaling),
        "spacy_2proc_scaling": _r(spacy_scaling),
        # W-worker scaling as a share of what 2 spaCy processes get on this machine.
        "scaling_share_of_spacy_2proc": _r(scaling / spacy_scaling),
        "latency_rate_per_s": _r(latency.rate) if latency else None,
        "latency_workers": latency.workers if latency else None,
        "latency_articles": len(lat),
        "p50_s": _r(percentile(lat, 50)) if lat else None,
        "p95_s": _r(percentile(lat, 95)) if lat else None,
        "p99_s": _r(percentile(lat, 99)) if lat else None,
        "max_latency_s": _r(max(lat)) if lat else None,
        "rss_mib": _r(max(rss), 1) if rss else None,
        "rss_mib_by_phase": {p.name: [_r(r, 1) for r in p.rss_mib] for p in phases if p.rss_mib},
        # CPU seconds per article of the measured processes (spaCy, or the workers) and of the local broker:
        # less sensitive than wall time to what else runs on a shared machine.
        "cpu_s_per_article_by_phase": {
            p.name: _r(p.cpu_s / p.articles, 4) if p.cpu_s is not None else None for p in phases
        },
        "broker_cpu_s_per_article_by_phase": {
            p.name: _r(p.broker_cpu_s / p.articles, 4) for p in phases if p.broker_cpu_s is not None
        },
        # How much CPU everything else on the machine took meanwhile (other users, the OS): the noise.
        "other_cores_by_phase": {p.name: _r(p.others_cores, 2) for p in phases if p.others_cores is not None},
        "noisy_phases": [p.name for p in phases if p.others_cores is not None and p.others_cores >= NOISY_CORES],
        "events": sum(p.events or 0 for p in by_workers.values()),
        "dead_lettered": sum(p.dead_lettered for p in phases),
        "articles_without_events": sum(p.without_events for p in phases),
    }


def format_table(phases: list[Phase], summary: dict[str, Any]) -> str:
    def num(value, fmt):
        return "" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, fmt)

    head = (
        f"{'run':<38} {'articles':>8} {'seconds':>7} {'articles/s':>10} {'words/s':>7} "
        f"{'p50 s':>5} {'p95 s':>5} {'p99 s':>5} {'peak RSS MiB':>12} {'CPU ms/art':>10} {'broker':>6} {'others':>6}"
    )
    lines = [
        f"newswire bench: {summary['articles']} articles, {summary['words']:,} words ({summary['corpus']}); "
        f"model {summary['model']}; spaCy batch {summary['spacy_batch_size']}, worker batch "
        f"{summary['worker_batch_size']}/{summary['worker_batch_timeout_s']} s; {summary['partitions']} partitions; "
        f"{summary['cpu_count']} CPUs, load {summary['loadavg_at_start'][0]} at start",
        head,
        "-" * len(head),
    ]
    for p in phases:
        lat = p.latencies
        rss = ", ".join(f"{r:.0f}" for r in p.rss_mib)
        cpu = p.cpu_s * 1000 / p.articles if p.cpu_s is not None else None
        broker = p.broker_cpu_s * 1000 / p.articles if p.broker_cpu_s is not None else None
        lines.append(
            f"{p.name:<38} {p.articles:>8} {p.seconds:>7.1f} {p.articles_per_s:>10.2f} {p.words_per_s:>7.0f} "
            f"{num(percentile(lat, 50) if lat else None, '.2f'):>5} "
            f"{num(percentile(lat, 95) if lat else None, '.2f'):>5} "
            f"{num(percentile(lat, 99) if lat else None, '.2f'):>5} {rss:>12} {num(cpu, '.0f'):>10} "
            f"{num(broker, '.0f'):>6} "
            f"{num(p.others_cores, '.2f'):>6}" + (f"  ({p.note})" if p.note else "")
        )
    lines.append("-" * len(head))
    lines.append(
        "CPU ms/art: CPU of the spaCy processes or the workers per article; broker: of the local Kafka "
        "broker per article; others: cores used meanwhile by everything else on the machine"
        + (f"; best of {summary['repeat']} runs each" if summary["repeat"] > 1 else "")
    )
    s = summary
    lines.append(
        f"1 worker / spaCy full: {s['ratio_vs_spacy_full']}x   1 worker / spaCy full, numpy BLAS: "
        f"{s['ratio_vs_spacy_full_numpy_blas']}x   1 worker / spaCy our components: "
        f"{s['ratio_vs_spacy_same_components']}x   {s['workers']} workers / 1 worker: {s['scaling_vs_1_worker']}x   "
        f"spaCy 2 processes / 1: {s['spacy_2proc_scaling']}x   "
        f"(share of that ceiling: {s['scaling_share_of_spacy_2proc']})"
    )
    lines.append(
        f"events {s['events']:,}; dead-lettered {s['dead_lettered']}; articles without events "
        f"{s['articles_without_events']}; worst peak RSS {s['rss_mib']} MiB"
    )
    if s["noisy_phases"]:
        lines.append(
            f"NOISY: other processes used {NOISY_CORES}+ cores during: {'; '.join(s['noisy_phases'])}. "
            "Ratios involving them understate; rerun on a quieter machine or with --repeat."
        )
    return "\n".join(lines)
