"""The live page's data, pure: the quotes and stances it keeps, and the state it sends to the browsers.

The worker (`streams.runtime.live_web`) reads `news.quotes` and `news.stances` back `read_committed`, so the page
shows exactly what a subscriber sees (nothing of an aborted transaction), and hands each event to a
`LiveFeed`; the topics are the state's one owner, the feed only a bounded view of their latest records.
The country counts come from the tables, through the same answer as `/countries`.
`page_state` puts it together as one JSON object; `sse_message` frames it for server-sent events.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pycountry

from streams.domain.tables import article_time, isoformat
from streams.nlp.country_names import country_name

#: the page's windows: name -> the `/countries` window it shows
PAGE_WINDOWS = {"all": "all-time", "1h": "this hour (UTC)", "1d": "today (UTC)"}


@lru_cache(maxsize=512)
def country_info(code: str) -> tuple[str, str | None]:
    """ISO 3166-1 alpha-2 -> (short name as the extraction writes it, "Russia"; ISO numeric as world-atlas
    spells its ids, "643"); no numeric for a code pycountry does not know (a bar, but no shape on the map)."""
    country = pycountry.countries.get(alpha_2=code)
    return country_name(code), country.numeric if country is not None else None


def country_rows(answer: Mapping[str, Any]) -> dict[str, Any]:
    """A `/countries` answer with each country's name and map id."""
    rows = []
    for row in answer.get("countries", []):
        name, numeric = country_info(row["country"])
        rows.append({"country": row["country"], "name": name, "numeric": numeric, "mentions": row["mentions"]})
    shown = {
        key: answer[key]
        for key in ("window", "start", "end", "total_countries", "total_mentions", "workers")
        if key in answer
    }
    return shown | {"countries": rows}


def _confidence(value: Any) -> float:
    return round(float(value), 3) if isinstance(value, int | float) else 0.0


@dataclass
class LiveFeed:
    """The latest quotes and the recent stances, as read from their topics (read_committed).

    Events are de-duplicated on `event_id` (a topic re-read from an earlier offset gives them again).
    Quotes: the `quote_limit` latest by event time. Stances: those of the last `stance_seconds` of event
    time, pruned as the clock moves on. `version` changes whenever what the page shows may have changed.
    """

    quote_limit: int = 20
    stance_seconds: float = 3600.0
    quotes: list[dict[str, Any]] = field(default_factory=list)
    stances: list[dict[str, Any]] = field(default_factory=list)
    version: int = 0
    _seen: set[str] = field(default_factory=set)

    def add(self, kind: str, value: Any, record_timestamp: float | None, now: float) -> bool:
        """One event of `news.quotes` ("quote") or `news.stances` ("stance"); False when it is not shown
        (a repeat, too old, not an event of that kind)."""
        if not isinstance(value, dict) or not isinstance(value.get("event_id"), str):
            return False
        if value["event_id"] in self._seen:
            return False
        when = article_time(value, record_timestamp) or now
        if kind == "quote" and isinstance(value.get("text"), str):
            item = {
                "event_id": value["event_id"],
                "article_id": value.get("article_id"),
                "time": when,
                "text": value["text"],
                "speaker": value.get("speaker"),
                "cue": value.get("cue"),
                "kind": value.get("kind"),
                "confidence": _confidence(value.get("confidence")),
                "start": value.get("start") if isinstance(value.get("start"), int) else 0,
            }
            self.quotes.append(item)
            # Newest article first; within an article, in the order of its text.
            self.quotes.sort(key=lambda q: (-q["time"], str(q["article_id"]), q["start"]))
            dropped = self.quotes[self.quote_limit :]
            del self.quotes[self.quote_limit :]
            self._seen.difference_update(q["event_id"] for q in dropped)
            if item in dropped:
                return False
        elif kind == "stance" and all(isinstance(value.get(k), str) for k in ("actor", "target", "polarity")):
            if when < now - self.stance_seconds:
                return False
            self.stances.append(
                {
                    "event_id": value["event_id"],
                    "article_id": value.get("article_id"),
                    "time": when,
                    "actor": value["actor"],
                    "target": value["target"],
                    "polarity": value["polarity"],
                    "type": value.get("type"),
                    "cue": value.get("cue"),
                    "evidence": value.get("evidence"),
                    "confidence": _confidence(value.get("confidence")),
                }
            )
        else:
            return False
        self._seen.add(value["event_id"])
        self.version += 1
        return True

    def prune(self, now: float) -> None:
        """Drop the stances that left the window."""
        keep = [s for s in self.stances if s["time"] >= now - self.stance_seconds]
        if len(keep) != len(self.stances):
            self._seen.difference_update(s["event_id"] for s in self.stances if s not in keep)
            self.stances = keep
            self.version += 1


def stance_pairs(stances: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who backs or opposes whom: one row per (actor, polarity, target), with how many stances say so,
    the best confidence and the latest evidence; most stances first, then the most confident."""
    pairs: dict[tuple[str, str, str], dict[str, Any]] = {}
    for stance in sorted(stances, key=lambda s: s["time"]):
        key = (stance["actor"], stance["polarity"], stance["target"])
        row = pairs.setdefault(
            key, {"actor": key[0], "polarity": key[1], "target": key[2], "count": 0, "confidence": 0.0, "types": []}
        )
        row["count"] += 1
        row["confidence"] = max(row["confidence"], stance["confidence"])
        if stance["type"] and stance["type"] not in row["types"]:
            row["types"].append(stance["type"])
        row["cue"], row["evidence"], row["time"] = stance["cue"], stance["evidence"], isoformat(stance["time"])
    return sorted(pairs.values(), key=lambda r: (-r["count"], -r["confidence"], r["actor"], r["target"]))


def page_state(
    countries: Mapping[str, Mapping[str, Any] | None], feed: LiveFeed, now: float, notice: str | None = None
) -> dict[str, Any]:
    """Everything the page shows, as one JSON-ready object.

    `countries` maps each of PAGE_WINDOWS to its `/countries` answer (None: not available yet).
    """
    return {
        "windows": [
            {
                "window": name,
                "label": label,
                **(country_rows(countries[name]) if countries.get(name) else {"countries": []}),
            }
            for name, label in PAGE_WINDOWS.items()
        ],
        "quotes": [{k: v for k, v in q.items() if k != "start"} | {"time": isoformat(q["time"])} for q in feed.quotes],
        "stances": stance_pairs(feed.stances),
        "stance_minutes": round(feed.stance_seconds / 60, 1),
        "notice": notice,
        "generated_at": isoformat(now),
    }


def sse_message(data: Mapping[str, Any], event: str = "state", retry_ms: int | None = None) -> bytes:
    """One server-sent event: `event:` and one `data:` line of compact JSON (JSON has no raw newlines)."""
    lines = [f"retry: {retry_ms}"] if retry_ms is not None else []
    lines += [f"event: {event}", "data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":"))]
    return ("\n".join(lines) + "\n\n").encode("utf-8")
