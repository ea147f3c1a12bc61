"""Fuzzed input through the worker's path (streams/tools/fuzz.py): no exception escapes, every event
validates, every offset points at the text the event says. Long campaigns: `newswire fuzz`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings

from streams.settings import Settings
from streams.tools import fuzz

LIMITS = Settings()
MAX_BYTES, MAX_CHARS = LIMITS.max_article_bytes, LIMITS.max_text_chars


@pytest.fixture(scope="module")
def big_nlp(nlp):
    nlp.max_length = max(nlp.max_length, MAX_CHARS + 1)  # as the worker does
    return nlp


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(record=fuzz.records())
def test_fuzzed_records_are_analysed_or_dead_lettered_and_every_event_holds(big_nlp, record):
    value, key, _ = record
    fuzz.check_record(value, key, big_nlp, MAX_BYTES, MAX_CHARS)


def _record(article: dict, ensure_ascii: bool = False) -> bytes:
    return json.dumps(article, ensure_ascii=ensure_ascii).encode("utf-8")


@pytest.mark.parametrize(
    ("value", "outcome"),
    [
        (_record({"id": "deep", "text": "x", "extra": json.loads("[" * 500 + "]" * 500)}), "InvalidJSON"),
        (b'{"id": "s", "text": "\\ud83d alone"}', "analysed"),  # an escaped lone surrogate: read as U+FFFD
        (_record({"id": "t", "text": 42}), "SchemaViolation"),
        (_record(["not", "an", "object"]), "SchemaViolation"),
        (b'{"id": "u", "text": "caf\xc3"}', "InvalidUTF8"),
        (None, "EmptyMessage"),
    ],
)
def test_hostile_records_get_a_reason_or_valid_events(big_nlp, value, outcome):
    assert fuzz.check_record(value, None, big_nlp, MAX_BYTES, MAX_CHARS) == outcome


def test_a_50000_character_paragraph_with_unbalanced_quotes_is_analysed(big_nlp):
    unit = "“We condemn the attack,” said the Foreign Ministry of France. ‘Not « now said Ms Dlamini in Lagos "
    text = (unit * (50_000 // len(unit) + 1))[:50_000]
    assert "\n" not in text
    assert (
        fuzz.check_record(_record({"id": "long", "text": text}), b"long", big_nlp, MAX_BYTES, MAX_CHARS) == "analysed"
    )


def test_right_to_left_emoji_and_combining_marks_keep_their_offsets(big_nlp):
    text = (
        "مرحبا \u202eFrance\u202c said 👩‍👩‍👧‍👦 “Germany is e\u0301\u0301 wrong,” said Angela Merkel in Paris. "
        "\ufeffKenya's president met Boris Johnson.\u2028Japan"
    )
    assert (
        fuzz.check_record(
            _record({"id": "rtl", "title": "🇺🇦 Ukraine", "text": text}), None, big_nlp, MAX_BYTES, MAX_CHARS
        )
        == "analysed"
    )


def test_a_speaker_name_with_words_left_out_keeps_its_offsets(big_nlp):
    # Found by a 200,000-example campaign at 33,731: the name of a speaker the NER missed is "B M", its words
    # left out between B and M ("000\uff001"), and the mention had said "B M" at the offsets of "B 000\uff001M".
    record = _record({"id": "gap", "text": "\u201cYes,\u201d B 000\uff001M said."})
    assert fuzz.check_record(record, b"gap", big_nlp, MAX_BYTES, MAX_CHARS) == "analysed"


def test_a_broken_offset_is_found(big_nlp, monkeypatch):
    """The checks can fail: an event whose offsets point elsewhere is a finding."""
    real = fuzz.events_for

    def shifted(analysis, *args, **kwargs):
        events = real(analysis, *args, **kwargs)
        for event in events:
            for mention in event.value.get("mentions") or []:
                mention["start"] += 1
        return events

    monkeypatch.setattr(fuzz, "events_for", shifted)
    with pytest.raises(fuzz.Finding, match="mention"):
        fuzz.check_record(
            _record({"id": "f", "text": "France and Germany met in Paris."}), None, big_nlp, MAX_BYTES, MAX_CHARS
        )


def test_a_campaign_reports_what_it_found(big_nlp, monkeypatch):
    result = fuzz.run(30, big_nlp, MAX_BYTES, MAX_CHARS, seed=7)
    assert result.finding is None and result.examples >= 30 and sum(result.outcomes.values()) == result.examples
    assert "found: nothing" in result.report()

    def broken(*args):
        raise ValueError("boom")

    monkeypatch.setattr(fuzz, "check_record", broken)
    result = fuzz.run(5, big_nlp, MAX_BYTES, MAX_CHARS, seed=7)
    assert result.finding == "ValueError: boom" and "FOUND: ValueError: boom" in result.report()
    assert result.failing is not None and f"record: value={result.failing[0]!r}" in result.report()  # a reproducer

    calls = []

    def interrupted_at_the_fourth(*args):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return "analysed"

    monkeypatch.setattr(fuzz, "check_record", interrupted_at_the_fourth)
    result = fuzz.run(50, big_nlp, MAX_BYTES, MAX_CHARS, seed=7)
    assert result.interrupted and result.examples == 3 and result.finding is None
    assert "3 examples" in result.report() and "(interrupted)" in result.report()


def test_newswire_fuzz_command(tmp_path):
    report = tmp_path / "fuzz.json"
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "fuzz", "--examples", "20", "--report", str(report)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "20 examples" in done.stdout and "found: nothing" in done.stdout
    figures = json.loads(report.read_text())
    assert figures["examples"] == 20 and figures["finding"] is None
