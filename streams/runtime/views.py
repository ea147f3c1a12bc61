"""HTTP views served by each worker (Faust web): Prometheus metrics and the country-mention tables.

    GET /metrics                      Prometheus text format (the live page, /, is in streams/runtime/live_web.py)
    GET /countries?window=all|1h|1d&at=TIME&limit=N
                                      top countries, all-time or in the window holding TIME (default now)
    GET /countries/{ISO}              one country: all-time count and every retained hourly and daily window

A country's counts live on the worker that owns its partition. `/countries/{ISO}` is forwarded there by
Faust's router; `/countries` asks every worker for the countries it owns (`scope=local`) and merges.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from faust import web
from faust.exceptions import SameNode
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from yarl import URL

from streams.domain.tables import (
    WINDOWS,
    isoformat,
    mentions,
    merge_counts,
    normalise_country,
    parse_time,
    top_countries,
    window_bounds,
    window_key,
)
from streams.errors import NewswireError
from streams.runtime import metrics
from streams.runtime.app import app, country_totals, windowed_tables

PEER_TIMEOUT_S = 10


class QueryError(NewswireError, ValueError):
    pass


@app.page("/metrics")
class Metrics(web.View):
    async def get(self, request: web.Request) -> web.Response:
        return self.bytes(generate_latest(metrics.REGISTRY), content_type=CONTENT_TYPE_LATEST.split(";")[0])


def _not_ready() -> str | None:
    """Why the tables cannot be read right now (answers would be partial), or None."""
    if app.rebalancing or not app.tables.recovery.completed.is_set():
        return "the worker is rebalancing or recovering its tables"
    if app.in_recovery:
        return "the worker is recovering its tables"
    return None


def _same_worker(url: URL | str) -> bool:
    url, mine = URL(str(url)), URL(str(app.conf.canonical_url))
    return (url.host, url.port) == (mine.host, mine.port)


def _owned_here(country: str) -> bool:
    # Faust's own answer to "which worker owns this key" (the store may also hold standby copies).
    return _same_worker(app.router.key_store(country_totals.name, country))


def _local_totals() -> dict[str, int]:
    counts = {}
    for key, value in country_totals.items():
        country = key.decode("ascii") if isinstance(key, bytes) else str(key)
        if _owned_here(country):
            counts[country] = mentions(value)
    return counts


def _local_window(name: str, at: float) -> dict[str, int]:
    table = windowed_tables[name].table
    counts = {}
    for country in _local_totals():
        count = mentions(table.get((country, window_key(WINDOWS[name], at))))
        if count:
            counts[country] = count
    return counts


def _query(request: web.Request) -> dict[str, Any]:
    window = request.query.get("window", "all")
    if window != "all" and window not in WINDOWS:
        raise QueryError(f"window must be all, {' or '.join(WINDOWS)}; got {window!r}")
    at_text = request.query.get("at")
    at = parse_time(at_text) if at_text else time.time()
    if at is None:
        raise QueryError(f"at must be an RFC 3339 time such as 2019-01-25T14:00:00Z; got {at_text!r}")
    try:
        limit = int(request.query.get("limit", "20"))
    except ValueError:
        raise QueryError("limit must be a whole number (0 for all countries)") from None
    if limit < 0:
        raise QueryError("limit must be 0 (all) or more")
    return {"window": window, "at": at, "limit": limit, "scope": request.query.get("scope", "all")}


async def _peer_counts(url: URL, query: dict[str, Any]) -> dict[str, int]:
    params = {"scope": "local", "window": query["window"]}
    if query["window"] != "all":  # the window's start: exact, whatever the peer's clock says
        params["at"] = isoformat(window_bounds(WINDOWS[query["window"]], query["at"])[0])
    target = url.with_path("/countries").with_query(params)
    try:
        async with app.http_client.get(target, timeout=aiohttp.ClientTimeout(total=PEER_TIMEOUT_S)) as response:
            body = await response.json(content_type=None)
            if response.status != 200:
                raise QueryError(f"worker {url} answered {response.status}: {body.get('error', body)}")
            return body["counts"]
    except (TimeoutError, OSError, aiohttp.ClientError) as error:
        raise QueryError(
            f"worker {url} did not answer ({error or type(error).__name__}); retry, "
            "or check that NEWSWIRE_WEB_URL is reachable from the other workers"
        ) from None


class Unavailable(NewswireError, RuntimeError):
    """The tables cannot be read right now (rebalancing, recovering, a peer not answering): retry."""


def _local_counts(window: str, at: float) -> dict[str, int]:
    """The counts of the countries this worker owns, or Unavailable."""
    if reason := _not_ready():
        raise Unavailable(f"{reason}; retry in a few seconds")
    try:
        return _local_totals() if window == "all" else _local_window(window, at)
    except KeyError:  # a partition without a known owner: the group is between assignments
        raise Unavailable("the partition assignment is changing; retry in a few seconds") from None


async def countries_answer(window: str, at: float, limit: int) -> dict[str, Any]:
    """The `/countries` answer over every worker's countries (asks the peers), or Unavailable."""
    local = _local_counts(window, at)
    # Every worker that owns partitions of the table, by the URL it registered with the group.
    peers = [
        URL(host)
        for host, topics in app.router.table_metadata(country_totals.name).items()
        if any(topics.values()) and not _same_worker(host)
    ]
    query = {"window": window, "at": at}
    try:
        parts = [local, *await asyncio.gather(*(_peer_counts(peer, query) for peer in peers))]
        counts = merge_counts(parts)
    except ValueError as error:  # QueryError included
        raise Unavailable(str(error)) from None
    answer: dict[str, Any] = {"window": window}
    if window != "all":
        start, end = window_bounds(WINDOWS[window], at)
        answer |= {"start": isoformat(start), "end": isoformat(end)}
    return answer | {
        "countries": top_countries(counts, limit),
        "total_countries": sum(1 for n in counts.values() if n > 0),
        "total_mentions": sum(counts.values()),
        "workers": len(peers) + 1,
    }


