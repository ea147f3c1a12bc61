"""`newswire soak --minutes N`: publish load while injecting faults; count what was lost or duplicated.

Runs its own local broker (free ports, a data dir under NEWSWIRE_DATA_DIR/soak-*) and workers, so the
faults hit nothing else. Two workers run throughout: `steady`, which no fault restarts (its memory over
the whole run is the leak check), and `faulty`, which the worker faults hit — kill -9 and restart it,
restart it without its local table store; besides, the broker is stopped and started, and a third
worker joins and is killed (a rebalance each way). With `--nodes 3` it runs a local three-node cluster
(streams/tools/cluster.py, replication 3, min ISR 2) instead, and the broker faults hit one node at a
time: stopped and started, `kill -9` and restarted a few seconds later, or `kill -9` of the node leading
most news.articles partitions.

1. Warm-up: a first round of articles measures the pipeline's throughput; the load is then published
   at `--rate` articles/s (default: half the measured throughput), a batch a second.
2. Every two seconds, before that second's batch: each worker's resident memory (RSS) and the
   group's lag on news.articles. After each fault, how long until the lag was zero again (at half
   throughput it must return before the next fault).
3. At the end, once every article is processed:
   - lost: published article ids with neither an event nor a dead letter;
   - duplicated: event ids committed more than once (read `read_committed`), plus countries whose
     served table differs from the sum of the committed country-mention events;
   - memory: the steady worker's RSS level (the median over LEVEL_WINDOW_S) just after warm-up
     (`--warmup-minutes`) and at the end; growth is the end level over the first. The highest sample
     is printed too: it is one batch's working memory, which the worker hands back after the batch.

The last line printed is one JSON object with all the figures.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from streams.kafka.clients import group_lag
from streams.settings import Settings
from streams.tools.broker import LocalBroker, free_port
from streams.tools.cluster import LocalCluster
from streams.tools.faults import (
    committed_events,
    corpus,
    dead_letters,
    event_id_counts,
    expected_country_totals,
    publish_articles,
    scenario,
    wait_all_processed,
    wait_tables,
)
from streams.tools.worker import WorkerProcess

FAULTS = ("kill9", "broker_restart", "rebalance", "store_deleted")
#: on a cluster: one node stopped and started, a node killed, the leader of most article partitions killed
CLUSTER_FAULTS = ("kill9", "broker_restart", "broker_kill", "leader_kill", "rebalance", "store_deleted")
SAMPLE_EVERY_S = 2.0
WARMUP_ARTICLES = 120
RSS_GROWTH_LIMIT = 0.05
#: the span whose median RSS is the memory level (a quarter of the time after warm-up when that is shorter)
LEVEL_WINDOW_S = 300.0
#: the spans whose median RSS levels are printed, from the end of the warm-up on
LEVEL_SPAN_S = 600.0


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def rss_bytes(pid: int | None) -> int | None:
    """Resident set size of a process, from /proc (None once it is gone)."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


@dataclass
class Recovery:
    """One fault and how long the group's lag took to be zero again after it."""

    kind: str
    at_s: float
    recovered_after_s: float | None = None

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "at_s": round(self.at_s, 1),
            "lag_zero_after_s": None if self.recovered_after_s is None else round(self.recovered_after_s, 1),
        }


