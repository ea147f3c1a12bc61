"""Pure parts of the worker: input decoding and validation, event building, DLQ headers."""

from __future__ import annotations

import json

import pytest

from streams.domain.contracts import first_error
from streams.domain.events import event_id, events_for
from streams.domain.intake import RejectedArticle, dead_letter_headers, normalise_time, parse_article
from streams.settings import Settings

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
        (json.dumps({"id": 7, "text": "a"}).encode(), "SchemaViolation"),
        (json.dumps({"id": "x", "text": {"body": "a"}, "title": 5}).encode(), "SchemaViolation"),
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
    "entities": [
        {
            "id": "person:ann-lee",
            "canonical": "Ann Lee",
            "label": "PERSON",
            "country": None,
            "mentions": [{"text": "Ann Lee", "start": 0, "end": 7, "field": "text"}],
        }
    ],
    "quotes": [
        {
            "text": "We will",
            "speaker": "Ann Lee",
            "speaker_id": "person:ann-lee",
            "cue": "said",
            "kind": "full",
            "start": 10,
            "end": 17,
            "sentence": "x",
            "cue_start": 19,
            "cue_end": 23,
            "speaker_start": 0,
            "speaker_end": 7,
            "confidence": 0.87,
        }
    ],
    "stances": [
        {
            "actor": "Ann Lee",
            "actor_id": "person:ann-lee",
            "target": "France",
            "target_id": "gpe:fr",
            "polarity": "oppose",
            "cue": "condemned",
            "type": "criticize_or_accuse",
            "intensity": -4.0,
            "evidence": "Ann Lee condemned France.",
            "start": 0,
            "end": 25,
            "confidence": 0.9,
        }
    ],
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


# --- untidy metadata: normalised or dropped, never a dead letter ---------------------------------


def _article(**fields):
    return parse_article(json.dumps({"id": "m", "text": "Hello Paris.", **fields}).encode(), b"m", 10 * LIMIT)


@pytest.mark.parametrize(
    ("sent", "zone", "expected", "reason", "assumed"),
    [
        ("2024-04-24T06:05:00", "UTC", "2024-04-24T06:05:00Z", "naive_time", {"timezone": "UTC"}),
        (
            "2024-04-24T06:05:00",
            "Europe/Berlin",
            "2024-04-24T06:05:00+02:00",
            "naive_time",
            {"timezone": "Europe/Berlin"},
        ),
        (
            "2024-01-24 06:05",
            "Europe/Berlin",
            "2024-01-24T06:05:00+01:00",
            "naive_time",
            {"timezone": "Europe/Berlin"},
        ),  # the zone's offset on that day: winter time
        ("2024-04-24", "UTC", "2024-04-24T00:00:00Z", "date_only", {"time_of_day": "00:00", "timezone": "UTC"}),
        ("2024-04-24T06:05+05:30", "UTC", "2024-04-24T06:05:00+05:30", "iso8601", {}),
        ("Wed, 24 Apr 2024 06:05:00 GMT", "Europe/Berlin", "2024-04-24T06:05:00Z", "rfc2822", {}),
        ("24 Apr 2024 08:05:00 +0200", "UTC", "2024-04-24T08:05:00+02:00", "rfc2822", {}),
        ("Wed, 24 Apr 2024 06:05:00 -0000", "UTC", "2024-04-24T06:05:00Z", "naive_time", {"timezone": "UTC"}),
        (1713938700, "Europe/Berlin", "2024-04-24T06:05:00Z", "epoch_seconds", {}),
        (1713938700.5, "UTC", "2024-04-24T06:05:00.500000Z", "epoch_seconds", {}),
        (1713938700123, "UTC", "2024-04-24T06:05:00.123000Z", "epoch_milliseconds", {}),
    ],
)
def test_published_at_in_other_forms_is_normalised_saying_what_was_assumed(sent, zone, expected, reason, assumed):
    assert normalise_time(sent, zone) == (expected, reason, assumed)
    article = parse_article(
        json.dumps({"id": "m", "text": "Hello.", "published_at": sent}).encode(), b"m", LIMIT, naive_timezone=zone
    )
    assert (article.published_at, article.published_at_assumed, article.dropped) == (expected, assumed, {})
    assert article.metadata_notes() == (("normalised", "published_at", reason),)
    assert first_error("article", {"text": "Hello.", "published_at": sent}) is None  # the contract lists the form


