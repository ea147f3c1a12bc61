"""Per-country mention counting, by the rules of shared/eval/GUIDELINE.md.

Counted: country names and short forms, demonyms and adjectives, each half of hyphenated forms
("US-Philippine", "Anglo-American"), capitals and seats of government ("Moscow", "Kremlin",
"White House"), other cities and towns (to their country), datelines, mentions inside quotes and
organisation names. Not counted: states, provinces and other regions, seas, city districts,
country words inside person names, languages, currencies ("the Canadian dollar", "US$").

The gazetteer (country_names.py) proposes candidates by longest match over tokens. A country word
counts unless the parse says otherwise (inside a person's name, a language, a currency); a town
or city name is read against the article that names it (places.py): its countries, dateline and
outlet decide which place it is and whether it counts. "Georgia", "Jersey", "TT" (also a US
state, a garment, a race) count only where the context has that country, or, for the first two,
where the story names other countries and nothing of the US.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from spacy.attrs import IDX, LENGTH, SPACY
from spacy.tokens import Doc, Token

from .country_names import (
    AMBIGUOUS_COUNTRY_NAMES,
    COMBINING_FORMS,
    LANGUAGE_HEADS,
    PLURAL_NAMES,
    Gazetteer,
    Place,
    gazetteer_key,
    key_tokens,
    load_gazetteer,
)
from .places import (
    PLACE_LABELS,
    TOWN,
    ArticleContext,
    Town,
    entity_around,
    name_use,
    outlet_country,
    read_all,
    read_town,
)
from .text import Ranges, doc_index

if TYPE_CHECKING:
    from .analyze import ArticleMeta

__all__ = ["CountryMention", "count_countries", "find_country_mentions", "outlet_country"]

CURRENCY_WORDS = {"dollar", "dollars", "$"}
# Words after an ambiguous name that only a US state takes ("Georgia Gov. Brian Kemp", "Georgia state law").
STATE_TITLES = {
    "gov",
    "gov.",
    "governor",
    "sen",
    "sen.",
    "senator",
    "rep",
    "rep.",
    "lt",
    "lt.",
    "state",
    "statehouse",
    "legislature",
    "legislator",
    "legislators",
}
# A country word before one of these names a currency (GUIDELINE: "the TT dollar", "the Canadian
# dollar traded at 74 U.S. cents"): not counted.
CURRENCY_NOUNS = {
    "dollar",
    "dollars",
    "cent",
    "cents",
    "pound",
    "pounds",
    "euro",
    "euros",
    "peso",
    "pesos",
    "rupee",
    "rupees",
    "rand",
    "yen",
    "yuan",
    "renminbi",
    "franc",
    "francs",
    "shilling",
    "shillings",
    "dinar",
    "dinars",
    "riyal",
    "riyals",
    "rial",
    "real",
    "reais",
    "rouble",
    "roubles",
    "ruble",
    "rubles",
    "lira",
    "krona",
    "kronor",
    "krone",
    "kroner",
    "won",
    "ringgit",
    "naira",
    "cedi",
    "kwacha",
    "loti",
    "maloti",
    "pula",
    "baht",
    "dong",
    "rupiah",
    "taka",
    "sterling",
    "escudo",
    "dirham",
    "dirhams",
    "hryvnia",
    "zloty",
    "forint",
    "lev",
    "leu",
    "lei",
    "kina",
    "tala",
    "pa'anga",
    "quetzal",
    "colon",
    "colones",
}
UNIT_NAMES = {"GB"}  # also a unit: "64 GB" is no country
# The other meaning of an ambiguous country name, by the country it lies in ("Georgia" the US state).
OTHER_READINGS = {"Georgia": "US", "Jersey": "US"}


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
    codes: tuple[str, ...] = ()  # a country word: one code, or several to corroborate ("Georgia")
    town: Town | None = None  # a town or city name: read against the article (places.py)


# --- the scan --------------------------------------------------------------------------------

_SPLIT_FIRST = re.compile(r"[\s,\-']")


@lru_cache(maxsize=1)
def _first_chunks() -> tuple[dict[str, int], dict[str, frozenset[str]]]:
    """First word of every gazetteer key -> the most tokens a key starting with it has, and the
    words that can follow it in a longer key: the scan skips most tokens with one dict lookup,
    and tries no longer phrases than a key could span."""
    gaz = load_gazetteer()
    longest: dict[str, int] = {}
    seconds: dict[str, set[str]] = {}
    for key in (*gaz.entries, *gaz.subdivisions, *COMBINING_FORMS):
        first, *rest = _SPLIT_FIRST.split(key, 2)
        longest[first] = max(longest.get(first, 0), key_tokens(key))
        if rest and rest[0]:
            seconds.setdefault(first, set()).add(rest[0])
    return longest, {k: frozenset(v) for k, v in seconds.items()}


@lru_cache(maxsize=1 << 14)
def _first_chunk(text: str) -> str:
    return _SPLIT_FIRST.split(gazetteer_key(text), 1)[0]


def _is_dateline(doc: Doc, start: int, end: int) -> bool:
    # "MOSCOW (AP) —", "WASHINGTON, March 3 -": an all-caps place opening a paragraph.
    if start > 0 and not (doc[start - 1].is_space and "\n" in doc[start - 1].text):
        return False
    if end >= len(doc):
        return False
    if doc[end].text in ("(", ",", ":"):
        return True
    # "LINDI — ...", "MASERU – ...": a dash between spaces (not the "0-1" of a score line).
    return any(t.text in ("—", "–", "-", "--") and doc[t.i - 1].whitespace_ for t in doc[end : end + 3])


def _lookup(gaz: Gazetteer, doc: Doc, start: int, end: int, surface: str) -> tuple[str, tuple[Place, ...] | None]:
    key = gazetteer_key(surface)
    hit = gaz.entries.get(key)
    if hit is not None or gaz.subdivisions.get(key):
        return key, hit
    if not surface.isupper():
        return key, None
    span = doc[start:end]
    # All-caps headlines and datelines: "RUSSIA", "MOSCOW (AP)".
    alpha = [t for t in span if t.is_alpha]
    if all(t.is_upper and len(t.text) >= (2 if len(alpha) > 1 else 3) for t in alpha) and span.text.isupper():
        titled = gazetteer_key(" ".join(t.text.title() for t in span))
        hit = gaz.entries.get(titled)
        if not hit:
            return titled, None
        if all(p.kind in ("country", "demonym") for p in hit) or _is_dateline(doc, start, end):
            return titled, hit
    return key, None


def _scan(doc: Doc, field_name: str, excluded: Ranges, gaz: Gazetteer) -> tuple[list[_Candidate], Counter]:
    """Candidates of one field, and the countries of the states and provinces it names."""
    chunks, seconds = _first_chunks()
    found: list[_Candidate] = []
    evidence: Counter = Counter()
    n_tokens = len(doc)
    # Plain lists: indexing a Doc builds a Token object each time, the scan's main cost.
    tokens = doc_index(doc).tokens
    texts, spaces = _texts(doc)
    first_word = next((j for j, t in enumerate(texts) if t.strip()), 0)
    resume = 0  # the token after the last match
    for i in [j for j, t in enumerate(texts) if t[:1].isupper()]:
        if i < resume:
            continue
        text = texts[i]
        first = _first_chunk(text)
        longest_key = max(chunks.get(first, 0), chunks.get(first.title(), 0))
        if not longest_key:
            continue
        if longest_key > 1 and i + 1 < n_tokens and "-" not in text:
            # Only as long as the next word can continue a key ("New" + "York"; not "New" + "rules").
            follow = seconds.get(first, frozenset()) | seconds.get(first.title(), frozenset())
            nxt = texts[i + 2] if texts[i + 1] in ("-", "'", "’") and i + 2 < n_tokens else texts[i + 1]
            if not spaces[i] and texts[i + 1] in (".", ",", "-", "'", "’", "&"):
                pass  # "U.S." split, "Guinea-Bissau", "Cote d'Ivoire": keep the longest
            elif _first_chunk(nxt) not in follow and _first_chunk(nxt).title() not in follow:
                longest_key = 1
        token = tokens[i]
        if excluded.contains(token.idx):
            continue
        if text in COMBINING_FORMS and _combines(gaz, texts, spaces, i):
            found.append(
                _country(
                    CountryMention(COMBINING_FORMS[text], text, token.idx, token.idx + len(text), field_name, "demonym")
                )
            )
            continue
        hit: tuple[Place, ...] | None = None
        key = ""
        end = i + 1
        longest = min(longest_key, gaz.max_tokens, n_tokens - i)
        for n in range(longest, 0, -1):
            parts = texts[i : i + n]
            if n > 1 and any(not p.strip() for p in parts):
                continue
            surface = "".join(p + w for p, w in zip(parts[:-1], spaces[i : i + n - 1], strict=False)) + parts[-1]
            key, hit = _lookup(gaz, doc, i, i + n, surface)
            if hit is not None or gaz.subdivisions.get(key):
                end = i + n
                break
        if hit is None and not gaz.subdivisions.get(key) and "-" in text:  # "U.S.-led": each half
            offset = 0
            for part in text.split("-"):
                sub = gaz.lookup(part) if part[:1].isupper() else None
                if sub and all(p.kind in ("country", "demonym") for p in sub):
                    start_char = token.idx + offset
                    found.append(
                        _country(
                            CountryMention(
                                sub[0].code, part, start_char, start_char + len(part), field_name, sub[0].kind
                            )
                        )
                    )
                offset += len(part) + 1
            continue
        towns = gaz.towns(key) if hit is not None or key in gaz.shadowed else ()
        if hit and any(p.kind in ("country", "demonym", "seat") for p in hit):
            candidate = _judge_country(doc, i, end, hit, field_name, texts, spaces)
            if candidate is not None:
                found.append(candidate)
        elif towns:
            town = read_town(doc, i, end, key, gaz, texts)
            if town is not None:
                town.dateline = i == first_word and _is_dateline(doc, i, end)
                span = doc[i:end]
                mention = CountryMention(towns[0].code, span.text, span.start_char, span.end_char, field_name, "city")
                found.append(_Candidate(mention, town=town))
        elif gaz.subdivisions.get(key) and hit is None:
            subs = gaz.subdivisions[key]
            # A state or province the NER tags a place: evidence for its country, counted never.
            if len({s.code for s in subs}) == 1 and tokens[i].ent_type_ in PLACE_LABELS:
                evidence[subs[0].code] += 1
        resume = end
    return found, evidence


def _texts(doc: Doc) -> tuple[list[str], list[str]]:
    """Token texts and trailing whitespace, cut from the doc's text (cheaper than Token objects)."""
    text = doc_index(doc).text
    if not len(doc):
        return [], []
    starts, lengths, spaced = doc.to_array([IDX, LENGTH, SPACY]).T.tolist()
    return [text[a : a + n] for a, n in zip(starts, lengths, strict=False)], [" " if sp else "" for sp in spaced]


