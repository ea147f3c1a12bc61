"""HTTP views served by each worker (Faust web): Prometheus metrics."""

from __future__ import annotations

from faust import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from streams import metrics
from streams.app import app


@app.page("/metrics")
class Metrics(web.View):
    async def get(self, request: web.Request) -> web.Response:
        return self.bytes(generate_latest(metrics.REGISTRY), content_type=CONTENT_TYPE_LATEST.split(";")[0])
