"""Integration: a real broker, real workers, a real Prometheus — the tables, the views, the metrics,
deploy/'s dashboard queries and alert rules, routing between two workers, and recovery after SIGKILL.

One scenario for the module (its own topics, so other modules' articles do not count): the seed article,
the wire fixture with event times from now to 2019, and two bad records are published once; the tests
then read it from every side. The expected counts are the sum of `newswire analyze` over the articles.
A `newswire reprocess` of them, scraped as deploy/'s `newswire-reprocess` job, feeds the reprocess panels.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest
import yaml

from streams.domain.tables import WINDOWS, isoformat, parse_time, window_bounds
from streams.kafka.clients import ensure_topics, producer, unconsumed, wait_until_processed
from streams.kafka.publisher import read_articles
from streams.nlp import analyze_article
from streams.tools.worker import WorkerProcess
from tests.support import FIXTURES, SEED, free_port, prometheus

HOUR, DAY = WINDOWS["1h"], WINDOWS["1d"]
HOURLY_RETENTION_H, DAILY_RETENTION_D = 168, 365


def _get(url: str, timeout: float = 10) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _wait_for_tables(base_url: str, timeout: float = 90) -> dict:
    """Until the worker answers /countries (it answers 503 while rebalancing or recovering)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            status, body = _get(f"{base_url}/countries?limit=0")
        except OSError as error:
            status, body = 0, {"error": str(error)}
        if status == 200:
            return body
        assert time.monotonic() < deadline, f"/countries still answers {status}: {body}"
        time.sleep(0.5)


def _wait_until_counted(settings, timeout: float = 120) -> None:
    """Articles analysed and their country mentions added to the tables (both offsets committed)."""
    wait_until_processed(settings, timeout=timeout)
    deadline = time.monotonic() + timeout
    while unconsumed(settings, settings.app_id, settings.topic_country_mentions):
        assert time.monotonic() < deadline, "the worker did not count the country mentions in time"
        time.sleep(0.5)


def _as_counts(answer: dict) -> dict[str, int]:
    return {row["country"]: row["mentions"] for row in answer["countries"]}


def _windows_of(
    hours_or_days: str, expected: list[tuple[float, dict[str, int]]], country: str, now: float
) -> dict[str, int]:
    """Expected {window start: mentions} of one country, for the windows a worker keeps at `now`."""
    size, kept = (HOUR, HOURLY_RETENTION_H * HOUR) if hours_or_days == "1h" else (DAY, DAILY_RETENTION_D * DAY)
    out: Counter[str] = Counter()
    for when, counts in expected:
        start, end = window_bounds(size, when)
        # Faust's rule (TumblingWindow.stale): a window is dropped once it ends before the window `kept` ago.
        if end - 0.1 > window_bounds(size, now - kept)[0] and counts.get(country):
            out[isoformat(start)] += counts[country]
    return dict(out)


