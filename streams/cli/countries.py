"""`newswire countries`: the worker's country-mention tables (its `/countries` views), printed as a table."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pycountry

from streams.errors import NewswireError
from streams.settings import Settings


class QueryFailed(NewswireError, RuntimeError):
    """No worker answered the question, or it refused it."""


def default_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.web_host in ("0.0.0.0", "::", "") else settings.web_host
    return settings.web_url or f"http://{host}:{settings.web_port}"


def fetch(
    base_url: str,
    country: str | None = None,
    window: str = "all",
    at: str | None = None,
    limit: int = 20,
    timeout: float = 30,
) -> dict:
    """GET /countries or /countries/{ISO} from any worker (it routes the question) and return the JSON."""
    if country:
        url = f"{base_url.rstrip('/')}/countries/{urllib.parse.quote(country)}"
    else:
        params = {"window": window, "limit": str(limit)} | ({"at": at} if at else {})
        url = f"{base_url.rstrip('/')}/countries?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            reason = json.loads(error.read()).get("error")
        except ValueError:
            reason = None
        raise QueryFailed(f"{url}: HTTP {error.code}: {reason or error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        raise QueryFailed(
            f"no worker answers at {base_url} ({getattr(error, 'reason', error)})",
            "start one with `newswire worker`, or pass --url / set NEWSWIRE_WEB_PORT to a running worker's",
        ) from None


def _name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or getattr(country, "name", "") if country else ""


def render_top(answer: dict) -> str:
    if answer["window"] == "all":
        title = "country mentions, all time"
    else:
        title = f"country mentions, {answer['window']} window {answer['start']} – {answer['end']}"
    lines = [title, f"{'code':<5} {'mentions':>9}  country"]
    lines += [f"{row['country']:<5} {row['mentions']:>9}  {_name(row['country'])}" for row in answer["countries"]]
    shown = len(answer["countries"])
    lines.append(
        f"{shown} of {answer['total_countries']} countries, {answer['total_mentions']} mentions in all, "
        f"from {answer['workers']} worker{'s' if answer['workers'] != 1 else ''}"
    )
    return "\n".join(lines)


def render_country(answer: dict) -> str:
    lines = [f"{answer['country']} {_name(answer['country'])}: {answer['mentions']} mentions, all time"]
    for name, rows in answer["windows"].items():
        lines.append(f"{name} windows (start, mentions):")
        lines += [f"  {row['start']}  {row['mentions']:>7}" for row in rows] or ["  (none retained)"]
    return "\n".join(lines)
