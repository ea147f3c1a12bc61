"""The JSON Schemas in `schemas/`, loaded once, as validators by contract name.

The schema files are the contract subscribers read; the code validates against the same
files so the two cannot drift.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"

#: contract name -> schema file; the names are used by events.py and the tests
SCHEMA_FILES = {
    "article": "article.schema.json",
    "entity": "entity.schema.json",
    "quote": "quote.schema.json",
    "stance": "stance.schema.json",
    "country-mention": "country-mention.schema.json",
    "dead-letter": "dead-letter.schema.json",
}


@lru_cache(maxsize=1)
def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(schema)
        # Register by $id and by file name, so "_defs.schema.json#/..." resolves.
        resources += [(schema["$id"], resource), (path.name, resource)]
    return Registry().with_resources(resources)


@cache
def validator(name: str) -> Draft202012Validator:
    """The validator for one contract (`article`, `entity`, `quote`, ...)."""
    if name not in SCHEMA_FILES:
        raise KeyError(f"unknown contract {name!r}; known: {', '.join(SCHEMA_FILES)}")
    schema = json.loads((SCHEMA_DIR / SCHEMA_FILES[name]).read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def first_error(name: str, instance: object) -> str | None:
    """A one-line description of the first violation, or None when valid."""
    error = best_match(validator(name).iter_errors(instance))
    return None if error is None else describe(error)


def describe(error) -> str:
    """One violation in one line: where, and what is wrong."""
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message}"
