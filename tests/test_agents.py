"""The Faust agent, in Faust's test context: batches in, events and dead letters out (no broker)."""

from __future__ import annotations

import asyncio
import json

import pytest

from streams import agents
from streams.contracts import first_error


class Recorder:
    """Stands in for Topic.send: records what the agent publishes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[dict] = []

    async def send(self, *, key=None, value=None, headers=None, timestamp=None, force=False):
        assert force, "the agent must send immediately and await delivery itself"
        self.sent.append({"key": key, "value": value, "headers": dict(headers or []), "timestamp": timestamp})
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


@pytest.fixture
def recorders(monkeypatch):
    out = {kind: Recorder(kind) for kind in agents.output_topics}
    dlq = Recorder("dlq")
    for kind, recorder in out.items():
        monkeypatch.setitem(agents.output_topics, kind, recorder)
        recorder.get_topic_name = lambda kind=kind: f"news.{kind}"
    monkeypatch.setattr(agents, "dead_letter_topic", dlq)
    return out, dlq


async def _run(messages: list[tuple[bytes, bytes]], until, timeout: float = 60) -> None:
    async with agents.process_articles.test_context() as agent:
        for key, value in messages:
            await agent.put(value, key=key)
        deadline = asyncio.get_running_loop().time() + timeout
        while not until():
            assert asyncio.get_running_loop().time() < deadline, "the agent did not emit in time"
            await asyncio.sleep(0.05)


def test_agent_emits_valid_events_and_dead_letters_bad_input(recorders, seed_text):
    out, dlq = recorders
    seed = json.dumps({"id": "seed", "text": seed_text}).encode()
    good = json.dumps({"id": "second", "text": "Officials in Kyiv said Ukraine would talk to Poland."}).encode()
    asyncio.run(_run([(b"bad", b"{oops"), (b"seed", seed), (b"second", good)],
                     until=lambda: {"seed", "second"} <= {e["value"]["article_id"] for e in out["country-mention"].sent}))

    assert len(dlq.sent) == 1 and dlq.sent[0]["value"] == b"{oops"
    assert dlq.sent[0]["headers"]["__connect.errors.exception.class.name"] == b"InvalidJSON"
    for kind, recorder in out.items():
        assert recorder.sent, f"no {kind} events"
        for event in recorder.sent:
            assert first_error(kind, event["value"]) is None
    countries = {e["key"] for e in out["country-mention"].sent if e["value"]["article_id"] == "second"}
    assert {b"UA", b"PL"} <= countries