@pytest.fixture(scope="module")
def scenario(kafka, kafka_settings, nlp, tmp_path_factory):
    now = time.time()
    settings = kafka_settings.model_copy(
        update={
            "app_id": "newswire-obs",
            "web_port": free_port(),
            "session_timeout_s": 10.0,
            "lag_poll_interval_s": 1.0,
            "hourly_retention_hours": HOURLY_RETENTION_H,
            "daily_retention_days": DAILY_RETENTION_D,
            "store": "rocksdb://",
            "data_dir": tmp_path_factory.mktemp("obs"),
            **{
                f"topic_{name}": f"obs.{name}"
                for name in ("articles", "entities", "quotes", "stances", "country_mentions", "dlq")
            },
        }
    )
    ensure_topics(settings)
    worker = WorkerProcess(settings)
    reprocess_port = free_port()  # `newswire reprocess --web-port`: scraped whenever it runs
    server = prometheus.PrometheusServer(
        tmp_path_factory.mktemp("prometheus"),
        free_port(),
        [f"127.0.0.1:{settings.web_port}"],
        [f"127.0.0.1:{reprocess_port}"],
    )
    try:
        worker.start()
        server.start()
        server.wait_for("the worker scraped", lambda: server.query(f'up{{job="{prometheus.JOB}"}} == 1'))

        # Event times: now (no published_at), hours and days ago, beyond the hourly and the daily retention.
        articles = list(read_articles([str(SEED), str(FIXTURES / "wire" / "articles.jsonl")]))
        published_at = [None, None, now - 3 * 3600, now - 2 * DAY, now - 30 * DAY, "2019-01-25T14:30:00Z"]
        for article, when in zip(articles, published_at, strict=True):
            if when is not None:
                article["published_at"] = when if isinstance(when, str) else isoformat(when)
        kafka_producer = producer(settings)
        bad = [(b"bad-json", b"{not json"), (b"bad-shape", json.dumps({"id": "bad-shape", "text": 42}).encode())]
        records = [(a["id"].encode(), json.dumps(a).encode()) for a in articles] + bad
        sent = [kafka_producer.send(settings.topic_articles, key=k, value=v) for k, v in records]
        record_times = [future.get(timeout=30).timestamp / 1000 for future in sent][: len(articles)]
        kafka_producer.close()
        _wait_until_counted(settings)

        analyses = [analyze_article(article, nlp)["countries"] for article in articles]
        expected = sum((Counter(counts) for counts in analyses), Counter())
        # What the tables use: published_at, else the record timestamp (which the events inherit).
        event_times = [
            parse_time(article["published_at"]) if "published_at" in article else record_time
            for article, record_time in zip(articles, record_times, strict=True)
        ]
        state = {
            "settings": settings,
            "worker": worker,
            "prometheus": server,
            "url": f"http://127.0.0.1:{settings.web_port}",
            "expected": dict(expected),
            "by_event_time": list(zip(event_times, analyses, strict=True)),
            "articles": len(articles),
            "dead_lettered": len(bad),
            "reprocess_port": reprocess_port,
        }
        yield state
        worker = state["worker"]  # the kill test replaces it with the restarted one
    finally:
        server.stop()
        worker.stop()


@pytest.mark.kafka
def test_countries_view_equals_the_sum_of_analyze(scenario):
    answer = _wait_for_tables(scenario["url"])
    assert _as_counts(answer) == scenario["expected"]
    assert answer["total_mentions"] == sum(scenario["expected"].values())
    assert answer["workers"] == 1
    top = _get(f"{scenario['url']}/countries?limit=3")[1]["countries"]
    assert [row["mentions"] for row in top] == sorted(scenario["expected"].values(), reverse=True)[:3]


@pytest.mark.kafka
def test_country_view_has_the_event_time_windows_within_retention(scenario):
    now = time.time()
    for country, mentions in scenario["expected"].items():
        status, answer = _get(f"{scenario['url']}/countries/{country.lower()}")
        assert status == 200, answer
        assert answer["country"] == country and answer["mentions"] == mentions
        for name in ("1h", "1d"):
            got = {row["start"]: row["mentions"] for row in answer["windows"][name]}
            assert got == _windows_of(name, scenario["by_event_time"], country, now), (country, name)
    # Spelled out for three articles: 3 hours ago, 30 days ago (past the hourly retention), 2019 (past both).
    (brazil_time, _), (italy_time, _) = scenario["by_event_time"][2], scenario["by_event_time"][4]
    brazil, italy, kenya = (_get(f"{scenario['url']}/countries/{c}")[1]["windows"] for c in ("BR", "IT", "KE"))
    assert isoformat(window_bounds(HOUR, brazil_time)[0]) in [row["start"] for row in brazil["1h"]]
    assert italy["1h"] == [] and [row["start"] for row in italy["1d"]] == [isoformat(window_bounds(DAY, italy_time)[0])]
    assert kenya == {"1h": [], "1d": []} and scenario["expected"]["KE"] > 0
    status, answer = _get(f"{scenario['url']}/countries/XX")
    assert status == 200 and answer["mentions"] == 0
    assert _get(f"{scenario['url']}/countries/VEN")[0] == 400