def test_rfc3339_is_passed_on_as_sent_and_events_stay_byte_identical():
    for sent in ("2024-04-24T06:05:00+00:00", "2024-04-24T06:05:00.055000+00:00", "2024-04-24T06:05:00Z", None):
        article = _article(published_at=sent)
        assert (article.published_at, article.published_at_assumed, article.metadata_notes()) == (sent, {}, ())
        plain = events_for(ANALYSIS, published_at=sent)
        noted = events_for(ANALYSIS, article.published_at, article.published_at_assumed, article.dropped)
        assert [json.dumps(e.value) for e in noted] == [json.dumps(e.value) for e in plain]
        assert all(set(e.value) & {"published_at_assumed", "metadata_dropped"} == set() for e in noted)


@pytest.mark.parametrize(
    ("fields", "dropped"),
    [
        ({"published_at": "yesterday"}, {"published_at": "unreadable"}),
        ({"published_at": "2024-02-30T10:00:00"}, {"published_at": "unreadable"}),  # the form, but no such day
        ({"published_at": "Wed, 24 Apr 2024 06:05:00 CEST"}, {"published_at": "unreadable"}),  # ambiguous zone name
        ({"published_at": 1e300}, {"published_at": "unreadable"}),
        ({"published_at": {"date": "2024-04-24"}}, {"published_at": "wrong_type"}),
        ({"published_at": True}, {"published_at": "wrong_type"}),
        (
            {"title": 5, "url": ["https://x"], "source": {"name": "AP"}, "language": 1},
            {"title": "wrong_type", "url": "wrong_type", "source": "wrong_type", "language": "wrong_type"},
        ),
        ({"title": "t" * 2001, "source": "AP"}, {"title": "too_long"}),
    ],
)
def test_unreadable_optional_fields_are_dropped_and_the_article_kept(fields, dropped):
    article = _article(**fields)
    assert article.dropped == dropped and article.text == "Hello Paris."
    for name in dropped:
        assert getattr(article, name) is None and name not in article.as_dict()
    assert article.source == ("AP" if fields.get("source") == "AP" else None)
    assert article.metadata_notes() == tuple(("dropped", name, why) for name, why in sorted(dropped.items()))


def test_events_say_what_was_assumed_and_dropped_and_match_their_schemas():
    article = _article(published_at="2024-04-24", title=["not", "a", "title"])
    events = events_for(ANALYSIS, article.published_at, article.published_at_assumed, article.dropped)
    for event in events:
        assert first_error(event.kind, event.value) is None, first_error(event.kind, event.value)
        assert event.value["published_at"] == "2024-04-24T00:00:00Z"
        assert event.value["published_at_assumed"] == {"time_of_day": "00:00", "timezone": "UTC"}
        assert event.value["metadata_dropped"] == {"title": "wrong_type"}
    # the ids depend on what the event is about, not on the metadata
    assert [e.value["event_id"] for e in events] == [e.value["event_id"] for e in events_for(ANALYSIS)]
    value = dict(events[0].value, published_at_assumed={"calendar": "julian"})
    assert "published_at_assumed" in first_error("entity", value)
    value = dict(events[0].value, metadata_dropped={"text": "wrong_type"})
    assert "metadata_dropped" in first_error("entity", value)


def test_the_naive_timezone_setting_must_name_an_iana_zone():
    assert Settings(naive_timezone="America/New_York").naive_timezone == "America/New_York"
    for bad in ("Europe/Berln", "CEST", "Europe", "../etc/passwd", ""):
        with pytest.raises(ValueError, match="NEWSWIRE_NAIVE_TIMEZONE.*IANA time zone"):
            Settings(naive_timezone=bad)
