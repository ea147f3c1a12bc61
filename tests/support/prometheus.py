"""A real Prometheus server for the tests: deploy/'s config and rules, pointed at test workers.

Debian's `prometheus` package provides the binaries (`make test` installs it). The server runs on a
free port with temporary storage and a 1 s scrape and rule-evaluation interval.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
RULES = DEPLOY / "prometheus" / "alerts.yml"
RULE_TESTS = DEPLOY / "prometheus" / "alerts.test.yml"  # promtool unit tests of the rules
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "newswire.json"
JOB = "newswire"
REPROCESS_JOB = "newswire-reprocess"


def binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(
            f"{name} is not installed: run `make test` (it installs Debian's prometheus package) "
            "or `apt-get install --no-install-recommends prometheus`"
        )
    return path


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary("promtool"), *args], capture_output=True, text=True, timeout=60)


def scrape_config(targets: list[str], reprocess_targets: list[str] = ()) -> dict:
    """deploy/prometheus/prometheus.yml with the given targets (workers; a reprocess's --web-port) and a 1 s
    scrape and evaluation interval."""
    config = yaml.safe_load(CONFIG.read_text())
    config["global"] |= {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(RULES)]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {JOB, REPROCESS_JOB}, f"deploy/prometheus/prometheus.yml: jobs {sorted(jobs)}"
    jobs[JOB]["static_configs"] = [{"targets": targets}]
    jobs[REPROCESS_JOB]["static_configs"] = [{"targets": list(reprocess_targets)}]
    return config


class PrometheusServer:
    def __init__(self, workdir: Path, port: int, targets: list[str], reprocess_targets: list[str] = ()) -> None:
        self.workdir = workdir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.config_path = workdir / "prometheus.yml"
        self.config_path.write_text(json.dumps(scrape_config(targets, reprocess_targets), indent=2))  # JSON is YAML
        self.log_path = workdir / "prometheus.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    binary("prometheus"),
                    f"--config.file={self.config_path}",
                    f"--storage.tsdb.path={self.workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--storage.tsdb.retention.time=1h",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self.process.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"prometheus was not ready after {timeout:.0f} s: {self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def api(self, path: str, **params) -> dict:
        """GET /api/v1/<path>; returns `data`; raises with Prometheus's error text."""
        url = f"{self.url}/api/v1/{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as error:
            body = json.loads(error.read())
        if body.get("status") != "success":
            raise AssertionError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str, at: float | None = None) -> list[dict]:
        """An instant query, now or at Unix time `at`."""
        return self.api("query", query=expr, **({} if at is None else {"time": f"{at:.3f}"}))["result"]

    def wait_for(self, what: str, check, timeout: float = 30, interval: float = 0.5):
        """Until `check()` returns something truthy; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"Prometheus: {what} not seen within {timeout:.0f} s")
            time.sleep(interval)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def fill(expr: str, rate_interval: str = "1m", time_range: str = "1h") -> str:
    """A dashboard query with Grafana's variables filled in."""
    return (
        expr.replace("$__rate_interval", rate_interval)
        .replace("$__range", time_range)
        .replace("$reprocess_job", REPROCESS_JOB)
        .replace("$job", JOB)
    )


def dashboard_queries(rate_interval: str = "1m", time_range: str = "1h") -> list[tuple[str, str]]:
    """(panel title, PromQL) for every target of the dashboard, Grafana's variables filled in."""
    dashboard = json.loads(DASHBOARD.read_text())
    queries = []
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = fill(target["expr"], rate_interval, time_range)
            queries.append((panel["title"], expr))
    return queries


def alert_rules() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]