@pytest.mark.kafka
def test_window_query_returns_that_window_only(scenario):
    two_days_ago, counts = scenario["by_event_time"][3]  # the only article published that day
    answer = _get(f"{scenario['url']}/countries?window=1d&limit=0&at={isoformat(two_days_ago)}")[1]
    assert _as_counts(answer) == counts
    assert answer["start"] == isoformat(window_bounds(DAY, two_days_ago)[0])
    assert _get(f"{scenario['url']}/countries?window=1w")[0] == 400


@pytest.mark.kafka
def test_newswire_countries_prints_the_same_counts(scenario):
    cli = [sys.executable, "-m", "streams.cli", "countries", "--url", scenario["url"]]
    shown = subprocess.run([*cli, "--json", "--limit", "0"], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert _as_counts(json.loads(shown.stdout)) == scenario["expected"]
    table = subprocess.run(cli, capture_output=True, text=True, timeout=60).stdout
    top_country, top_count = max(scenario["expected"].items(), key=lambda item: (item[1], item[0]))
    assert re.search(rf"^{top_country}\s+{top_count}\s", table, re.MULTILINE), table


@pytest.mark.kafka
def test_changelog_topics_were_created_before_the_worker_subscribed(scenario):
    from kafka import KafkaAdminClient
    from kafka.admin import ConfigResource, ConfigResourceType

    from streams.kafka.clients import client_config

    settings = scenario["settings"]
    admin = KafkaAdminClient(**client_config(settings))
    try:
        names = [f"{settings.app_id}-country-mentions-{name}-changelog" for name in ("total", "1h", "1d")]
        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name) for name in names])
    finally:
        admin.close()
    configs = {
        name: {key: entry["value"] for key, entry in entries.items()}
        for name, entries in next(iter(described.values())).items()
    }
    assert configs[names[0]]["cleanup.policy"] == "compact"
    assert configs[names[1]]["cleanup.policy"] == "compact,delete"
    assert configs[names[1]]["retention.ms"] == str(HOURLY_RETENTION_H * HOUR * 1000)
    assert configs[names[2]]["retention.ms"] == str(DAILY_RETENTION_D * DAY * 1000)
    # Faust subscribed with every changelog in the assignment: no missing topics, no crashed table updates.
    log = scenario["worker"].log_path.read_text(errors="replace")
    for sign in ("Ignoring missing topic", "PartitionsMismatch", "Crashed reason"):
        assert sign not in log, sign


@pytest.mark.kafka
def test_metrics_follow_prometheus_conventions(scenario):
    body = urllib.request.urlopen(f"{scenario['url']}/metrics", timeout=10).read()
    lint = subprocess.run(
        [prometheus.binary("promtool"), "check", "metrics"], input=body, capture_output=True, timeout=60
    )
    assert lint.returncode == 0 and not lint.stdout.strip(), lint.stdout.decode() + lint.stderr.decode()


def test_promtool_accepts_the_deploy_config_and_rules_and_their_unit_tests_pass():
    for args in (
        ["check", "config", str(prometheus.CONFIG)],
        ["check", "rules", str(prometheus.RULES)],
        ["test", "rules", str(prometheus.RULE_TESTS)],
    ):
        checked = prometheus.promtool(*args)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = {
        test["alertname"]
        for case in yaml.safe_load(prometheus.RULE_TESTS.read_text())["tests"]
        for test in case["alert_rule_test"]
    }
    assert "NewswireLowConfidenceShareHigh" in tested


def _scraped_everything(scenario) -> None:
    server = scenario["prometheus"]
    records = scenario["articles"] + scenario["dead_lettered"]
    server.wait_for(
        "all the articles",
        lambda: server.query(f'sum(newswire_articles_processed_total{{job="{prometheus.JOB}"}}) == {records}'),
    )