@dataclass
class Watch:
    """The run's samples: lag and memory over time, and each fault's recovery."""

    started: float = field(default_factory=time.monotonic)
    samples: list[dict] = field(default_factory=list)
    recoveries: list[Recovery] = field(default_factory=list)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def fault(self, kind: str) -> None:
        self.recoveries.append(Recovery(kind, self.elapsed()))

    def sample(self, settings: Settings, steady: WorkerProcess, faulty: WorkerProcess) -> None:
        try:
            lag = sum(group_lag(settings, settings.app_id, settings.topic_articles).values())
        except Exception:  # noqa: BLE001 - the broker may be down for a fault: no reading then
            lag = None
        now = self.elapsed()
        self.samples.append(
            {
                "t": round(now, 1),
                "lag": lag,
                "steady_rss": rss_bytes(steady.process.pid if steady.process else None),
                "faulty_rss": rss_bytes(faulty.process.pid if faulty.process else None),
            }
        )
        if lag == 0:
            for r in self.recoveries:
                if r.recovered_after_s is None:
                    r.recovered_after_s = now - r.at_s

    def memory(self, warmup_s: float) -> dict:
        after = [(s["t"], s["steady_rss"]) for s in self.samples if s["t"] >= warmup_s and s["steady_rss"]]
        if not after:
            return {
                "steady_rss_after_warmup_mib": None,
                "steady_rss_max_mib": None,
                "steady_rss_end_mib": None,
                "steady_rss_growth": None,
                "steady_rss_peak_growth": None,
                "steady_rss_levels_mib": [],
            }
        start, end = after[0][0], after[-1][0]
        window = min(LEVEL_WINDOW_S, (end - start) / 4)
        first = median(rss for t, rss in after if t <= start + window)
        last = median(rss for t, rss in after if t >= end - window)
        peak = max(rss for _, rss in after)
        spans: dict[int, list[int]] = {}
        for t, rss in after:
            spans.setdefault(int((t - start) // LEVEL_SPAN_S), []).append(rss)
        mib = 1024 * 1024
        return {
            "steady_rss_after_warmup_mib": round(first / mib, 1),
            "steady_rss_max_mib": round(peak / mib, 1),
            "steady_rss_end_mib": round(last / mib, 1),
            "steady_rss_growth": round(last / first - 1, 4),
            "steady_rss_peak_growth": round(peak / first - 1, 4),
            # The level of each span after warm-up: whether memory levels off (caches full) or keeps rising.
            "steady_rss_levels_mib": [round(median(rss) / mib, 1) for _, rss in sorted(spans.items())],
        }


def _articles(pool: list[dict], published: list[str], n: int) -> list[dict]:
    chunk = []
    for _ in range(n):
        article = dict(pool[len(published) % len(pool)])
        article["id"] = f"{article['id']}-r{len(published) // len(pool)}"
        chunk.append(article)
        published.append(article["id"])
    return chunk


def _inject(
    kind: str,
    rng: random.Random,
    broker: LocalBroker | LocalCluster,
    settings: Settings,
    faulty: WorkerProcess,
    extra: WorkerProcess,
    steady: WorkerProcess,
) -> None:
    if kind == "kill9":
        faulty.kill()
        faulty.start()
    elif kind in ("broker_restart", "broker_kill", "leader_kill"):
        if isinstance(broker, LocalCluster):
            _cluster_fault(kind, rng, broker, settings)
        else:
            broker.stop()
            time.sleep(2)
            broker.start(timeout=120)
        for worker in (steady, faulty):
            if worker.process.poll() is not None:
                _say(f"soak: a worker exited while the broker was down: {worker.log_tail(5)}")
                worker.start()
    elif kind == "rebalance":
        extra.start()
        time.sleep(rng.uniform(2, 10))
        extra.kill()
    elif kind == "store_deleted":
        faulty.stop()
        shutil.rmtree(settings.data_dir / f"worker-{faulty.settings.web_port}", ignore_errors=True)
        faulty.start()


def _cluster_fault(kind: str, rng: random.Random, cluster: LocalCluster, settings: Settings) -> None:
    """One node stopped (controlled) or killed, started again a few seconds later; then every replica in sync."""
    if kind == "leader_kill":
        leaders = Counter(cluster.leaders(settings.topic_articles).values())
        node = leaders.most_common(1)[0][0]
    else:
        node = rng.randint(1, cluster.size)
    if kind == "broker_restart":
        cluster.stop_node(node)
    else:
        cluster.kill(node)
    _say(f"soak: node {node} {'stopped' if kind == 'broker_restart' else 'killed'}")
    time.sleep(rng.uniform(2, 10))
    cluster.start_node(node, timeout=120)
    _say(f"soak: node {node} back, replicas in sync after {cluster.wait_in_sync(timeout=300):.1f} s")


def run_soak(
    base: Settings,
    minutes: float,
    *,
    rate: float | None = None,
    fault_every_s: float = 180.0,
    warmup_minutes: float = 5.0,
    seed: int | None = None,
    nodes: int = 1,
) -> dict:
    rng = random.Random(seed)
    data_dir = base.data_dir / f"soak-{int(time.time())}"
    port = free_port()
    broker_settings = base.model_copy(
        update={
            "data_dir": data_dir,
            "broker_port": port,
            "controller_port": free_port(),
            "bootstrap_servers": f"localhost:{port}",
        }
    )
    broker: LocalBroker | LocalCluster
    if nodes > 1:
        broker = LocalCluster(
            broker_settings,
            nodes=nodes,
            ports=[port] + [free_port() for _ in range(nodes - 1)],
            controller_ports=[broker_settings.controller_port] + [free_port() for _ in range(nodes - 1)],
        )
        broker_settings = broker.client_settings(broker_settings)
        kinds = CLUSTER_FAULTS
    else:
        broker = LocalBroker(broker_settings)
        kinds = FAULTS
    broker.start(timeout=120)
    settings = scenario(broker_settings, "soak", free_port(), session_timeout_s=10.0, store="rocksdb://")
    steady = WorkerProcess(settings)
    faulty = WorkerProcess(settings.model_copy(update={"web_port": free_port()}))
    extra = WorkerProcess(settings.model_copy(update={"web_port": free_port()}))
    pool = corpus(2225)
    published: list[str] = []
    faults: Counter = Counter()
    watch = Watch()
    try:
        steady.start()
        faulty.start()
        # 1. the pipeline's throughput, as deployed here, sets the load
        began = time.monotonic()
        publish_articles(settings, _articles(pool, published, WARMUP_ARTICLES))
        wait_all_processed(settings, timeout=900)
        throughput = WARMUP_ARTICLES / (time.monotonic() - began)
        rate = rate or throughput / 2
        _say(f"soak: throughput {throughput:.1f} articles/s; publishing {rate:.1f}/s for {minutes:g} min")
        watch = Watch()
        deadline = time.monotonic() + minutes * 60
        next_fault = time.monotonic() + rng.uniform(0.5, 1.5) * fault_every_s
        next_sample = time.monotonic()
        owed = 0.0
        while time.monotonic() < deadline:
            tick = time.monotonic()
            if tick >= next_sample:  # before this second's batch: what the last second left undone
                watch.sample(settings, steady, faulty)
                next_sample = tick + SAMPLE_EVERY_S
            owed += rate
            if int(owed):
                publish_articles(settings, _articles(pool, published, int(owed)))
                owed -= int(owed)
            if time.monotonic() >= next_fault:
                kind = rng.choice(kinds)
                _say(f"soak: {watch.elapsed() / 60:.1f} min: injecting {kind} after {len(published)} published")
                watch.fault(kind)
                _inject(kind, rng, broker, settings, faulty, extra, steady)
                faults[kind] += 1
                next_fault = time.monotonic() + rng.uniform(0.5, 1.5) * fault_every_s
            time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
        for worker in (steady, faulty):
            if worker.process.poll() is not None:
                worker.start()
        wait_all_processed(settings, timeout=max(900.0, minutes * 60))
        watch.sample(settings, steady, faulty)
        events = committed_events(settings)
        ids = event_id_counts(events)
        expected = expected_country_totals(events)
        tables = wait_tables(settings, expected, timeout=120) or {}
        with_events = {r["value"]["article_id"] for records in events.values() for r in records}
        dead = {r["key"] for r in dead_letters(settings)}
        lost = sorted(set(published) - with_events - dead)
        duplicated_events = sum(n - 1 for n in ids.values() if n > 1)
        table_mismatch = sum(1 for c in set(expected) | set(tables) if expected.get(c) != tables.get(c))
        recoveries = [r.as_dict() for r in watch.recoveries]
        waits = [r.recovered_after_s for r in watch.recoveries if r.recovered_after_s is not None]
        # a fault whose lag had not been zero before the next fault began did not recover in time
        late = sum(
            1
            for a, b in zip(watch.recoveries, watch.recoveries[1:], strict=False)
            if a.recovered_after_s is None or a.at_s + a.recovered_after_s > b.at_s
        )
        memory = watch.memory(warmup_minutes * 60)
        result = {
            "minutes": minutes,
            "nodes": nodes,
            "throughput_per_s": round(throughput, 2),
            "rate_per_s": round(rate, 2),
            "published": len(published),
            "faults_injected": sum(faults.values()),
            "faults": dict(faults),
            "lost": len(lost),
            "duplicated": duplicated_events + table_mismatch,
            "duplicated_events": duplicated_events,
            "table_mismatches": table_mismatch,
            "events": sum(ids.values()),
            "dead_lettered": len(dead),
            "lag_zero_after_fault_max_s": round(max(waits), 1) if waits else None,
            "faults_not_recovered_before_next": late,
            **memory,
            "recoveries": recoveries,
            "lag_max": max((s["lag"] for s in watch.samples if s["lag"] is not None), default=None),
        }
        if lost:
            _say(f"soak: lost articles (first 10): {lost[:10]}")
        return result
    finally:
        extra.stop()
        faulty.stop()
        steady.stop()
        broker.stop()


def passed(result: dict) -> bool:
    growth = result["steady_rss_growth"]
    return (
        result["lost"] == 0
        and result["duplicated"] == 0
        and result["faults_not_recovered_before_next"] == 0
        and (growth is None or growth <= RSS_GROWTH_LIMIT)
    )


def main(
    base: Settings,
    minutes: float,
    seed: int | None = None,
    rate: float | None = None,
    fault_every_s: float = 180.0,
    warmup_minutes: float = 5.0,
    nodes: int = 1,
) -> int:
    result = run_soak(
        base, minutes, rate=rate, fault_every_s=fault_every_s, warmup_minutes=warmup_minutes, seed=seed, nodes=nodes
    )
    print(
        f"published {result['published']} articles at {result['rate_per_s']}/s "
        f"(throughput {result['throughput_per_s']}/s), injected {result['faults_injected']} faults "
        f"({', '.join(f'{k} {v}' for k, v in result['faults'].items()) or 'none'})"
    )
    print(
        f"lost {result['lost']}, duplicated {result['duplicated']} "
        f"({result['duplicated_events']} events twice, {result['table_mismatches']} country counts off)"
    )
    print(
        f"lag back to zero at most {result['lag_zero_after_fault_max_s']} s after a fault; "
        f"{result['faults_not_recovered_before_next']} faults not recovered before the next"
    )
    print(
        f"steady worker RSS {result['steady_rss_after_warmup_mib']} MiB after warm-up, "
        f"{result['steady_rss_end_mib']} MiB at the end (medians over {LEVEL_WINDOW_S:.0f} s; growth "
        f"{result['steady_rss_growth']}, limit {RSS_GROWTH_LIMIT}); highest sample {result['steady_rss_max_mib']} MiB"
    )
    levels = ", ".join(map(str, result["steady_rss_levels_mib"]))
    print(f"steady worker RSS level per {LEVEL_SPAN_S / 60:.0f} minutes after warm-up: {levels or 'none'} MiB")
    print(json.dumps(result))
    return 0 if passed(result) else 1