def _combines(gaz: Gazetteer, texts: list[str], spaces: list[str], i: int) -> bool:
    # "Anglo-American", "Sino-US", "Franco-German": a combining form before a country word.
    if i + 2 >= len(texts) or spaces[i] or texts[i + 1] not in ("-", "–") or spaces[i + 1]:
        return False
    after = texts[i + 2]
    if after in COMBINING_FORMS:
        return True
    return any(p.kind in ("country", "demonym") for p in gaz.lookup(after) or ())


def _country(mention: CountryMention, codes: tuple[str, ...] | None = None) -> _Candidate:
    return _Candidate(mention, codes or (mention.code,))


def _judge_country(
    doc: Doc, start: int, end: int, places: tuple[Place, ...], field_name: str, texts: list[str], spaces: list[str]
) -> _Candidate | None:
    span = doc[start:end]
    person = entity_around(doc, start)
    if person is not None and person.label_ == "PERSON" and (person.start < start or person.end > end):
        return None  # "Michael Jordan", "America Ferrera"
    place = next(p for p in places if p.kind in ("country", "demonym", "seat"))
    if place.kind == "demonym" and _used_as_language(span[-1]):
        return None
    name = span.text

    def mention(code: str) -> CountryMention:
        return CountryMention(code, name, span.start_char, span.end_char, field_name, place.kind)

    if name in UNIT_NAMES and start > 0 and doc[start - 1].like_num:
        return None  # "64 GB"
    if end < len(doc) and doc[end].lower_ in CURRENCY_NOUNS and place.kind in ("country", "demonym"):
        return None  # "the Canadian dollar", "74 U.S. cents", "the TT dollar": a currency
    if name in PLURAL_NAMES:
        return _Candidate(mention(PLURAL_NAMES[name][0]), PLURAL_NAMES[name])
    if name in AMBIGUOUS_COUNTRY_NAMES:
        if end < len(texts) and (texts[end].lower() in CURRENCY_WORDS or (texts[end] == "$" and not spaces[end - 1])):
            return None  # "the TT dollar": a currency
        if end < len(texts) and texts[end].lower() in STATE_TITLES:
            return None  # "Georgia Gov. Brian Kemp": the US state, which is not counted
        # Needs that country in the context to count ("Georgia" the US state otherwise).
        return _Candidate(mention(AMBIGUOUS_COUNTRY_NAMES[name]), (AMBIGUOUS_COUNTRY_NAMES[name], "?"))
    codes = tuple(sorted({p.code for p in places if p.kind in ("country", "demonym", "seat")}))
    return _Candidate(mention(codes[0]), codes)


