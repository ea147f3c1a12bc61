"""Do the tables, `newswire countries` and Prometheus agree with `newswire analyze`? And after a SIGKILL?

    .venv/bin/python scripts/country_agreement.py [ARTICLES.jsonl] [--count 200]

Starts its own broker (free ports, temporary directory), a worker with a RocksDB store and a Prometheus
scraping it; publishes the seed article and the first COUNT articles of the file; compares the country
counts of `/countries`, `newswire countries` and Prometheus's `newswire_country_mentions_total` with the
sum of `newswire analyze`'s counts; then kills the worker (SIGKILL), restarts it and compares again.
Prints one JSON line with the numbers; exits 1 on any disagreement.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streams.kafka.clients import ensure_topics, group_lag, producer, wait_until_processed  # noqa: E402
from streams.kafka.publisher import publish, read_articles  # noqa: E402
from streams.nlp import analyze_articles, load_pipeline  # noqa: E402
from streams.settings import Settings  # noqa: E402
from streams.tools.broker import LocalBroker  # noqa: E402
from streams.tools.worker import WorkerProcess  # noqa: E402
from tests.conftest import SEED, free_port  # noqa: E402
from tests.support.prometheus import JOB, PrometheusServer  # noqa: E402


def say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def countries_view(url: str, timeout: float = 120) -> dict[str, int]:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/countries?limit=0", timeout=10) as response:
                return {row["country"]: row["mentions"] for row in json.loads(response.read())["countries"]}
        except (urllib.error.HTTPError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def countries_cli(url: str) -> dict[str, int]:
    shown = subprocess.run(
        [sys.executable, "-m", "streams.cli", "countries", "--url", url, "--json", "--limit", "0"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return {row["country"]: row["mentions"] for row in json.loads(shown.stdout)["countries"]}


def window_sums(url: str, countries) -> dict[str, dict[str, int]]:
    """Per window size, per country: the sum of its retained windows (equal to the total when all are recent)."""
    import urllib.request

    sums: dict[str, dict[str, int]] = {"1h": {}, "1d": {}}
    for country in countries:
        with urllib.request.urlopen(f"{url}/countries/{country}", timeout=10) as response:
            windows = json.loads(response.read())["windows"]
        for name in sums:
            sums[name][country] = sum(row["mentions"] for row in windows[name])
    return sums


def diff(a: dict[str, int], b: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {c: (a.get(c, 0), b.get(c, 0)) for c in sorted(set(a) | set(b)) if a.get(c, 0) != b.get(c, 0)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", nargs="?", default=str(ROOT.parent / "shared" / "corpus" / "bbc-news.jsonl"))
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()

    articles = list(read_articles([str(SEED)])) + list(islice(read_articles([args.articles]), args.count))
    workdir = Path(tempfile.mkdtemp(prefix="newswire-agreement-"))
    port = free_port()
    settings = Settings(
        data_dir=workdir,
        broker_port=port,
        controller_port=free_port(),
        bootstrap_servers=f"localhost:{port}",
        web_port=free_port(),
        app_id="agreement",
        store="rocksdb://",
        session_timeout_s=10,
        lag_poll_interval_s=2,
    )
    url = f"http://127.0.0.1:{settings.web_port}"
    broker = LocalBroker(settings)
    worker = WorkerProcess(settings)
    server = PrometheusServer(workdir, free_port(), [f"127.0.0.1:{settings.web_port}"])
    result: dict = {"articles": len(articles), "workdir": str(workdir)}
    try:
        say(f"starting Kafka on {broker.bootstrap_servers}, a worker on {url}, Prometheus on {server.url}")
        broker.start(timeout=120)
        ensure_topics(settings)
        worker.start()
        server.start()

        say(f"publishing the seed article and {len(articles) - 1} articles of {args.articles}")
        started = time.monotonic()
        kafka_producer = producer(settings)
        sent, acknowledged = publish(kafka_producer, settings.topic_articles, articles, progress=False)
        kafka_producer.close()
        assert sent == acknowledged == len(articles), (sent, acknowledged)
        wait_until_processed(settings, timeout=900)
        while sum(group_lag(settings, settings.app_id, settings.topic_country_mentions).values()):
            time.sleep(0.5)
        result["processing_s"] = round(time.monotonic() - started, 1)

        say("analysing the same articles in this process (`newswire analyze`'s code)")
        analyses = analyze_articles(articles, load_pipeline(settings.model))
        expected = dict(sum((Counter(a["countries"]) for a in analyses), Counter()))

        view = countries_view(url)
        cli = countries_cli(url)
        windows = window_sums(url, expected)  # the articles carry no published_at: all in recent windows
        total_processed = f'sum(newswire_articles_processed_total{{job="{JOB}"}}) == {len(articles)}'
        server.wait_for("every article scraped", lambda: server.query(total_processed), timeout=60)
        time.sleep(2)
        series = server.query(f'sum by (country) (newswire_country_mentions_total{{job="{JOB}"}})')
        scraped = {s["metric"]["country"]: int(float(s["value"][1])) for s in series}

        say("killing the worker (SIGKILL) and starting it again")
        worker.kill()
        worker = WorkerProcess(settings)
        restart_started = time.monotonic()
        worker.start()
        after_restart = countries_view(url)
        result["restart_to_answer_s"] = round(time.monotonic() - restart_started, 1)

        result |= {
            "countries": len(expected),
            "mentions": sum(expected.values()),
            "top10": dict(Counter(expected).most_common(10)),
            "diff_view": diff(expected, view),
            "diff_cli": diff(expected, cli),
            "diff_prometheus": diff(expected, scraped),
            "diff_after_restart": diff(expected, after_restart),
            "diff_hourly_windows": diff(expected, windows["1h"]),
            "diff_daily_windows": diff(expected, windows["1d"]),
            "view_mentions": sum(view.values()),
            "cli_mentions": sum(cli.values()),
            "prometheus_mentions": sum(scraped.values()),
            "after_restart_mentions": sum(after_restart.values()),
        }
        agree = not any(value for key, value in result.items() if key.startswith("diff_"))
        result["agree"] = agree
        print(json.dumps(result))
        return 0 if agree else 1
    finally:
        worker.stop()
        server.stop()
        broker.stop()


if __name__ == "__main__":
    sys.exit(main())
