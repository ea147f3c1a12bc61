"""How long `newswire reprocess` takes over N corpus articles, and that the live tables stay as they were.

On a broker of its own (free ports, a temporary data dir): `newswire publish` the first N articles of the
corpus, a live worker analyses them (the live version's events and tables), the worker stops (so the
reprocess has the CPU to itself), then `newswire reprocess --since all --extractor-version bench-2` runs
as a user runs it. Prints one JSON line: articles, seconds, records per second, the new version's event
counts (each id once?), and whether the live tables, read from their changelogs, are unchanged.

    .venv/bin/python scripts/reprocess_bench.py [--articles 500] [--corpus ../shared/corpus/bbc-news.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a checkout: the project first on the path

from streams.settings import SHARED_CORPUS, Settings  # noqa: E402
from streams.tools.broker import LocalBroker, free_port  # noqa: E402
from streams.tools.faults import committed_events, event_id_counts, scenario, wait_all_processed  # noqa: E402
from streams.tools.reprocess import read_tables, versioned  # noqa: E402
from streams.tools.worker import WorkerProcess  # noqa: E402


def newswire(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        env=os.environ | settings.as_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--corpus", type=Path, default=SHARED_CORPUS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reprocess-bench-") as tmp:
        port = free_port()
        base = Settings(
            data_dir=Path(tmp), broker_port=port, controller_port=free_port(), bootstrap_servers=f"localhost:{port}"
        )
        broker = LocalBroker(base)
        broker.start(timeout=120)
        try:
            settings = scenario(base, "rpbench", free_port())
            articles = Path(tmp) / "articles.jsonl"
            with args.corpus.open(encoding="utf-8") as corpus:
                articles.write_text(
                    "".join(line for _, line in zip(range(args.articles), corpus, strict=False)), encoding="utf-8"
                )
            from streams.kafka.clients import ensure_topics

            ensure_topics(settings)
            published = newswire(settings, "publish", str(articles))
            print(published.stderr.strip(), file=sys.stderr)
            started = time.monotonic()
            with WorkerProcess(settings):
                wait_all_processed(settings, timeout=3600)
                live_seconds = time.monotonic() - started
            live_before = read_tables(settings)
            live_events = sum(event_id_counts(committed_events(settings)).values())

            started = time.monotonic()
            result = newswire(settings, "reprocess", "--since", "all", "--extractor-version", "bench-2")
            seconds = time.monotonic() - started
            print(result.stderr.strip()[-1500:], file=sys.stderr)
            run = versioned(settings, "bench-2")
            ids = event_id_counts(committed_events(run))
            new_tables = read_tables(run)
            print(
                json.dumps(
                    {
                        "articles": args.articles,
                        "reprocess_exit": result.returncode,
                        "reprocess_seconds": round(seconds, 1),
                        "articles_per_second": round(args.articles / seconds, 2),
                        "live_worker_seconds": round(live_seconds, 1),
                        "new_events": sum(ids.values()),
                        "new_event_ids_twice": sum(1 for n in ids.values() if n > 1),
                        "live_events_before": live_events,
                        "live_events_after": sum(event_id_counts(committed_events(settings)).values()),
                        "live_tables_unchanged": read_tables(settings) == live_before,
                        "new_tables_equal_live": new_tables["all"] == live_before["all"],
                        "countries": len(new_tables["all"]),
                        "mentions": sum(new_tables["all"].values()),
                    }
                )
            )
            return result.returncode
        finally:
            broker.stop()


if __name__ == "__main__":
    sys.exit(main())