def _used_as_language(token: Token) -> bool:
    # "said in Russian", "speaks French": the demonym is itself the object, not a modifier.
    return (
        token.dep_ in ("pobj", "dobj", "conj")
        and token.head.lemma_.lower() in LANGUAGE_HEADS
        and not any(c.dep_ in ("amod", "compound") for c in token.children)
    )


# --- the article ------------------------------------------------------------------------------


def find_country_mentions(
    docs: Sequence[tuple[Doc, str, Ranges]], meta: ArticleMeta | None = None
) -> list[CountryMention]:
    """Country mentions in an article's fields, in reading order (title first).

    `docs` holds (parsed field, field name, character ranges to ignore such as boilerplate);
    `meta` the outlet and URL, whose country-code domain gives the outlet's country. Town names
    and ambiguous country names are settled against the context of the whole article.
    """
    gaz = load_gazetteer()
    candidates: list[_Candidate] = []
    ctx = ArticleContext(outlet=outlet_country(meta))
    for doc, field_name, excluded in docs:
        found, evidence = _scan(doc, field_name, excluded, gaz)
        candidates.extend(found)
        ctx.subdivisions.update(evidence)
    if not candidates:
        return []
    towns = [c.town for c in candidates]
    use = name_use((t for t in towns if t is not None), (doc for doc, _, _ in docs))
    for c in candidates:
        t = c.town
        if t is not None:
            codes = {p.code for p in t.places}
            ctx.named.update(codes & t.qualifier)
            if len(codes) == 1 and max(p.population for p in t.places) >= TOWN and use.voted_place(t.surface):
                ctx.towns.setdefault(next(iter(codes)), set()).add(t.key)
        elif len(c.codes) == 1 or c.mention.text in PLURAL_NAMES:
            ctx.named.update(c.codes)
    # The dateline first: its place then backs the rest.
    dateline = next((t for t in towns if t is not None and t.dateline), None)
    if dateline is not None:
        place = read_all([dateline], ctx, use, gaz)[0]
        ctx.dateline = place.code if place is not None else None
    places = read_all(towns, ctx, use, gaz)
    in_context = set(ctx.named) | {p.code for p in places if p} | {ctx.outlet, ctx.dateline}
    mentions: list[CountryMention] = []
    for c, place in zip(candidates, places, strict=False):
        m = c.mention
        if c.town is not None:
            if place is not None:
                kind = "capital" if place.kind == "capital" else "city"
                mentions.append(CountryMention(place.code, m.text, m.start, m.end, m.field, kind))
        elif m.text in PLURAL_NAMES:
            mentions.extend(CountryMention(code, m.text, m.start, m.end, m.field, m.kind) for code in c.codes)
        elif len(c.codes) == 1:
            mentions.append(m)
        else:
            corroborated = [code for code in c.codes if code in in_context]
            other = OTHER_READINGS.get(m.text)
            if not corroborated and other and other not in in_context and set(ctx.named) - {other}:
                # "Georgia" in a story that names other countries and nothing of the US: the country.
                corroborated = [c.codes[0]]
            if len(corroborated) == 1:
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
