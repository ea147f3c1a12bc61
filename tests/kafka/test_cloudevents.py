"""The CloudEvents Kafka binding of the event records (pure), read back with the CloudEvents SDK."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from cloudevents.core.bindings.kafka import KafkaMessage, from_binary, to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from streams.domain.contracts import SCHEMA_DIR, SCHEMA_FILES
from streams.domain.events import events_for
from streams.kafka.cloudevents_binding import event_headers, event_source, event_type
from tests.domain.test_intake_events import ANALYSIS

SOURCE = event_source("newswire")
RECORD_TIME = 1_700_000_000.25  # the article record's timestamp, seconds


def _message(event, record_timestamp=RECORD_TIME) -> KafkaMessage:
    headers = event_headers(event, SOURCE, record_timestamp)
    value = json.dumps(event.value, ensure_ascii=False).encode("utf-8")  # as streams.runtime.agents encodes it
    return KafkaMessage(headers=dict(headers), key=event.key.encode("utf-8"), value=value)


def test_every_event_reads_back_as_a_cloudevent_with_its_data_untouched():
    events = events_for(ANALYSIS, published_at="2024-03-05T10:15:00+01:00")
    types = set()
    for event in events:
        cloud_event = from_binary(_message(event), JSONFormat())
        assert cloud_event.get_specversion() == "1.0"
        assert cloud_event.get_id() == event.value["event_id"]
        assert cloud_event.get_source() == "urn:newswire-streams:newswire"
        assert cloud_event.get_type() == event_type(event.kind) == f"dev.newswire-streams.{event.kind}.v1"
        assert cloud_event.get_subject() == "a1"  # the article, for country mentions too (their key is the ISO code)
        assert cloud_event.get_datacontenttype() == "application/json"
        assert cloud_event.get_data() == event.value
        # published_at, in UTC
        assert cloud_event.get_time() == datetime(2024, 3, 5, 9, 15, tzinfo=UTC)
        schema = json.loads((SCHEMA_DIR / SCHEMA_FILES[event.kind]).read_text(encoding="utf-8"))
        assert cloud_event.get_dataschema() == schema["$id"]
        types.add(cloud_event.get_type())
    assert len(types) == 4


def test_the_headers_are_what_the_sdk_itself_writes():
    event = events_for(ANALYSIS, published_at="2024-03-05T10:15:00.5Z")[1]
    ours = dict(event_headers(event, SOURCE, RECORD_TIME))
    attributes = {name.removeprefix("ce_"): value.decode() for name, value in ours.items() if name.startswith("ce_")}
    attributes["time"] = datetime.fromisoformat(attributes["time"])
    attributes["datacontenttype"] = ours["content-type"].decode()
    sdk = to_binary(CloudEvent(attributes=attributes, data=event.value), JSONFormat())
    assert ours == sdk.headers
    assert ours["ce_time"] == b"2024-03-05T10:15:00.500000Z"


def test_time_is_published_at_else_the_article_records_timestamp_never_the_clock():
    event = events_for(ANALYSIS)[0]  # no published_at
    headers = dict(event_headers(event, SOURCE, RECORD_TIME))
    assert headers["ce_time"] == b"2023-11-14T22:13:20.250000Z"
    assert headers == dict(event_headers(event, SOURCE, RECORD_TIME)), "deterministic: a re-run sends the same"
    # Neither: no time at all (the attribute is optional), rather than a made-up one.
    assert "ce_time" not in dict(event_headers(event, SOURCE, None))


def test_the_source_is_a_uri_whatever_the_app_id():
    assert event_source("newswire") == "urn:newswire-streams:newswire"
    assert event_source("team a/news") == "urn:newswire-streams:team%20a%2Fnews"