@pytest.mark.kafka
def test_prometheus_country_series_equal_the_sum_of_analyze(scenario):
    _scraped_everything(scenario)
    series = scenario["prometheus"].query(
        f'sum by (country) (newswire_country_mentions_total{{job="{prometheus.JOB}"}})'
    )
    assert {s["metric"]["country"]: int(float(s["value"][1])) for s in series} == scenario["expected"]


@pytest.fixture(scope="module")
def reprocessed(scenario):
    """`newswire reprocess` of the scenario's records into version obs-2, as a user runs it, on the port the
    `newswire-reprocess` job scrapes. Its metrics end with it: returns the time of its last scrape."""
    settings, server = scenario["settings"], scenario["prometheus"]
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "streams.cli",
            "reprocess",
            "--since",
            "all",
            "--extractor-version",
            "obs-2",
            "--web-port",
            str(scenario["reprocess_port"]),
        ],
        env=os.environ | settings.as_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0 and "caught up" in result.stderr, result.stderr[-3000:]
    print(f"reprocess: {time.monotonic() - started:.1f} s")
    job = f'job="{prometheus.REPROCESS_JOB}"'
    samples = server.query(f"newswire_reprocess_planned_records{{{job}}}[10m]")
    assert samples, f"Prometheus never scraped the reprocess: {result.stderr[-2000:]}"
    ((series,),) = [samples]
    assert series["metric"]["version"] == "obs-2"
    last = float(series["values"][-1][0])
    processed = server.query(f"max_over_time(newswire_reprocess_processed_records_total{{{job}}}[10m])", at=last)
    return {"at": last, "planned": float(series["values"][-1][1]), "processed": float(processed[0]["value"][1])}


@pytest.mark.kafka
def test_reprocess_progress_is_scraped(scenario, reprocessed):
    records = scenario["articles"] + scenario["dead_lettered"]
    assert reprocessed["planned"] == records
    assert 0 < reprocessed["processed"] <= records
    # Once it has stopped, its target is down (not an alert: a job of its own).
    scenario["prometheus"].wait_for(
        "the reprocess target down",
        lambda: scenario["prometheus"].query(f'up{{job="{prometheus.REPROCESS_JOB}"}} == 0'),
    )


@pytest.mark.kafka
def test_every_dashboard_query_returns_data(scenario, reprocessed):
    _scraped_everything(scenario)
    time.sleep(2)  # a couple more scrapes, so every rate() has two samples after the work
    queries = prometheus.dashboard_queries(rate_interval="5m", time_range="1h")
    assert len(queries) >= 30
    legends = {
        target["expr"]: target.get("legendFormat", "")
        for panel in json.loads(prometheus.DASHBOARD.read_text())["panels"]
        for target in panel["targets"]
    }
    assert sum("newswire_reprocess_" in expr for _, expr in queries) >= 7
    for title, expr in queries:
        # The reprocess panels show a run while it runs: asked at its last scrape, the others now.
        at = reprocessed["at"] if "newswire_reprocess_" in expr else None
        result = scenario["prometheus"].query(expr, at=at)  # raises on a PromQL error
        assert result, f"panel {title!r}: no data for {expr}"
        values = [float(sample["value"][1]) for sample in result]
        assert any(math.isfinite(v) for v in values), f"panel {title!r}: only NaN/Inf for {expr}"
        raw = next(e for e in legends if prometheus.fill(e, "5m", "1h") == expr)
        for label in re.findall(r"\{\{\s*(\w+)\s*\}\}", legends[raw]):
            assert all(label in sample["metric"] for sample in result), f"panel {title!r}: no {label} label"


