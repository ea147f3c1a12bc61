"""Per-country mention counting, by the rules of shared/eval/GUIDELINE.md.

Counted: country names and short forms, demonyms and adjectives, each half of hyphenated forms
("US-Philippine"), capitals and seats of government ("Moscow", "Kremlin", "White House"), other
cities (to their country), datelines, mentions inside quotes and organisation names.
Not counted: US states and other regions, seas, country words inside person names, languages.

The gazetteer (country_names.py) proposes candidates by longest match over tokens; the
parse and the NER decide whether a candidate really names a place here:

* a country word inside a longer PERSON name is part of that name ("Michael Jordan");
* a city needs the NER to call it a place (cities share names with people and words:
  "Victoria", "Split", "Most"), unless it is a big city; a town name that is the whole name of
  an organisation is a club or brand ("Ajax", "Toyota"), one at the end of a longer place name
  is part of that name ("Millennium Dome");
* a name shared by places in several countries ("Cambridge", "San Jose") is counted only when
  one candidate is much bigger than the rest, or the article names one of the candidates'
  countries unambiguously elsewhere; "Georgia" (also a US state) needs the same corroboration.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from spacy.tokens import Doc, Span, Token

from .country_names import (
    AMBIGUOUS_COUNTRY_NAMES,
    LANGUAGE_HEADS,
    Gazetteer,
    Place,
    gazetteer_key,
    key_tokens,
    load_gazetteer,
)
from .text import Ranges, doc_index

PLACE_LABELS = {"GPE", "LOC", "FAC"}
BIG_CITY = 1_000_000  # counted even when the NER missed it
ORG_CITY = 500_000  # counted inside an organisation's name ("Chicago Tribune", not "Delta Air Lines")
SMALL_CAPITAL = 100_000  # capitals smaller than this are treated like any other city
DOMINANCE = 3.0  # a same-named city must be this many times bigger than the next one


@dataclass(frozen=True)
class CountryMention:
    code: str
    text: str
    start: int
    end: int
    field: str  # "title" | "text"
    kind: str  # country | demonym | capital | seat | city

    def as_dict(self) -> dict:
        return {"text": self.text, "start": self.start, "end": self.end, "field": self.field}


@dataclass
class _Candidate:
    mention: CountryMention
    codes: tuple[str, ...]  # more than one: needs corroboration from the rest of the article


_SPLIT_FIRST = re.compile(r"[\s,\-']")


@lru_cache(maxsize=1)
def _first_chunks() -> dict[str, int]:
    """First word of every gazetteer key -> the most tokens a key starting with it has: the scan
    skips most tokens with one dict lookup, and tries no longer phrases than a key could span."""
    longest: dict[str, int] = {}
    for key in load_gazetteer().entries:
        first = _SPLIT_FIRST.split(key, 1)[0]
        longest[first] = max(longest.get(first, 0), key_tokens(key))
    return longest


def _first_chunk(text: str) -> str:
    return _SPLIT_FIRST.split(gazetteer_key(text), 1)[0]


def _is_dateline(doc: Doc, start: int, end: int) -> bool:
    # "MOSCOW (AP) —", "WASHINGTON, March 3 -": an all-caps place opening a paragraph.
    if start > 0 and not (doc[start - 1].is_space and "\n" in doc[start - 1].text):
        return False
    following = [t.text for t in doc[end : end + 3]]
    return any(t in {"(", ",", "—", "–", "-", "--"} for t in following)


def _lookup(gaz: Gazetteer, doc: Doc, start: int, end: int, surface: str) -> tuple[Place, ...] | None:
    hit = gaz.lookup(surface)
    if hit is not None:
        return hit
    if not surface.isupper():
        return None
    span = doc[start:end]
    # All-caps headlines and datelines: "RUSSIA", "MOSCOW (AP)".
    if all(t.is_upper and len(t.text) >= 3 for t in span if t.is_alpha) and span.text.isupper():
        hit = gaz.lookup(" ".join(t.text.title() for t in span))
        if hit is None or not hit:
            return hit
        if all(p.kind in ("country", "demonym") for p in hit) or _is_dateline(doc, start, end):
            return hit
    return None


def _person_span_around(doc: Doc, start: int, end: int) -> Span | None:
    token = doc[start]
    if token.ent_type_ != "PERSON":
        return None
    for ent in doc.ents:  # short list; only reached for PERSON-tagged tokens
        if ent.start <= start < ent.end:
            return ent
    return None


def _used_as_language(token: Token) -> bool:
    # "said in Russian", "speaks French": the demonym is itself the object, not a modifier.
    return token.dep_ in ("pobj", "dobj", "conj") and token.head.lemma_.lower() in LANGUAGE_HEADS and not any(
        c.dep_ in ("amod", "compound") for c in token.children
    )


def _place_codes(places: tuple[Place, ...], entity_label: str, single_stopword: bool) -> tuple[str, ...]:
    """Which countries a city/capital candidate may stand for, given how the NER saw it."""
    scored: dict[str, float] = {}
    for p in places:
        weight = 3.0 if p.kind == "capital" and p.population >= SMALL_CAPITAL else 1.0
        scored[p.code] = max(scored.get(p.code, 0.0), p.population * weight)
    ranked = sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))
    best_code, best_score = ranked[0]
    best = max((p for p in places if p.code == best_code), key=lambda p: p.population)
    is_big_capital = best.kind == "capital" and best.population >= SMALL_CAPITAL
    if single_stopword and entity_label not in PLACE_LABELS:
        return ()
    if entity_label in PLACE_LABELS:
        pass
    elif is_big_capital and entity_label in ("", "ORG", "NORP"):
        pass
    elif entity_label in ("ORG", "NORP") and best.population >= ORG_CITY:
        pass
    elif entity_label == "" and best.population >= BIG_CITY:
        pass
    else:
        return ()
    if len(ranked) == 1 or best_score >= DOMINANCE * ranked[1][1]:
        return (best_code,)
    return tuple(code for code, _ in ranked)


def _scan(doc: Doc, field: str, excluded: Ranges, gaz: Gazetteer, person_words: set[str]) -> list[_Candidate]:
    chunks = _first_chunks()
    found: list[_Candidate] = []
    n_tokens = len(doc)
    # Plain lists: indexing a Doc builds a Token object each time, the scan's main cost.
    tokens = doc_index(doc).tokens
    texts = [t.text for t in tokens]
    spaces = [t.whitespace_ for t in tokens]
    i = 0
    while i < n_tokens:
        text = texts[i]
        if not text[:1].isupper():
            i += 1
            continue
        first = _first_chunk(text)
        key_tokens = max(chunks.get(first, 0), chunks.get(first.title(), 0))
        if not key_tokens:
            i += 1
            continue
        token = doc[i]
        if excluded.contains(token.idx):
            i += 1
            continue
        hit: tuple[Place, ...] | None = None
        end = i + 1
        longest = min(key_tokens, gaz.max_tokens, n_tokens - i)
        for n in range(longest, 0, -1):
            parts = texts[i : i + n]
            if n > 1 and any(not p.strip() for p in parts):
                continue
            surface = "".join(p + w for p, w in zip(parts[:-1], spaces[i : i + n - 1])) + parts[-1]
            hit = _lookup(gaz, doc, i, i + n, surface)
            if hit is not None:
                end = i + n
                break
        if hit is None and "-" in text:  # "U.S.-led": each hyphen half on its own
            offset = 0
            for part in text.split("-"):
                sub = gaz.lookup(part) if part[:1].isupper() else None
                if sub and all(p.kind in ("country", "demonym") for p in sub):
                    start_char = token.idx + offset
                    mention = CountryMention(sub[0].code, part, start_char, start_char + len(part), field, sub[0].kind)
                    found.append(_Candidate(mention, (sub[0].code,)))
                offset += len(part) + 1
            i += 1
            continue
        if not hit:  # None: no entry; (): a blocking phrase such as "New Mexico"
            i = end
            continue
        candidate = _judge(doc, i, end, hit, field, person_words)
        if candidate is not None:
            found.append(candidate)
        i = end
    return found


def _judge(doc: Doc, start: int, end: int, places: tuple[Place, ...], field: str,
           person_words: set[str]) -> _Candidate | None:
    span = doc[start:end]
    kinds = {p.kind for p in places}
    person = _person_span_around(doc, start, end)
    inside_longer_name = person is not None and (person.start < start or person.end > end)
    label = doc[start].ent_type_

    def make(codes: tuple[str, ...], kind: str) -> _Candidate:
        mention = CountryMention(codes[0], span.text, span.start_char, span.end_char, field, kind)
        return _Candidate(mention, codes)

    if kinds & {"country", "demonym", "seat"}:
        if inside_longer_name:
            return None
        place = places[0]
        if place.kind == "demonym" and _used_as_language(span[-1]):
            return None
        name = span.text
        if name in AMBIGUOUS_COUNTRY_NAMES:
            # Needs another mention of that country to count ("Georgia" the US state otherwise).
            return make((AMBIGUOUS_COUNTRY_NAMES[name], "?"), "country")
        codes = tuple(sorted({p.code for p in places}))
        return make(codes, place.kind)

    # Cities and capitals.
    if len(span) == 1 and span.text in person_words:
        return None
    if person is not None:
        # A lone word the NER took for a person ("Kremlin warns Kiev"): still the capital when it
        # is a big one and nobody in the article bears that name.
        big = any(p.kind == "capital" and p.population >= BIG_CITY for p in places)
        if inside_longer_name or not big:
            return None
        label = "GPE"
    if not all(t.pos_ == "PROPN" for t in span if t.is_alpha):
        return None  # "Olympic", "Mobile" used as words
    if not any(p.kind == "capital" and p.population >= SMALL_CAPITAL for p in places):
        if doc[start].ent_iob_ == "I":
            return None  # inside a longer name: "Millennium Dome"
        if label == "ORG" and doc[start].ent_iob_ == "B" and (end >= len(doc) or doc[end].ent_iob_ != "I"):
            return None  # the whole organisation is the town's name: a club or brand ("Ajax", "Toyota")
    codes = _place_codes(places, label, single_stopword=len(span) == 1 and span[0].is_stop)
    if not codes:
        return None
    kind = "capital" if any(p.kind == "capital" and p.code == codes[0] for p in places) else "city"
    return make(codes, kind)


def _person_words(docs: Iterable[Doc]) -> set[str]:
    # Words that are part of someone's name in this article ("Jackson", "Victoria").
    words: set[str] = set()
    for doc in docs:
        for ent in doc.ents:
            if ent.label_ == "PERSON" and len(ent) > 1:
                words.update(t.text for t in ent if t.is_alpha)
    return words


def find_country_mentions(docs: Sequence[tuple[Doc, str, Ranges]]) -> list[CountryMention]:
    """Country mentions in an article's fields, in reading order (title first).

    `docs` holds (parsed field, field name, character ranges to ignore such as boilerplate).
    Ambiguous candidates are settled against the unambiguous mentions of the whole article.
    """
    gaz = load_gazetteer()
    person_words = _person_words(doc for doc, _, _ in docs)
    candidates: list[_Candidate] = []
    for doc, field, excluded in docs:
        candidates.extend(_scan(doc, field, excluded, gaz, person_words))
    sure = {c.mention.code for c in candidates if len(c.codes) == 1}
    mentions: list[CountryMention] = []
    for c in candidates:
        if len(c.codes) == 1:
            mentions.append(c.mention)
            continue
        corroborated = [code for code in c.codes if code in sure]
        if len(corroborated) == 1:
            m = c.mention
            mentions.append(CountryMention(corroborated[0], m.text, m.start, m.end, m.field, m.kind))
    return mentions


def count_countries(mentions: Iterable[CountryMention]) -> tuple[dict[str, int], dict[str, list[dict]]]:
    """Counts ordered by count desc then code, and each country's mentions in reading order."""
    mentions = list(mentions)
    counts = Counter(m.code for m in mentions)
    order = sorted(counts, key=lambda code: (-counts[code], code))
    by_code: dict[str, list[dict]] = {code: [] for code in order}
    for m in mentions:
        by_code[m.code].append(m.as_dict())
    return {code: counts[code] for code in order}, by_code
