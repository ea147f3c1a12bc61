"""Pure parts of the worker: input decoding and validation, event building, DLQ headers."""

from __future__ import annotations

import json

import pytest

from streams.contracts import first_error
from streams.events import event_id, events_for
from streams.intake import RejectedArticle, dead_letter_headers, parse_article

LIMIT = 1000


def _reason(value: bytes | None, key: bytes | None = None) -> str:
    with pytest.raises(RejectedArticle) as caught:
        parse_article(value, key, LIMIT)
    return caught.value.reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"not json", "InvalidJSON"),
        (b"[1, 2]", "SchemaViolation"),
        (json.dumps({"id": "x"}).encode(), "SchemaViolation"),
        (json.dumps({"id": "x", "text": "   "}).encode(), "SchemaViolation"),
        (json.dumps({"id": "x", "text": 5}).encode(), "SchemaViolation"),
        (json.dumps({"id": "x", "text": "a", "published_at": "yesterday"}).encode(), "SchemaViolation"),
        (b"\xff\xfe\xfa", "InvalidUTF8"),
        (b"[" * 500 + b"]" * 500, "InvalidJSON"),
        (b"x" * (LIMIT + 1), "ArticleTooLarge"),
        (None, "EmptyMessage"),
    ],
)
def test_bad_input_is_rejected_with_its_reason(value, reason):
    assert _reason(value) == reason


def test_a_text_over_the_character_limit_is_rejected_as_too_long():
    article = json.dumps({"id": "long", "title": "Title", "text": "word " * 30}).encode()
    with pytest.raises(RejectedArticle) as rejected:
        parse_article(article, b"long", LIMIT, max_chars=100)
    assert rejected.value.reason == "ArticleTooLong" and "NEWSWIRE_MAX_TEXT_CHARS" in str(rejected.value)
    assert parse_article(article, b"long", LIMIT, max_chars=155).id == "long"


def test_key_must_match_the_id():
    assert _reason(json.dumps({"id": "a", "text": "t"}).encode(), key=b"b") == "KeyMismatch"


def test_id_comes_from_the_key_or_a_hash_of_the_text():
    assert parse_article(b'{"text": "Hello"}', b"k1", LIMIT).id == "k1"
    first = parse_article(b'{"text": "Hello"}', None, LIMIT).id
    assert first == parse_article(b'{"text": "Hello"}', None, LIMIT).id
    assert first != parse_article(b'{"text": "Hello!"}', None, LIMIT).id


def test_dead_letter_headers_follow_the_connect_convention():
    headers = dict(dead_letter_headers(RejectedArticle("InvalidJSON", "bad", "decode"), "news.articles", 2, 41, "app"))
    decoded = {k: v.decode() for k, v in headers.items()}
    assert first_error("dead-letter", decoded) is None
    assert decoded["__connect.errors.offset"] == "41"
    assert decoded["__connect.errors.exception.class.name"] == "InvalidJSON"


ANALYSIS = {
    "article_id": "a1",
    "extractor_version": "test-1",
    "entities": [{"id": "person:ann-lee", "canonical": "Ann Lee", "label": "PERSON", "country": None,
                  "mentions": [{"text": "Ann Lee", "start": 0, "end": 7, "field": "text"}]}],
    "quotes": [{"text": "We will", "speaker": "Ann Lee", "speaker_id": "person:ann-lee", "cue": "said",
                "kind": "full", "start": 10, "end": 17, "sentence": "x", "cue_start": 19, "cue_end": 23,
                "speaker_start": 0, "speaker_end": 7, "confidence": 0.87}],
    "stances": [{"actor": "Ann Lee", "actor_id": "person:ann-lee", "target": "France", "target_id": "gpe:fr",
                 "polarity": "oppose", "cue": "condemned", "type": "criticize_or_accuse", "intensity": -4.0,
                 "evidence": "Ann Lee condemned France.", "start": 0, "end": 25, "confidence": 0.9}],
    "countries": {"FR": 1},
    "country_mentions": {"FR": [{"text": "France", "start": 18, "end": 24, "field": "text"}]},
}


def test_events_are_valid_and_their_ids_deterministic():
    events = events_for(ANALYSIS, published_at="2024-01-01T00:00:00Z")
    assert [e.kind for e in events] == ["entity", "quote", "stance", "country-mention"]
    for event in events:
        assert first_error(event.kind, event.value) is None, first_error(event.kind, event.value)
    assert [e.value["event_id"] for e in events] == [e.value["event_id"] for e in events_for(ANALYSIS)]
    assert len({e.value["event_id"] for e in events}) == 4
    assert events[-1].key == "FR" and events[0].key == "a1"
    assert event_id("quote", "a1", "test-1", 1) != event_id("quote", "a1", "test-2", 1)


def test_schemas_reject_events_missing_their_evidence():
    value = events_for(ANALYSIS)[2].value
    del value["evidence"]
    assert "evidence" in first_error("stance", value)
