"""`newswire soak --minutes N`: publish load while injecting faults at random; count what was lost or duplicated.

Runs its own local broker (free ports, a data dir under NEWSWIRE_DATA_DIR/soak-*) and workers, so the faults
(kill -9 a worker, stop and start the broker, kill one of two workers, restart a worker without its local
table store) hit nothing else. At the end, once every article is processed:

- lost: published article ids with neither an event nor a dead letter;
- duplicated: event ids committed more than once (read `read_committed`), plus countries whose served table
  differs from the sum of the committed country-mention events.

The last line printed is one JSON object: published, faults_injected, faults (by kind), lost, duplicated.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import time
from collections import Counter

from streams.settings import Settings
from streams.tools.broker import LocalBroker, free_port
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


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_soak(base: Settings, minutes: float, batch: int = 20, fault_every_s: float = 45.0,
             seed: int | None = None) -> dict:

    rng = random.Random(seed)
    data_dir = base.data_dir / f"soak-{int(time.time())}"
    port = free_port()
    broker_settings = base.model_copy(update={"data_dir": data_dir, "broker_port": port,
                                              "controller_port": free_port(), "bootstrap_servers": f"localhost:{port}"})
    broker = LocalBroker(broker_settings)
    broker.start(timeout=120)
    settings = scenario(broker_settings, "soak", free_port(), session_timeout_s=10.0, store="rocksdb://")
    main, spare = WorkerProcess(settings), WorkerProcess(settings.model_copy(update={"web_port": free_port()}))
    pool = corpus(2225)
    published: list[str] = []
    faults: Counter = Counter()
    try:
        main.start()
        deadline = time.monotonic() + minutes * 60
        next_fault = time.monotonic() + rng.uniform(0.5, 1.5) * fault_every_s
        round_ = 0
        while time.monotonic() < deadline:
            chunk = []
            for _ in range(batch):
                article = dict(pool[len(published) % len(pool)])
                article["id"] = f"{article['id']}-r{len(published) // len(pool)}"
                chunk.append(article)
                published.append(article["id"])
            publish_articles(settings, chunk)
            round_ += 1
            if time.monotonic() >= next_fault:
                kind = rng.choice(FAULTS)
                _say(f"soak: injecting {kind} after {len(published)} published")
                if kind == "kill9":
                    main.kill()
                    main.start()
                elif kind == "broker_restart":
                    broker.stop()
                    time.sleep(2)
                    broker.start(timeout=120)
                    if main.process.poll() is not None:
                        main.start()
                elif kind == "rebalance":
                    spare.start()
                    time.sleep(rng.uniform(2, 10))
                    spare.kill()
                elif kind == "store_deleted":
                    main.stop()
                    shutil.rmtree(settings.data_dir / f"worker-{settings.web_port}", ignore_errors=True)
                    main.start()
                faults[kind] += 1
                next_fault = time.monotonic() + rng.uniform(0.5, 1.5) * fault_every_s
            time.sleep(rng.uniform(0.5, 2.0))
        if main.process.poll() is not None:
            main.start()
        wait_all_processed(settings, timeout=max(900.0, minutes * 60))
        events = committed_events(settings)
        ids = event_id_counts(events)
        expected = expected_country_totals(events)
        tables = wait_tables(settings, expected, timeout=120) or {}
        with_events = {r["value"]["article_id"] for records in events.values() for r in records}
        dead = {r["key"] for r in dead_letters(settings)}
        lost = sorted(set(published) - with_events - dead)
        duplicated_events = sum(n - 1 for n in ids.values() if n > 1)
        table_mismatch = sum(1 for c in set(expected) | set(tables) if expected.get(c) != tables.get(c))
        result = {"published": len(published), "faults_injected": sum(faults.values()), "faults": dict(faults),
                  "lost": len(lost), "duplicated": duplicated_events + table_mismatch,
                  "duplicated_events": duplicated_events, "table_mismatches": table_mismatch,
                  "events": sum(ids.values()), "dead_lettered": len(dead)}
        if lost:
            _say(f"soak: lost articles (first 10): {lost[:10]}")
        return result
    finally:
        spare.stop()
        main.stop()
        broker.stop()


def main(base: Settings, minutes: float, seed: int | None = None) -> int:
    result = run_soak(base, minutes, seed=seed)
    print(f"published {result['published']} articles, injected {result['faults_injected']} faults "
          f"({', '.join(f'{k} {v}' for k, v in result['faults'].items()) or 'none'})")
    print(f"lost {result['lost']}, duplicated {result['duplicated']} "
          f"({result['duplicated_events']} events twice, {result['table_mismatches']} country counts off)")
    print(json.dumps(result))
    return 0 if result["lost"] == 0 and result["duplicated"] == 0 else 1
