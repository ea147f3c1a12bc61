"""schemas/asyncapi.yaml: valid for the AsyncAPI parser, and in step with the topics and schemas of the app."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from streams.domain.contracts import SCHEMA_DIR, SCHEMA_FILES
from streams.domain.events import events_for
from streams.kafka.cloudevents_binding import event_headers, event_source, event_type
from streams.runtime.app import articles_topic, dead_letter_topic, output_topics
from tests.domain.test_intake_events import ANALYSIS

DOCUMENT = SCHEMA_DIR / "asyncapi.yaml"
VALIDATOR = SCHEMA_DIR.parent / "scripts" / "asyncapi" / "validate.mjs"
DRAFT_07 = "application/schema+json;version=draft-07"


def _parse(path: Path) -> tuple[int, dict]:
    """Run the AsyncAPI parser (@asyncapi/parser, under node) on `path`: its exit code and report."""
    node = shutil.which("node")
    assert node, "node is missing: `make bootstrap-test` installs it (Debian's nodejs and npm)"
    assert (VALIDATOR.parent / "node_modules" / "@asyncapi" / "parser").is_dir(), (
        "the AsyncAPI parser is not installed: run `make bootstrap-test` (npm ci in scripts/asyncapi)"
    )
    done = subprocess.run([node, str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def _errors(report: dict) -> list[dict]:
    return [d for d in report["diagnostics"] if d["severity"] == "error"]


def test_the_parser_accepts_the_document():
    code, report = _parse(DOCUMENT)
    assert code == 0 and report["valid"] and not _errors(report), _errors(report)


@pytest.mark.parametrize(
    ("what", "file", "old", "new"),
    [
        ("an unknown operation action", "asyncapi.yaml", "action: receive", "action: consume"),
        ("a payload $ref to no file", "asyncapi.yaml", "'quote.schema.json'", "'quotes.schema.json'"),
        ("a broken payload schema", "stance.schema.json", '"minimum": 0', '"minimum": "zero"'),
    ],
)
def test_the_parser_rejects_a_broken_copy(tmp_path, what, file, old, new):
    # A copy of the folder, broken in one place: the referenced schemas are resolved and checked too.
    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMA_DIR, copy)
    text = (copy / file).read_text(encoding="utf-8")
    assert old in text
    (copy / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    code, report = _parse(copy / "asyncapi.yaml")
    assert code == 1 and _errors(report), f"{what} was not rejected"


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


def _ref(spec: dict, ref: str) -> dict:
    node = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _channel_messages(spec: dict) -> dict[str, dict]:
    """Topic -> its one message, references resolved."""
    found = {}
    for channel in spec["channels"].values():
        (message,) = channel["messages"].values()
        found[channel["address"]] = _ref(spec, message["$ref"])
    return found


def test_every_topic_of_the_app_has_its_channel_and_schema(spec):
    declared = {articles_topic.get_topic_name(): "article", dead_letter_topic.get_topic_name(): "dead-letter"}
    declared |= {topic.get_topic_name(): kind for kind, topic in output_topics.items()}
    messages = _channel_messages(spec)
    assert set(messages) == set(declared), "channels must be exactly the topics streams/runtime/app.py declares"
    for topic, kind in declared.items():
        message = messages[topic]
        # The file the app validates the topic with (streams.domain.contracts); the DLQ's schema is of its headers.
        part = message["headers"] if kind == "dead-letter" else message["payload"]
        assert part == {"schemaFormat": DRAFT_07, "schema": {"$ref": SCHEMA_FILES[kind]}}, topic
        if kind in output_topics:
            ce = message["headers"]["allOf"][1]["properties"]
            assert ce["ce_type"]["const"] == event_type(kind)
            schema = json.loads((SCHEMA_DIR / SCHEMA_FILES[kind]).read_text(encoding="utf-8"))
            assert ce["ce_dataschema"]["const"] == schema["$id"]
    assert messages["news.country-mentions"]["bindings"]["kafka"]["key"]["pattern"] == "^[A-Z]{2}$"


def test_operations_receive_articles_and_send_the_rest(spec):
    actions = {_ref(spec, op["channel"]["$ref"])["address"]: op["action"] for op in spec["operations"].values()}
    assert actions.pop(articles_topic.get_topic_name()) == "receive"
    assert set(actions.values()) == {"send"} and len(actions) == len(spec["channels"]) - 1


def test_the_cloudevents_headers_schema_matches_what_the_worker_sends(spec):
    for event in events_for(ANALYSIS, published_at="2024-03-05T10:15:00Z"):
        headers = {k: v.decode() for k, v in event_headers(event, event_source("newswire"), 1.7e9)}
        name = {"country-mention": "countryMention"}.get(event.kind, event.kind)
        schema = spec["components"]["messages"][name]["headers"]
        schema = {"allOf": [spec["components"]["schemas"]["cloudEventHeaders"], schema["allOf"][1]]}
        jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(headers)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.Draft7Validator(schema).validate(headers | {"ce_specversion": "0.3"})


# Keywords whose meaning differs between draft 2020-12 (the schemas' $schema) and draft-07 (the format the
# document declares, the one JSON Schema format AsyncAPI 3.0 tools validate).
NOT_IN_DRAFT_07 = {
    "prefixItems",
    "unevaluatedProperties",
    "unevaluatedItems",
    "dependentRequired",
    "dependentSchemas",
    "$dynamicRef",
    "$dynamicAnchor",
    "$anchor",
    "$recursiveRef",
    "minContains",
    "maxContains",
}


def test_the_schemas_mean_the_same_read_as_draft_07():
    def walk(node, where):
        if isinstance(node, dict):
            assert not NOT_IN_DRAFT_07 & set(node), f"{where}: {NOT_IN_DRAFT_07 & set(node)}"
            assert "$ref" not in node or len(node) == 1, f"{where}: draft-07 ignores the siblings of $ref"
            assert not isinstance(node.get("items"), list), f"{where}: array items differ in 2020-12"
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.Draft7Validator.check_schema(schema)
        walk(schema, path.name)