@app.page("/countries")
class Countries(web.View):
    async def get(self, request: web.Request) -> web.Response:
        try:
            query = _query(request)
        except QueryError as error:
            return self.error(400, str(error))
        try:
            if query["scope"] == "local":
                return self.json({"counts": _local_counts(query["window"], query["at"])})
            return self.json(await countries_answer(query["window"], query["at"], query["limit"]))
        except Unavailable as error:
            return self.error(503, str(error), headers={"Retry-After": "2"})


@app.page("/countries/{iso}")
class Country(web.View):
    async def get(self, request: web.Request, iso: str) -> web.Response:
        try:
            country = normalise_country(iso)
        except ValueError as error:
            return self.error(400, str(error))
        if reason := _not_ready():
            return self.error(503, f"{reason}; retry in a few seconds", headers={"Retry-After": "2"})
        try:
            # Faust's table routing (what @app.table_route does), after normalising the code.
            return await app.router.route_req(country_totals.name, country, self.web, request)
        except SameNode:
            pass
        except (TimeoutError, OSError, aiohttp.ClientError) as error:
            owner = app.router.key_store(country_totals.name, country)
            return self.error(
                503,
                f"the worker that owns {country} ({owner}) did not answer ({error}); retry, or "
                "check that NEWSWIRE_WEB_URL is reachable from the other workers",
                headers={"Retry-After": "2"},
            )
        now = time.time()
        windows: dict[str, list[dict[str, Any]]] = {}
        for name, windowed in windowed_tables.items():
            table = windowed.table
            rows = []
            # The owner holds this country's windows in its local store: scan them, keep the retained ones.
            for key, value in table.items():
                count = mentions(value)
                key_country, (start, end) = key
                if key_country == country and count and not table.window.stale(end, now):
                    rows.append({"start": isoformat(start), "end": isoformat(start + WINDOWS[name]), "mentions": count})
            windows[name] = sorted(rows, key=lambda row: row["start"])
        return self.json(
            {"country": country, "mentions": mentions(country_totals.get(country.encode("ascii"))), "windows": windows}
        )