@pytest.mark.kafka
def test_every_alert_rule_evaluates_and_dead_letters_alert(scenario):
    server = scenario["prometheus"]
    rules = prometheus.alert_rules()
    assert {rule["alert"] for rule in rules} == {
        "NewswireWorkerDown",
        "NewswireConsumerLagGrowing",
        "NewswireDeadLetterRateHigh",
        "NewswireNoArticles",
        "NewswireLowConfidenceShareHigh",
    }
    for rule in rules:
        server.query(rule["expr"])  # raises on a PromQL error
    loaded = server.wait_for(
        "rules evaluated",
        lambda: (
            [
                rule
                for group in server.api("rules")["groups"]
                for rule in group["rules"]
                if rule.get("lastEvaluation", "").startswith("20")
            ]
            or None
        ),
    )
    assert {rule["name"] for rule in loaded} == {rule["alert"] for rule in rules}
    for rule in loaded:
        assert rule["health"] == "ok", (rule["name"], rule.get("lastError"))
    # 2 of 8 records were dead-lettered: over the 5% threshold, so that alert is pending (for: 5m).
    server.wait_for(
        "NewswireDeadLetterRateHigh pending",
        lambda: [
            alert
            for alert in server.api("alerts")["alerts"]
            if alert["labels"]["alertname"] == "NewswireDeadLetterRateHigh"
        ],
    )


@pytest.mark.kafka
@pytest.mark.slow
def test_a_second_worker_shares_the_tables_and_routes_queries(scenario):
    settings = scenario["settings"].model_copy(update={"web_port": free_port()})
    second = WorkerProcess(settings)
    try:
        second.start()
        urls = [scenario["url"], f"http://127.0.0.1:{settings.web_port}"]
        deadline = time.monotonic() + 90
        while True:  # until both serve the tables and see each other
            answers = [_wait_for_tables(url) for url in urls]
            if all(answer["workers"] == 2 for answer in answers):
                break
            assert time.monotonic() < deadline, answers
            time.sleep(0.5)
        owned = [_get(f"{url}/countries?scope=local")[1]["counts"] for url in urls]
        assert owned[0] and owned[1], f"each worker should own some countries: {owned}"
        assert not set(owned[0]) & set(owned[1])
        for answer in answers:
            assert _as_counts(answer) == scenario["expected"]
        for country, mentions in scenario["expected"].items():
            for url in urls:  # asked either worker, the owner answers
                assert _get(f"{url}/countries/{country}")[1]["mentions"] == mentions
    finally:
        second.stop()
    deadline = time.monotonic() + 60
    while _wait_for_tables(scenario["url"])["workers"] != 1:  # the first worker takes all partitions back
        assert time.monotonic() < deadline, "the first worker did not take the partitions back"
        time.sleep(0.5)


@pytest.mark.kafka
@pytest.mark.slow
def test_a_killed_worker_restarts_with_the_same_counts(scenario):
    worker, server, url = scenario["worker"], scenario["prometheus"], scenario["url"]
    before = {country: _get(f"{url}/countries/{country}") for country in scenario["expected"]}
    assert all(status == 200 for status, _ in before.values()), before
    worker.kill()  # SIGKILL: no clean shutdown, no final commit
    server.wait_for(
        "NewswireWorkerDown pending",
        lambda: [
            alert for alert in server.api("alerts")["alerts"] if alert["labels"]["alertname"] == "NewswireWorkerDown"
        ],
    )

    restarted = WorkerProcess(scenario["settings"])
    scenario["worker"] = restarted  # stopped by the fixture, even if it fails to start
    restarted.start()
    answer = _wait_for_tables(url)
    assert _as_counts(answer) == scenario["expected"]
    for country, was in before.items():
        assert _get(f"{url}/countries/{country}") == was
    # Recovered from its store and the changelog: the input was not read again.
    metrics = urllib.request.urlopen(f"{url}/metrics", timeout=10).read().decode()
    assert re.search(r'^newswire_articles_processed_total\{outcome="ok"\} 0\.0$', metrics, re.MULTILINE), metrics
