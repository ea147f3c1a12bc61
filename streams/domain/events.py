"""From one article's analysis (the `newswire analyze` JSON) to the events on the output topics.

Pure. Every event carries a deterministic `event_id`: the same article analysed by the same
extractor version yields the same ids, so subscribers can de-duplicate re-deliveries.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    kind: str  # contract name: entity, quote, stance, country-mention
    key: str  # the Kafka record key
    value: dict


def event_id(kind: str, article_id: str, version: str, *identity: object) -> str:
    material = "\x1f".join([kind, article_id, version, *map(str, identity)])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def events_for(
    analysis: dict,
    published_at: str | None = None,
    published_at_assumed: dict | None = None,
    metadata_dropped: dict | None = None,
) -> list[Event]:
    """The events of one analysis. `published_at_assumed` and `metadata_dropped` (streams.domain.intake) go on
    every event when not empty, and only then: an article read without assumptions gives the same bytes."""
    article_id = analysis["article_id"]
    version = analysis["extractor_version"]
    notes = {
        key: value
        for key, value in (("published_at_assumed", published_at_assumed), ("metadata_dropped", metadata_dropped))
        if value
    }

    def envelope(kind: str, *identity: object) -> dict:
        return {
            "event_id": event_id(kind, article_id, version, *identity),
            "article_id": article_id,
            "extractor_version": version,
            "published_at": published_at,
            **notes,
        }

    events: list[Event] = []
    for entity in analysis["entities"]:
        value = envelope("entity", entity["id"]) | {
            "entity_id": entity["id"],
            "canonical": entity["canonical"],
            "label": entity["label"],
            "country": entity.get("country"),
            "mentions": entity["mentions"],
        }
        events.append(Event("entity", article_id, value))
    for quote in analysis["quotes"]:
        value = envelope("quote", quote["start"], quote["end"], quote["kind"]) | {
            key: quote.get(key)
            for key in (
                "text",
                "speaker",
                "speaker_id",
                "cue",
                "kind",
                "start",
                "end",
                "sentence",
                "cue_start",
                "cue_end",
                "speaker_start",
                "speaker_end",
                "confidence",
            )
        }
        events.append(Event("quote", article_id, value))
    for stance in analysis["stances"]:
        identity = (
            stance.get("actor_id") or stance["actor"],
            stance.get("target_id") or stance["target"],
            stance["polarity"],
            stance["start"],
            stance["cue"],
        )
        value = envelope("stance", *identity) | {
            key: stance.get(key)
            for key in (
                "actor",
                "actor_id",
                "target",
                "target_id",
                "polarity",
                "cue",
                "type",
                "intensity",
                "evidence",
                "start",
                "end",
                "confidence",
                "cameo",
                "form",
            )
        }
        events.append(Event("stance", article_id, value))
    for iso, mentions in analysis["country_mentions"].items():
        value = envelope("country-mention", iso) | {
            "country": iso,
            "count": len(mentions),
            "forms": [m["text"] for m in mentions],
            "mentions": mentions,
        }
        events.append(Event("country-mention", iso, value))
    return events
