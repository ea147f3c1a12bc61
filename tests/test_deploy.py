"""deploy/ holds together: the compose file, the Prometheus targets, Grafana's provisioning and dashboard.

(Docker and Grafana do not run here; Prometheus does, in test_prometheus.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def _yaml(path: str) -> dict:
    return yaml.safe_load((DEPLOY / path).read_text())


def test_compose_services_build_and_mount_what_exists():
    compose = _yaml("docker-compose.yml")
    services = compose["services"]
    assert {"kafka", "worker-1", "worker-2", "prometheus", "grafana"} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:")
    for name in ("worker-1", "worker-2"):
        worker = services[name]
        assert (DEPLOY / worker["build"]["context"] / worker["build"]["dockerfile"]).is_file()
        assert worker["environment"]["NEWSWIRE_WEB_URL"] == f"http://{name}:6066"
        assert worker["environment"]["NEWSWIRE_BOOTSTRAP_SERVERS"] == "kafka:19092"
    for name in ("prometheus", "grafana"):
        for volume in services[name]["volumes"]:
            assert (DEPLOY / volume.split(":")[0]).exists(), volume


def test_prometheus_scrapes_the_compose_workers_and_reprocess():
    config = _yaml("prometheus/prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert list(jobs) == ["newswire", "newswire-reprocess"]
    assert jobs["newswire"]["static_configs"][0]["targets"] == ["worker-1:6066", "worker-2:6066"]
    assert (DEPLOY / "prometheus" / config["rule_files"][0]).is_file()
    # A reprocess is scraped where the compose service `reprocess` serves it: --web-port 6068.
    (target,) = jobs["newswire-reprocess"]["static_configs"][0]["targets"]
    service = _yaml("docker-compose.yml")["services"]["reprocess"]
    host, port = target.split(":")
    command = service["command"]
    assert host == "reprocess" and command[0] == "reprocess" and command[command.index("--web-port") + 1] == port
    assert service["environment"]["NEWSWIRE_WEB_URL"] == f"http://reprocess:{port}"
    assert service["profiles"] == ["reprocess"]  # not started by `up`: run when wanted


def test_grafana_provisions_the_datasource_and_dashboard_the_json_expects():
    (datasource,) = _yaml("grafana/provisioning/datasources/prometheus.yml")["datasources"]
    (provider,) = _yaml("grafana/provisioning/dashboards/newswire.yml")["providers"]
    assert datasource["url"] == "http://prometheus:9090"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "newswire.json").read_text())
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["current"]["value"] == datasource["uid"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}" and panel["targets"], panel["title"]
        assert all(target["expr"] and target["refId"] for target in panel["targets"]), panel["title"]
        # Each panel shows one job: the live workers' ($job) or a reprocess's ($reprocess_job).
        assert all(("$job" in t["expr"]) != ("$reprocess_job" in t["expr"]) for t in panel["targets"]), panel["title"]
    assert variables["reprocess_job"]["current"]["value"] == "newswire-reprocess"
