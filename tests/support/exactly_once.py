"""What a fault run committed, and its check against a clean run of the same input: nothing missing, nothing
extra, nothing twice, the served tables exact. Shared by tests/runtime/test_exactly_once.py (one
broker) and tests/tools/test_cluster.py (three)."""

from __future__ import annotations

import re
import time
import urllib.request

from streams.kafka.clients import group_lag, unconsumed
from streams.tools.faults import committed_events, event_id_counts, expected_country_totals, wait_tables
from streams.tools.worker import WorkerProcess


def metric(worker: WorkerProcess, name: str, labels: str) -> float:
    with urllib.request.urlopen(worker.metrics_url, timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(f"{name}{{{labels}}} "):
                return float(line.split()[1])
    return 0.0


def outcome(settings) -> dict:
    """The committed events' ids (with counts), the table they add up to, and the table the worker serves."""
    events = committed_events(settings)
    expected = expected_country_totals(events)
    tables = wait_tables(settings, expected)
    return {
        "ids": event_id_counts(events),
        "expected": expected,
        "tables": tables,
        "events": {r["value"]["event_id"]: (topic, r["value"]) for topic, records in events.items() for r in records},
    }


# The lines of a worker's log that tell what it was doing: warnings, errors, and its rebalances and recoveries.
TELLING = re.compile(
    r"\[(WARNING|ERROR|CRITICAL)\]|rebalance|producer ready|Recovery\]: (Worker ready|Restoring)|Joined group"
)


def stall_report(settings, workers: list[WorkerProcess], lines: int = 40) -> str:
    """What a run that stopped short was doing: each input partition's lag, each worker's process state, and the
    telling lines of its log (printed when a wait for the last article expires: a CI log holds nothing else)."""
    report = []
    for topic in (settings.topic_articles, settings.topic_country_mentions):
        try:
            lag = group_lag(settings, settings.app_id, topic)
        except Exception as error:  # noqa: BLE001 - the report is of whatever can still be read
            lag = f"unreadable ({type(error).__name__}: {error})"
        report.append(f"{topic}: lag per partition {lag}")
    for worker in workers:
        code = None if worker.process is None else worker.process.poll()
        state = "not started" if worker.process is None else "running" if code is None else f"exited ({code})"
        try:
            log = worker.log_path.read_text(errors="replace").splitlines()
        except OSError:
            log = []
        telling = [line[:300] for line in log if TELLING.search(line)][-lines:]
        report.append(f"--- worker {worker.settings.web_port}: {state}; {worker.log_path}")
        report.extend(telling + ["... its last lines:"] + [line[:300] for line in log[-8:]])
    return "\n".join(report)


def table_agent_uncommitted(settings, workers: list[WorkerProcess], timeout: float = 30) -> int:
    """Country-mention events the table agent has not committed yet (0 once its commits caught up); when
    some are left, the workers' stall report is printed."""
    deadline = time.monotonic() + timeout
    while (
        behind := unconsumed(settings, settings.app_id, settings.topic_country_mentions)
    ) and time.monotonic() < deadline:
        time.sleep(1)
    if behind:
        print(stall_report(settings, workers))
    return behind


def check(run: dict, clean: dict, name: str) -> dict:
    """Assert `run` committed exactly `clean`'s events, none twice, and serves `clean`'s tables; return the
    figures (missing, extra, duplicated, events, countries, mentions)."""
    twice = {event_id: n for event_id, n in run["ids"].items() if n > 1}
    missing = set(clean["ids"]) - set(run["ids"])
    extra = set(run["ids"]) - set(clean["ids"])
    figures = {
        "events": sum(run["ids"].values()),
        "distinct": len(run["ids"]),
        "missing": len(missing),
        "extra": len(extra),
        "duplicated": len(twice),
        "countries": len(run["tables"] or {}),
        "mentions": sum((run["tables"] or {}).values()),
    }
    print(
        f"{name}: {figures['events']} committed events, {figures['distinct']} distinct; "
        f"missing {figures['missing']}, extra {figures['extra']}, duplicated {figures['duplicated']}; "
        f"{figures['countries']} countries, {figures['mentions']} mentions"
    )
    assert not twice, f"{len(twice)} event ids committed more than once"
    if missing or extra:
        for event_id in sorted(missing | extra):
            topic, value = (run if event_id in extra else clean)["events"][event_id]
            print(
                "missing" if event_id in missing else "extra",
                topic,
                {
                    k: value.get(k)
                    for k in ("article_id", "canonical", "text", "actor", "target", "country", "count", "start")
                },
            )
    assert not missing and not extra, (len(missing), len(extra))
    off = {
        c: (run["tables"] or {}).get(c)
        for c in set(run["expected"]) | set(run["tables"] or {})
        if (run["tables"] or {}).get(c) != run["expected"].get(c)
    }
    print(f"{name}: countries whose served count differs from the committed events: {off}")
    assert not off, "the served table is not the sum of the committed events"
    assert run["tables"] == clean["tables"]
    return figures
