"""The baseline the report compares against: spaCy + textacy + country_converter, off the shelf.

* Quotes: `textacy.extract.triples.direct_quotations` (its own speech-verb list and rules). Its
  speaker is the text of the speaker tokens it returns ("Zakharova", "he"), unresolved. It refuses
  a document with an odd number of quotation marks; the baseline then runs it paragraph by
  paragraph, so one stray mark costs only its paragraph.
* Countries: `country_converter` (regex over country names and demonyms) on the text of every GPE
  and NORP entity spaCy finds, one count per entity mention that converts to an ISO alpha-2 code.
* Stances: none (no off-the-shelf stance extractor fits): recall 0, precision n.a.

Install with `pip install -e '.[baseline]'` (textacy 0.13, country_converter 1.3 with pandas < 3).
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

from spacy.tokens import Doc, Span

from streams.errors import NewswireError

QUOTE_MARKS = "\"“”‘’'`«»"


class BaselineUnavailable(NewswireError, RuntimeError):
    """textacy or country_converter is not installed."""


def _require():
    try:
        import country_converter  # noqa: F401
        from textacy.extract.triples import direct_quotations  # noqa: F401
    except ImportError as error:
        raise BaselineUnavailable(
            f"the baseline needs textacy and country_converter ({error})",
            "install them with `pip install -e '.[baseline]'`, or run with --no-baseline",
        ) from None


def available() -> bool:
    try:
        _require()
    except BaselineUnavailable:
        return False
    return True


@lru_cache(maxsize=1)
def _converter():
    _require()
    import country_converter as coco

    logging.getLogger("country_converter").setLevel(logging.ERROR)  # "X not found in regex" per miss
    return coco.CountryConverter()


@lru_cache(maxsize=1 << 14)
def _iso2(name: str) -> str | None:
    code = _converter().convert(name, to="ISO2", not_found=None)
    if isinstance(code, list):  # several countries matched: not one country
        return None
    return code if isinstance(code, str) and re.fullmatch(r"[A-Z]{2}", code) else None


def warm_up() -> None:
    """Load country_converter's tables before anything is timed."""
    _iso2("France")


def _paragraph_docs(doc: Doc) -> list[Span]:
    spans = []
    start = 0
    for token in doc:
        if token.is_space and "\n" in token.text:
            if token.i > start:
                spans.append(doc[start : token.i])
            start = token.i + 1
    if start < len(doc):
        spans.append(doc[start:])
    return spans


def _quotes(doc: Doc) -> list[dict[str, Any]]:
    from textacy.extract.triples import direct_quotations

    try:
        triples = [(t, 0) for t in direct_quotations(doc)]
    except ValueError:  # an odd number of quotation marks somewhere: paragraph by paragraph
        triples = []
        for span in _paragraph_docs(doc):
            try:
                triples.extend((t, span.start_char) for t in direct_quotations(span.as_doc()))
            except ValueError:
                continue
    quotes = []
    for triple, offset in triples:
        content = triple.content
        start, end = content.start_char + offset, content.end_char + offset
        text = doc.text
        while start < end and text[start] in QUOTE_MARKS:
            start += 1
        while end > start and text[end - 1] in QUOTE_MARKS:
            end -= 1
        speaker = " ".join(t.text for t in triple.speaker)
        quotes.append(
            {
                "text": text[start:end],
                "start": start,
                "end": end,
                "speaker": speaker or None,
                "kind": None,
                "cue": " ".join(t.text for t in triple.cue),
            }
        )
    return quotes


def _countries(docs: list[Doc]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for doc in docs:
        for ent in doc.ents:
            if ent.label_ in ("GPE", "NORP"):
                code = _iso2(ent.text)
                if code:
                    counts[code] = counts.get(code, 0) + 1
    return counts


def analyze_baseline(body: Doc, title: Doc | None = None) -> dict[str, Any]:
    """The baseline's extraction of one parsed article, in the shape the scorer reads."""
    _require()
    return {
        "quotes": _quotes(body),
        "stances": [],
        "countries": _countries([d for d in (title, body) if d is not None]),
    }
