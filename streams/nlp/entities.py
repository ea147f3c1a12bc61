"""Canonical entities of one article: NER spans cleaned, merged and labelled across mentions.

* Junk spans go: no letters, only stop words, contractions ("n’t" tagged GPE), lowercase-only,
  bare title words ("State" from "Secretary of State").
* People: a surname or first name alone joins the full name it stands for ("Zakharova" ->
  "Maria Zakharova"), whatever label the NER gave the short form ("Pompeo" as GPE/ORG); titles
  and honorifics are stripped ("President Donald Trump" -> "Donald Trump").
* Countries: every name of one country is one entity under its short English name
  ("U.S.", "US", "the United States", "America" -> "United States").
* People the NER mislabels: a name after an honorific or a person's title is a person's ("Mr
  Blair" ORG, "Cardinal Cormac Murphy-O'Connor" with only the surname tagged); a first name alone
  joins its full name ("Azmat" tagged GPE); a two-word "ORG" whose surname is then used alone as
  a speaker was a person ("Fox News host Sean Hannity ... Hannity said"); "G8"/"G7" are
  organisations; a span that runs on into the sentence stops at its first verb or lowercase word.
* Label: a person name is PERSON; otherwise the majority label over mentions (first wins ties).
* Country: GPE/NORP/LOC/FAC entities that name or lie in a country get its ISO alpha-2 code.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from .countries import CountryMention
from .country_names import AMBIGUOUS_COUNTRY_NAMES, country_name, load_gazetteer
from .gender import PRONOUN_GENDER, name_gender
from .text import Ranges, doc_index

ENTITY_LABELS = {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "PRODUCT", "LAW", "WORK_OF_ART"}
COUNTRY_LABELS = {"GPE", "NORP", "LOC", "FAC"}
NOT_NAME_LABELS = {"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL", "GPE", "LOC", "NORP"}

# Words that introduce a name without being part of it.
TITLE_WORDS = {
    "president",
    "vice",
    "prime",
    "minister",
    "secretary",
    "sen",
    "sen.",
    "senator",
    "rep",
    "rep.",
    "representative",
    "gov",
    "gov.",
    "governor",
    "mr",
    "mr.",
    "mrs",
    "mrs.",
    "ms",
    "ms.",
    "dr",
    "dr.",
    "gen",
    "gen.",
    "general",
    "chancellor",
    "king",
    "queen",
    "prince",
    "princess",
    "pope",
    "sheikh",
    "judge",
    "justice",
    "mayor",
    "chairman",
    "chairwoman",
    "former",
    "ambassador",
    "lt",
    "lt.",
    "col",
    "col.",
    "capt",
    "capt.",
    "sgt",
    "sgt.",
    "adm",
    "adm.",
    "rev",
    "rev.",
    "sir",
    "lord",
    "lady",
    "dame",
    "premier",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "leader",
    "candidate",
    "nominee",
    "first",
    "attorney",
    "foreign",
    "defense",
    "defence",
    "state",
    "of",
    "the",
    "sister",
    "brother",
    "mother",
    "father",
    "daughter",
    "son",
    "wife",
    "husband",
    "coach",
    "captain",
    "director",
    "ceo",
    "chief",
    "prof",
    "prof.",
    "professor",
    "archbishop",
    "cardinal",
    "bishop",
    "rabbi",
    "imam",
    "baroness",
    "baron",
    "councillor",
    "cllr",
    "cllr.",
    "congressman",
    "congresswoman",
    "detective",
    "inspector",
    "superintendent",
    "constable",
    "sergeant",
    "deputy",
    "commissioner",
    "dean",
    "provost",
    "sheriff",
    "pastor",
    "fr",
    "fr.",
}
# Letters after a name that are not part of it: honours, degrees, seats ("Afrasiab Anwar MBE").
POSTNOMINALS = {
    "mbe",
    "obe",
    "cbe",
    "kbe",
    "dbe",
    "qc",
    "kc",
    "mp",
    "mep",
    "msp",
    "ms",
    "mla",
    "phd",
    "md",
    "esq",
    "esq.",
    "frs",
    "ao",
    "ac",
    "oam",
}
# Titles that only ever introduce a person's name ("President", "Cardinal"), unlike "State" or "Foreign".
PERSON_TITLES = {
    "president",
    "sen",
    "sen.",
    "senator",
    "rep",
    "rep.",
    "gov",
    "gov.",
    "governor",
    "mr",
    "mr.",
    "mrs",
    "mrs.",
    "ms",
    "ms.",
    "dr",
    "dr.",
    "gen",
    "gen.",
    "general",
    "chancellor",
    "king",
    "queen",
    "prince",
    "princess",
    "pope",
    "sheikh",
    "judge",
    "mayor",
    "ambassador",
    "sir",
    "lord",
    "lady",
    "dame",
    "premier",
    "prof",
    "prof.",
    "professor",
    "archbishop",
    "cardinal",
    "bishop",
    "rabbi",
    "imam",
    "minister",
    "secretary",
    "councillor",
    "cllr",
    "detective",
    "inspector",
    "superintendent",
    "constable",
    "sergeant",
    "commissioner",
    "congressman",
    "congresswoman",
}
# Nouns for what a person is or does: a name in apposition with one, or right after one, is a
# person's whatever label the NER gave it ("the company's CEO, Abdulaziz Jaafar", "Craig Le Clair,
# principal analyst at Forrester", "analyst Craig Le Clair").
PERSON_NOUNS = {
    "ceo",
    "founder",
    "co-founder",
    "cofounder",
    "chairman",
    "chairwoman",
    "chair",
    "president",
    "director",
    "analyst",
    "economist",
    "professor",
    "researcher",
    "scientist",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "minister",
    "secretary",
    "officer",
    "executive",
    "manager",
    "editor",
    "reporter",
    "author",
    "writer",
    "lawyer",
    "attorney",
    "actor",
    "actress",
    "singer",
    "player",
    "coach",
    "star",
    "expert",
    "adviser",
    "advisor",
    "leader",
    "head",
    "chief",
    "governor",
    "senator",
    "mayor",
    "councillor",
    "commissioner",
    "member",
    "mother",
    "father",
    "son",
    "daughter",
    "wife",
    "husband",
    "sister",
    "brother",
    "student",
    "teacher",
    "doctor",
    "nurse",
    "resident",
    "owner",
    "partner",
    "colleague",
    "friend",
    "victim",
    "witness",
    "survivor",
    "candidate",
    "judge",
    "lecturer",
    "vice-chancellor",
    "rector",
    "dean",
    "engineer",
    "designer",
    "artist",
    "musician",
    "rapper",
    "presenter",
    "host",
    "entrepreneur",
    "investor",
    "official",
    "trader",
    "farmer",
    "activist",
    "campaigner",
}
# Honorifics: a name they introduce is a person's, whatever label the NER gave the span ("Mr Blair" ORG).
HONORIFICS = {"mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "prof", "prof.", "sir", "dame", "lord", "lady"}
# Single words the NER sometimes tags on their own that name nothing by themselves.
GENERIC_WORDS = {
    "state",
    "department",
    "ministry",
    "government",
    "office",
    "secretary",
    "president",
    "minister",
    "administration",
    "house",
    "senate",
    "party",
    "court",
    "army",
    "police",
    "city",
    "republic",
}
# A name with one of these words is an organisation's ("Fox News", "Oversight Committee").
ORG_WORDS = {
    "news",
    "times",
    "post",
    "journal",
    "committee",
    "department",
    "ministry",
    "party",
    "agency",
    "council",
    "university",
    "institute",
    "association",
    "union",
    "company",
    "corp",
    "inc",
    "group",
    "bank",
    "court",
    "commission",
    "office",
    "campaign",
    "foundation",
    "network",
    "press",
    "tribune",
    "herald",
    "review",
    "center",
    "centre",
    "league",
    "board",
    "service",
    "administration",
    "congress",
    "senate",
    "house",
}
# Words that end or make a body's name (the two lists above, and what only a short form keeps:
# "the College" of "the Royal College of GPs").
BODY_WORDS = ORG_WORDS | GENERIC_WORDS
SHORT_FORM_WORDS = ORG_WORDS | {"college", "authority", "federation"}
# Role nouns a definite description can use for a person named earlier ("the mayor" ->
# "Mayor Bill de Blasio"), with the title forms that introduce the name.
ROLE_FORMS: dict[str, set[str]] = {
    "senator": {"sen", "sen.", "senator"},
    "president": {"president"},
    "mayor": {"mayor"},
    "governor": {"gov", "gov.", "governor"},
    "congressman": {"rep", "rep.", "congressman", "representative"},
    "congresswoman": {"rep", "rep.", "congresswoman", "representative"},
    "representative": {"rep", "rep.", "representative"},
    "secretary": {"secretary"},
    "minister": {"minister"},
    "chancellor": {"chancellor"},
    "nominee": {"nominee"},
    "candidate": {"candidate"},
    "chairman": {"chairman", "chair"},
    "chairwoman": {"chairwoman", "chair"},
    "judge": {"judge"},
    "spokesman": {"spokesman"},
    "spokeswoman": {"spokeswoman"},
    "ambassador": {"ambassador"},
    "general": {"gen", "gen.", "general"},
    "speaker": {"speaker"},
    "leader": {"leader"},
    "director": {"director"},
    "attorney": {"attorney"},
    "prosecutor": {"prosecutor"},
    "chief": {"chief"},
    "king": {"king"},
    "queen": {"queen"},
    "pope": {"pope"},
    "premier": {"premier"},
    "coach": {"coach"},
    "archbishop": {"archbishop"},
    "cardinal": {"cardinal"},
    "bishop": {"bishop"},
    "professor": {"prof", "prof.", "professor"},
    "commissioner": {"commissioner"},
    "economist": {"economist"},
    "analyst": {"analyst"},
    "lawyer": {"lawyer"},
    "executive": {"executive"},
}
# Nouns naming a person's role: a definite description with one of them ("the prime minister",
# "the French president") refers to a person named before, even one not introduced with the title.
PERSON_ROLES = set(ROLE_FORMS) | {"minister", "secretary", "chairman", "premier", "leader", "head", "chief"}
_NAME_WORD = re.compile(r"[A-Z][a-z]*['’\-][A-Za-z]+")  # O'Donnell, Veron-Reville
MALE_TITLES = {"mr", "sir", "lord", "king", "prince", "baron", "father", "brother", "son", "husband"}
FEMALE_TITLES = {
    "mrs",
    "ms",
    "miss",
    "lady",
    "dame",
    "queen",
    "princess",
    "baroness",
    "sister",
    "mother",
    "daughter",
    "wife",
}
# Lowercase words that may sit inside a name ("Bank of America", "Ludwig van Beethoven").
NAME_PARTICLES = {
    "of",
    "the",
    "and",
    "for",
    "on",
    "de",
    "van",
    "von",
    "da",
    "das",
    "dos",
    "del",
    "della",
    "di",
    "al",
    "el",
    "bin",
    "ibn",
    "du",
    "la",
    "le",
    "y",
    "e",
    "ul",
    "ud",
    "und",
    "&",
    "at",
    "in",
    "to",
    "'s",
    "’s",
}
DETERMINERS = {"the", "a", "an", "this", "that", "these", "those"}
POSSESSIVE = {"'s", "’s", "'", "’"}
NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}


@dataclass
class Mention:
    text: str
    start: int
    end: int
    field: str
    label: str  # the label the NER (or the gazetteer) gave this mention
    token_start: int = -1  # token offsets in the field's Doc
    token_end: int = -1

    def as_dict(self) -> dict:
        return {"text": self.text, "start": self.start, "end": self.end, "field": self.field}


@dataclass
class Entity:
    id: str
    canonical: str
    label: str
    country: str | None
    mentions: list[Mention] = field(default_factory=list)
    place_kind: str | None = None  # capital/seat/city/country/demonym when the gazetteer knows it

    @property
    def first_position(self) -> tuple[int, int]:
        m = min(self.mentions, key=lambda m: (m.field != "title", m.start))
        return (0 if m.field == "title" else 1, m.start)

    def as_dict(self) -> dict:
        mentions = sorted(self.mentions, key=lambda m: (m.field != "title", m.start))
        return {
            "id": self.id,
            "canonical": self.canonical,
            "label": self.label,
            "country": self.country,
            "mentions": [m.as_dict() for m in mentions],
        }


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


def _is_junk(tokens: Sequence[Token]) -> bool:
    text = "".join(t.text_with_ws for t in tokens).strip()
    if not text or not any(c.isalpha() for c in text):
        return True
    if not any(c.isupper() for c in text):  # "n’t", "ca", lowercase noise
        return True
    if text[0] in "'’‘" or text.lower() in {"n't", "n’t"}:
        return True
    if all(t.is_stop or t.is_punct for t in tokens):
        return True
    if len(tokens) == 1 and text.lower() in GENERIC_WORDS:
        return True
    return False


def _is_title_acronym(token: Token) -> bool:
    """An office in capitals before a person's name ("MEC", "MP", "MEP", "CEO"): news prose never
    writes a first name in capitals, so such a word is a title, not part of the name."""
    return token.is_alpha and token.is_upper and 2 <= len(token.text) <= 4


def _trim(span: Span, person: bool) -> tuple[int, int]:
    """Token range of the name inside an NER span: no determiner, title, possessive, punctuation."""
    start, end = span.start, span.end
    doc = doc_index(span.doc).tokens  # a plain list: indexing a Doc makes a new Token each time
    strip_front = TITLE_WORDS | DETERMINERS if person else DETERMINERS
    # Keep the last word even if it is a title word: "Mr. King" is King, not nothing.
    while end - start > 1 and (
        doc[start].is_punct
        or doc[start].lower_ in strip_front
        or doc[start].pos_ == "VERB"  # "Praising Celtic"
        or (person and _is_title_acronym(doc[start]))  # "MEC Mamabolo", "MP Jo Cox"
    ):
        start += 1
    # A span the NER ran on into the sentence ("Trump told The Associated Press of ...", "Maria
    # Hinojosa Explained Why ..."): a name stops at its first verb or lowercase word.
    for i in range(start + 1, end):
        t = doc[i]
        hyphenated = (
            doc[i - 1].text in ("-", "‑")
            and not doc[i - 1].whitespace_
            and i >= 2
            and not doc[i - 2].whitespace_
            and len(t.text) <= 5
            and t.tag_ not in ("VBN", "VBD", "VBG", "JJ")
        )
        # "Ban Ki-moon", "Park Geun-hye"; not "Taylor Swift-themed"
        if (
            t.pos_ in ("VERB", "AUX") or (t.is_alpha and t.is_lower and t.lower_ not in NAME_PARTICLES)
        ) and not hyphenated:
            end = i
            break
    while end > start and (doc[end - 1].is_punct or doc[end - 1].text in POSSESSIVE or doc[end - 1].is_space):
        if doc[end - 1].text == "." and end - start == 1:
            break
        end -= 1
    if person:
        # "MEC Jacob Mamabolo", "CEO Jane Doe": a short all-capitals title before a name; "Afrasiab
        # Anwar MBE": honours after it.
        while end - start > 2 and doc[start].is_upper and 2 <= len(doc[start].text) <= 4 and doc[start].is_alpha:
            start += 1
        while end - start > 1 and doc[end - 1].lower_.rstrip(".") in POSTNOMINALS and doc[end - 1].is_upper:
            end -= 1
    return start, end


def _names_a_campaign(toks: Sequence[Token], ent: Span) -> bool:
    """A person's name as the modifier of "campaign" ("the Harris campaign", "the Trump campaign"):
    the campaign is an organisation of its own."""
    if ent.end >= len(toks):
        return False
    after = toks[ent.end]
    return (
        after.lower_ == "campaign"
        and after.pos_ == "NOUN"
        and ent.root.dep_ == "compound"
        and ent.root.head.i == after.i
    )


def _named_as_person(ent: Span) -> bool:
    """A name the article itself presents as a person's: in apposition with a person noun either
    way round ("its CEO, Abdulaziz Jaafar", "Craig Le Clair, principal analyst at Forrester"), or
    right after one ("analyst Craig Le Clair"). Not a name the gazetteer knows as a place."""
    if len(ent) < 2 or not all(t.text[:1].isupper() or t.lower_ in NAME_PARTICLES for t in ent):
        return False
    if any(t.lower_ in ORG_WORDS for t in ent) or load_gazetteer().lookup(ent.text):
        return False
    root = ent.root
    if root.dep_ == "appos" and root.head.lower_ in PERSON_NOUNS:
        return True
    if any(c.dep_ == "appos" and c.lower_ in PERSON_NOUNS for c in root.children):
        return True
    before = ent.doc[ent.start - 1] if ent.start > 0 else None
    return before is not None and before.lower_ in PERSON_NOUNS and before.head.i in range(ent.start, ent.end)


# A description of an organisation may use another word than its name does ("the force" for the
# police, "the paper" for a newspaper); how far back it may name it.
BODY_NOUN_FORMS: dict[str, set[str]] = {
    "force": {"force", "police"},
    "police": {"police", "force", "constabulary"},
    "paper": {"paper", "newspaper"},
    "newspaper": {"paper", "newspaper"},
    "firm": {"firm", "company"},
    "company": {"firm", "company"},
}
BODY_DESCRIPTION_CHARS = 3000


def _body_nouns(span: Span) -> set[str]:
    """The common nouns an organisation's mention names it by: its name's head ("Authority" of
    "Competition and Markets Authority"; "University" of "University of Lagos") and a noun it is
    introduced with ("newspaper Dagens Nyheter", "the charity Oxfam", "Oxfam, the charity")."""
    # English names are headed by their last word, or the last before "of"/"for" (the parse of a
    # name is often wrong: "Devon and Cornwall Police" is rooted at "Devon").
    words = list(span)
    cut = next((k for k, t in enumerate(words) if k and t.lower_ in ("of", "for")), len(words))
    head = words[cut - 1]
    nouns = {head.lower_} if head.is_alpha and head.lower_ not in PERSON_NOUNS else set()
    root = span.root
    doc = span.doc
    before = doc[span.start - 1] if span.start > 0 else None
    if before is not None and before.pos_ == "NOUN" and before.is_lower:
        nouns.add(before.lower_)
    if root.dep_ == "appos" and root.head.pos_ == "NOUN":
        nouns.add(root.head.lower_)
    nouns |= {c.lower_ for c in root.children if c.dep_ == "appos" and c.pos_ == "NOUN"}
    return nouns


def _name_key(tokens: Sequence[str]) -> tuple[str, ...]:
    # "Donald J. Trump" and "Donald Trump" are one person: first and last name decide.
    words = [t for t in tokens if not (len(t.rstrip(".")) == 1 and t[:1].isupper())]
    if len(words) >= 2:
        last = words[-1]
        if last.lower() in NAME_SUFFIXES and len(words) >= 3:
            return (words[0], words[-2], last.lower())
        return (words[0], last)
    return tuple(words)


class ArticleEntities:
    """The entities of one article and the lookups the quote and stance extractors need.

    Besides the NER mentions it keeps *references*: pronouns and descriptions ("he", "the
    cardinal", "a spokesman") already resolved to an entity, in text order. They count as
    mentions for what follows, so "he ... he ... he" stays with the person the first "he" meant.
    """

    def __init__(self, entities: list[Entity], body: Doc | None, acronyms: dict[str, str] | None = None):
        self.entities = entities
        self.acronyms = acronyms or {}  # acronym -> the full name it was introduced after
        self._body = body
        self._by_body_token: dict[int, Entity] = {}
        # (start, is a subject, entity): NER mentions and resolved references of people, and of
        # organisations and countries (for "it said", "a spokesman said").
        self._persons: list[tuple[int, bool, Entity]] = []
        self._bodies: list[tuple[int, bool, Entity]] = []
        self._roles: list[tuple[int, set[str], Entity]] = []  # (start, title words around it, entity)
        # (start, nouns naming it, entity) for organisations: the head noun of its name ("Police" of
        # "Devon and Cornwall Police") and the nouns it is introduced with ("newspaper Dagens Nyheter").
        self._descriptors: list[tuple[int, set[str], Entity]] = []
        self.links: dict[int, Entity | None] = {}  # token index -> what a pronoun/description refers to
        # entity id -> "m" / "f": from titles, else the first name (gender.py), else the pronouns
        # already linked to the person.
        self.gender: dict[str, str] = {}
        self._sent_starts = doc_index(body).sent_starts if body is not None else [0]
        for entity in entities:
            self._index(entity)
        self._sort_persons()

    def _sort_persons(self) -> None:
        self._persons.sort(key=lambda p: p[0])
        self._person_starts = [p[0] for p in self._persons]
        self._bodies.sort(key=lambda p: p[0])
        self._body_starts = [p[0] for p in self._bodies]

    @staticmethod
    def _is_subject(root: Token) -> bool:
        if root.dep_ in ("nsubj", "nsubjpass"):
            return True
        # "Mr Begg's father, Azmat, said", "Tory leader Michael Howard said"
        return root.dep_ in ("appos", "compound") and root.head.dep_ in ("nsubj", "nsubjpass")

    def _index(self, entity: Entity) -> None:
        for m in entity.mentions:
            if m.field != "text":
                continue
            for i in range(m.token_start, m.token_end):
                self._by_body_token.setdefault(i, entity)
            if self._body is None or m.token_end <= m.token_start:
                continue
            span = self._body[m.token_start : m.token_end]
            if entity.label == "PERSON":
                self._persons.append((m.start, self._is_subject(span.root), entity))
                before = self._body[m.token_start - 1].lower_.rstrip(".") if m.token_start > 0 else ""
                if before in MALE_TITLES or before in FEMALE_TITLES:
                    self.gender.setdefault(entity.id, "m" if before in MALE_TITLES else "f")
                roles = {
                    t.lower_
                    for t in self._body[max(0, m.token_start - 4) : m.token_start]
                    if t.is_alpha or t.text.endswith(".")
                }
                roles |= {c.lower_ for c in span.root.children if c.dep_ == "appos"}
                if span.root.dep_ == "appos":
                    roles.add(span.root.head.lower_)
                    roles |= {c.lower_ for c in span.root.head.children if c.dep_ in ("amod", "compound")}
                self._roles.append((m.start, roles, entity))
            elif entity.label in ("ORG", "GPE"):
                self._bodies.append((m.start, self._is_subject(span.root), entity))
                if entity.label == "ORG":
                    self._descriptors.append((m.start, _body_nouns(span), entity))
        if entity.label == "PERSON" and entity.id not in self.gender:
            # No title in the article says: the first name may ("Kamala Harris" is not "he").
            known = name_gender(entity.canonical, TITLE_WORDS | PERSON_TITLES)
            if known is not None:
                self.gender[entity.id] = known

    def for_token(self, token: Token) -> Entity | None:
        return self._by_body_token.get(token.i)

    def add_reference(self, token: Token, entity: Entity | None) -> None:
        """Record what a pronoun or description at `token` refers to (None: nothing)."""
        self.links[token.i] = entity
        if entity is None:
            return
        if token.lower_ in PRONOUN_GENDER and entity.label == "PERSON":
            self.gender.setdefault(entity.id, PRONOUN_GENDER[token.lower_])
        subject = self._is_subject(token)
        if entity.label == "PERSON":
            self._persons.append((token.idx, subject, entity))
        elif entity.label in ("ORG", "GPE"):
            self._bodies.append((token.idx, subject, entity))
        else:
            return
        self._sort_persons()

    def _sentence_of(self, offset: int) -> int:
        return bisect.bisect_right(self._sent_starts, offset) - 1

    def _antecedent(
        self,
        items: list[tuple[int, bool, Entity]],
        starts: list[int],
        offset: int,
        skip: Ranges | None,
        exclude: Entity | None = None,
        object_pronoun: bool = False,
        gender: str | None = None,
        subjects_only: bool = False,
    ) -> Entity | None:
        """The entity a pronoun at `offset` most likely refers to, among `items` (sorted mentions).

        1. a subject earlier in the same sentence ("Gref, who ..., said he");
        2. the previous sentence: its only entity, or its latest subject, or its latest mention
           ("But that was not enough for Mr Sarkozy. ... he said");
        3. the three sentences before that: the latest subject, else the latest mention.
        Mentions inside quotation marks (`skip`) are someone else's words and are not used. An
        object pronoun ("working with him") is not its own clause's subject (`exclude`), and may
        refer to anyone named earlier in its sentence ("his relationship with Bush and working
        with him").
        """
        k = self._sentence_of(offset)
        i = bisect.bisect_left(starts, offset) - 1
        by_sentence: dict[int, list[tuple[int, bool, Entity]]] = {}
        while i >= 0:
            start, is_subject, entity = items[i]
            i -= 1
            if skip is not None and skip.contains(start) or entity is exclude:
                continue
            if gender is not None and self.gender.get(entity.id, gender) != gender:
                continue  # "she" is not a man introduced as "Mr Howard"
            if subjects_only and not is_subject:
                continue
            sentence = self._sentence_of(start)
            if sentence < k - 4:
                break
            by_sentence.setdefault(sentence, []).append((start, is_subject, entity))
        same = [e for _, subj, e in by_sentence.get(k, []) if subj or object_pronoun]
        if same:
            return same[0]
        previous = by_sentence.get(k - 1, [])
        if previous:
            distinct = {id(e) for _, _, e in previous}
            if len(distinct) == 1:
                return previous[0][2]
            subjects = [e for _, subj, e in previous if subj]
            return subjects[0] if subjects else previous[0][2]
        for sentence in range(k - 2, k - 5, -1):
            found = by_sentence.get(sentence, [])
            subjects = [e for _, subj, e in found if subj]
            if subjects:
                return subjects[0]
            if found:
                return found[0][2]
        return None

    def last_person_before(
        self,
        offset: int,
        skip: Ranges | None = None,
        exclude: Entity | None = None,
        object_pronoun: bool = False,
        pronoun: str | None = None,
    ) -> Entity | None:
        """The person a "he"/"she" ("him"/"her": `object_pronoun`) at `offset` most likely is (see `_antecedent`)."""
        return self._antecedent(
            self._persons,
            self._person_starts,
            offset,
            skip,
            exclude,
            object_pronoun,
            gender=PRONOUN_GENDER.get(pronoun or ""),
        )

    def last_body_before(self, offset: int, skip: Ranges | None = None) -> Entity | None:
        """The organisation or country an "it" (or an unnamed spokesperson) at `offset` speaks for: one
        that was the subject of a clause ("the OECD said ... it added"), not a mere modifier ("US tycoon")."""
        return self._antecedent(self._bodies, self._body_starts, offset, skip, subjects_only=True)

    def subject_person_of_previous_sentence(self, offset: int, skip: Ranges | None = None) -> Entity | None:
        k = self._sentence_of(offset)
        found = [
            e
            for start, subj, e in self._persons
            if subj and self._sentence_of(start) == k - 1 and not (skip and skip.contains(start))
        ]
        return found[-1] if found else None

    def person_by_role(
        self, role: str, offset: int, modifiers: set[str] | None = None, any_noun: bool = False
    ) -> Entity | None:
        """The person a definite description ("the mayor", "the French president") stands for:
        the latest one before `offset` introduced with that title, preferring one whose
        introduction also carries the description's modifiers ("French President Jacques Chirac");
        None when nobody was introduced so. With `any_noun`, any word the person was introduced
        with counts, not only the known titles ("Disney fan Abby Dunn" ... "the fan explained")."""
        forms = ROLE_FORMS.get(role) or ({role} if role in PERSON_ROLES or any_noun else None)
        if not forms:
            return None
        candidates = [
            (start, roles, entity) for start, roles, entity in self._roles if start < offset and roles & forms
        ]
        if not candidates:
            return None
        if modifiers:
            matching = [c for c in candidates if modifiers & c[1]]
            if matching:
                candidates = matching
        return max(candidates, key=lambda c: c[0])[2]

    def body_by_noun(self, noun: str, offset: int) -> Entity | None:
        """The organisation a definite description ("the force", "the committee", "the paper")
        stands for: the latest one before `offset`, within a few paragraphs, whose name is headed
        by that noun or that was introduced with it; None when none was."""
        forms = BODY_NOUN_FORMS.get(noun, {noun})
        found = [
            (start, entity)
            for start, nouns, entity in self._descriptors
            if start < offset and offset - start <= BODY_DESCRIPTION_CHARS and nouns & forms
        ]
        return max(found, key=lambda f: f[0])[1] if found else None

    def for_name(self, tokens: Sequence[Token], create: bool = True) -> Entity | None:
        """The entity a proper name the NER missed refers to, created if new ("Tester said")."""
        words = [
            t
            for t in tokens
            if t.lower_ not in TITLE_WORDS
            and t.text[:1].isupper()
            and (t.is_alpha or _NAME_WORD.fullmatch(t.text))
            and not (t.is_upper and t.lower_.rstrip(".") in POSTNOMINALS)
        ]
        if not words or any(t.ent_type_ in NOT_NAME_LABELS for t in words):
            return None  # "Saturday said" is a misparse, not a speaker
        text = " ".join(t.text for t in words)
        for e in self.entities:
            if e.canonical == text:
                return e
        if len(words) == 1 and len(text) >= 2:
            # An organisation's acronym, as the article introduced it or as its initials ("Sars
            # collected ..." after "the South African Revenue Service (Sars)"): the organisation.
            full = self.acronyms.get(text)
            bodies = [e for e in self.entities if e.label == "ORG" and len(e.canonical.split()) >= 2]
            named = [e for e in bodies if e.canonical == full] or [
                e for e in bodies if _initials(e.canonical) == text.upper()
            ]
            if len(named) == 1:
                return named[0]
        persons = [e for e in self.entities if e.label == "PERSON"]
        if len(words) == 1:
            matches = [e for e in persons if e.canonical.split()[-1] == text]
            if matches:
                if len(matches) == 1:
                    return matches[0]
                latest = self.last_person_before(words[0].idx)
                return latest if latest in matches else matches[0]
            # "Fox News host Sean Hannity" tagged ORG, then "Hannity said": a two- or three-word
            # name with no organisation word, ending in this surname, was a person's.
            named = [
                e
                for e in self.entities
                if e.label != "PERSON"
                and e.country is None
                and 2 <= len(e.canonical.split()) <= 3
                and e.canonical.split()[-1] == text
                and all(w[:1].isupper() and w.lower() not in ORG_WORDS for w in e.canonical.split())
            ]
            if len(named) == 1:
                named[0].label = "PERSON"
                named[0].id = _unique_id(f"person:{slug(named[0].canonical)}", self.entities)
                self._index(named[0])
                self._sort_persons()
                return named[0]
        else:
            key = _name_key([t.text for t in words])
            for e in persons:
                if _name_key(e.canonical.split()) == key:
                    return e
        if not create or (len(words) == 1 and (len(text) < 3 or text.isupper())):
            return None  # "OH" of "(R-OH)": too short to be a name
        label = "ORG" if any(t.lower_ in ORG_WORDS for t in words) else "PERSON"
        first, last = words[0], words[-1]
        # The mention is the text as written from the first name word to the last (words left out between them
        # stay in it, so its offsets hold); the canonical name is the name words alone.
        end = last.idx + len(last.text)
        mention = Mention(first.doc.text[first.idx : end], first.idx, end, "text", label, first.i, last.i + 1)
        entity = Entity(_unique_id(f"{label.lower()}:{slug(text)}", self.entities), text, label, None, [mention])
        self.entities.append(entity)
        self._index(entity)
        self._sort_persons()
        return entity

    def as_actor(self, entity: Entity, token: Token | None = None) -> Entity:
        """A capital or seat of government acting stands for its country ("Moscow said" -> Russia)."""
        if entity.place_kind not in ("capital", "seat") or not entity.country:
            return entity
        name = country_name(entity.country)
        for e in self.entities:
            if e.canonical == name and e.label == "GPE":
                return e
        mention = next(
            (m for m in entity.mentions if token is not None and m.token_start <= token.i < m.token_end),
            entity.mentions[0],
        )
        country = Entity(
            _unique_id(f"gpe:{slug(name)}", self.entities), name, "GPE", entity.country, [mention], place_kind="country"
        )
        self.entities.append(country)
        return country

    def as_dicts(self) -> list[dict]:
        return [e.as_dict() for e in sorted(self.entities, key=lambda e: e.first_position)]


def _unique_id(base: str, entities: Iterable[Entity]) -> str:
    taken = {e.id for e in entities}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


@dataclass
class _Raw:
    mention: Mention
    tokens: list[str]
    sentence_initial: bool = False  # the name's first word opens its sentence (capitalised anyway)


def _raw_mentions(docs: Sequence[tuple[Doc, str, Ranges]], places: Sequence[CountryMention]) -> list[_Raw]:
    raws: list[_Raw] = []
    for doc, field_name, excluded in docs:
        covered: list[tuple[int, int]] = []
        index = doc_index(doc)
        toks = index.tokens  # a plain list: indexing a Doc makes a new Token each time
        joined = _joined_place_bodies(toks, index.ents)
        for ent in index.ents:
            if ent.label_ not in ENTITY_LABELS or excluded.overlaps(ent.start_char, ent.end_char):
                continue
            if ent.start in joined.values():
                continue  # "Devon" of "Devon and Cornwall Police": part of the body's name
            if ent.start in joined:
                ent = Span(doc, joined[ent.start], ent.end, label=ent.label_)
            if len(ent) == 1 and ent[0].lower_ in TITLE_WORDS:
                continue  # "the Cardinal", "the President": a title alone names nobody
            label = ent.label_
            span_start = ent.start
            # "Cardinal Cormac Murphy-O'Connor" tagged ORG on the surname only: a title and the
            # capitalised words between it and the span make it a person's full name.
            j = span_start
            while (
                j > 0
                and toks[j - 1].pos_ == "PROPN"
                and not toks[j - 1].ent_type_
                and toks[j - 1].is_alpha
                and toks[j - 1].text[:1].isupper()
                and toks[j - 1].lower_ not in TITLE_WORDS
                and span_start - j < 3
            ):
                j -= 1
            before = toks[j - 1] if j > 0 else None
            if before is not None and before.lower_ in PERSON_TITLES and (j < span_start or label != "PERSON"):
                label, span_start = "PERSON", j
            elif toks[ent.start].lower_ in HONORIFICS:
                label = "PERSON"  # "Mr Blair" tagged ORG
            elif label in ("ORG", "GPE", "NORP", "PRODUCT", "FAC", "LOC") and _named_as_person(ent):
                label = "PERSON"
            if label not in ("ORG", "FAC", "EVENT", "LAW") and re.fullmatch(r"[A-Z]{1,4}-?\d{1,2}", ent.text):
                label = "ORG"  # "G8", "G7", "G20" tagged PERSON, NORP or PRODUCT
            ent_end = ent.end
            campaign = label in ("PERSON", "ORG") and _names_a_campaign(toks, ent)
            # "the Police Federation of England and Wales": the NER stops at "and", the name does not.
            if (
                label == "ORG"
                and ent_end + 1 < len(doc)
                and toks[ent_end - 2].lower_ == "of"
                and toks[ent_end].lower_ == "and"
                and toks[ent_end + 1].ent_type_ in ("GPE", "ORG")
                and toks[ent_end - 1].ent_type_ in ("ORG", "GPE")
            ):
                ent_end += 2
            start, end = _trim(doc[span_start:ent_end], person=label == "PERSON")
            if campaign:  # "the Harris campaign said": the campaign speaks and takes sides for itself
                label, end = "ORG", ent_end + 1
            tokens = toks[start:end]
            if not tokens or _is_junk(tokens):
                continue
            raws.append(_raw_of(index, start, end, field_name, label))
            covered.append((ent.start_char, ent.end_char))
        # Organisations the NER missed: a capitalised name that is a clause's subject ("Chief
        # Executive Women called for ...") acts, speaks and takes sides like any named body.
        cover = Ranges(covered)
        for start, end in _unlabelled_subject_names(toks, cover, excluded):
            raw = _raw_of(index, start, end, field_name, "ORG")
            raws.append(raw)
            covered.append((raw.mention.start, raw.mention.end))
        # Places the NER missed but the gazetteer found are entities too.
        cover = Ranges(covered)
        for p in places:
            if p.field != field_name or cover.overlaps(p.start, p.end):
                continue
            span = doc.char_span(p.start, p.end, alignment_mode="expand")
            if span is None:
                continue
            label = "NORP" if p.kind == "demonym" else ("ORG" if p.kind == "seat" else "GPE")
            raws.append(
                _Raw(Mention(p.text, p.start, p.end, field_name, label, span.start, span.end), [t.text for t in span])
            )
    raws.sort(key=lambda r: (r.mention.field != "title", r.mention.start))
    return raws


def _untagged_surnames(
    docs: Sequence[tuple[Doc, str, Ranges]], raws: Sequence[_Raw], surname_of: dict[str, list[tuple[str, ...]]]
) -> list[_Raw]:
    """The surnames of people the article named in full, where the NER missed them ("White didn't
    commit ... But he emphasized", "Le Clair said. He stressed"): without them a later "he" goes
    to the person named before. A capitalised word is such a mention when it is a proper noun or a
    clause's subject and no other capitalised name word stands beside it ("White House")."""
    found: list[_Raw] = []
    for doc, field_name, excluded in docs:
        index = doc_index(doc)
        toks = index.tokens
        taken = {
            i for r in raws if r.mention.field == field_name for i in range(r.mention.token_start, r.mention.token_end)
        }
        for t in toks:
            if t.i in taken or t.text not in surname_of or not t.text[:1].isupper() or excluded.contains(t.idx):
                continue
            if t.pos_ != "PROPN" and t.dep_ not in ("nsubj", "nsubjpass"):
                continue
            after = toks[t.i + 1] if t.i + 1 < len(toks) else None
            before = toks[t.i - 1] if t.i > 0 else None
            if after is not None and after.text[:1].isupper() and after.is_alpha:
                continue
            if (
                before is not None
                and not t.is_sent_start
                and before.text[:1].isupper()
                and before.is_alpha
                and before.lower_ not in NAME_PARTICLES
                and before.lower_ not in TITLE_WORDS
            ):
                continue
            found.append(_raw_of(index, t.i, t.i + 1, field_name, "PERSON"))
    return found


def _raw_of(index, start: int, end: int, field_name: str, label: str) -> _Raw:
    """The raw mention of tokens start..end of a parsed field."""
    tokens = index.tokens[start:end]
    start_char, end_char = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
    mention = Mention(index.text[start_char:end_char], start_char, end_char, field_name, label, start, end)
    return _Raw(mention, [t.text for t in tokens], bool(tokens[0].is_sent_start))


def _joined_place_bodies(toks: Sequence[Token], ents: Sequence[Span]) -> dict[int, int]:
    """Bodies named for two places joined by "and" ("Devon and Cornwall Police", "Trinidad and
    Tobago Police Service"), which the NER splits into a person or place and an organisation:
    the organisation's first token -> where the whole name starts."""
    joined: dict[int, int] = {}
    for ent in ents:
        i = ent.start
        if ent.label_ != "ORG" or i < 2 or toks[i].lower_ in DETERMINERS or toks[i - 1].lower_ != "and":
            continue
        if toks[ent.end - 1].lower_ not in BODY_WORDS:
            continue
        first = toks[i - 2]
        if (
            first.pos_ == "PROPN"
            and first.is_alpha
            and first.text[:1].isupper()
            and not (i >= 3 and toks[i - 3].pos_ == "PROPN" and toks[i - 3].text[:1].isupper())
        ):
            joined[i] = i - 2
    return joined


def _unlabelled_subject_names(toks: Sequence[Token], cover: Ranges, excluded: Ranges) -> list[tuple[int, int]]:
    """Token ranges of organisation names the NER left unlabelled, read off the parse: the subject
    of a verb whose head is a proper noun, with its proper-noun compounds before it and an "of"
    phrase of proper nouns after it ("Gauteng Department of Cooperative Governance"). Only names
    that look like a body's: three capitalised words or more, or an organisation word among
    them ("Treasury Board"); two bare words are as likely a person the NER missed."""
    found: list[tuple[int, int]] = []
    for head in toks:
        if head.dep_ not in ("nsubj", "nsubjpass") or head.pos_ != "PROPN" or head.ent_type_:
            continue
        start = head.i
        while (
            start > 0
            and toks[start - 1].dep_ == "compound"
            and toks[start - 1].head.i in range(start, head.i + 1)
            and toks[start - 1].pos_ == "PROPN"
            and not toks[start - 1].ent_type_
        ):
            start -= 1
        end = head.i + 1
        of = next((c for c in head.rights if c.dep_ == "prep" and c.lower_ == "of"), None)
        if of is not None and of.i == end:
            tail = list(of.subtree)
            if (
                all(t.pos_ in ("PROPN", "CCONJ") or t.lower_ in NAME_PARTICLES for t in tail)
                and tail[-1].pos_ == "PROPN"
                and tail[-1].i + 1 - start <= 12
            ):
                end = tail[-1].i + 1
        words = [t for t in toks[start:end] if t.lower_ not in NAME_PARTICLES]
        if not all(t.text[:1].isupper() and t.is_alpha for t in words):
            continue
        if len(words) < 3 and not any(t.lower_ in BODY_WORDS for t in words):
            continue
        a, b = toks[start].idx, toks[end - 1].idx + len(toks[end - 1].text)
        if cover.overlaps(a, b) or excluded.overlaps(a, b) or load_gazetteer().lookup(toks[start].doc.text[a:b]):
            continue
        found.append((start, end))
    return found


def extract_entities(docs: Sequence[tuple[Doc, str, Ranges]], places: Sequence[CountryMention]) -> ArticleEntities:
    """Canonical entities over an article's fields (title first), given its country mentions."""
    gaz = load_gazetteer()
    raws = _raw_mentions(docs, places)

    # Full person names of the article, in order of first mention.
    full_names: dict[tuple[str, ...], str] = {}
    alias: dict[tuple[str, ...], tuple[str, ...]] = {}
    full_positions: list[tuple[int, int, tuple[str, ...]]] = []
    for r in raws:
        if (
            r.mention.label == "PERSON"
            and len(r.tokens) >= 2
            and r.tokens[0][:1].isupper()
            and r.tokens[-1][:1].isupper()
            and all(t[:1].isupper() or t.lower() in NAME_PARTICLES for t in r.tokens)
        ):
            key = _name_key(r.tokens)
            if key not in full_names and len(r.tokens) == 2 and (r.sentence_initial or r.mention.field == "title"):
                # "Contrasting Biden (...) with Trump": a capitalised word opening the sentence
                # before the surname of someone already named is not a first name.
                earlier = [k for k in full_names if k[-1] == key[-1] and k[0] != key[0]]
                if len(earlier) == 1:
                    alias[key] = earlier[0]
                    continue
            full_names.setdefault(key, r.mention.text)
            full_positions.append((r.mention.field != "title", r.mention.start, key))
    surname_of: dict[str, list[tuple[str, ...]]] = {}
    firstname_of: dict[str, list[tuple[str, ...]]] = {}
    middle_of: dict[str, list[tuple[str, ...]]] = {}  # "Lula" of "Luiz Inácio Lula da Silva"
    for key in full_names:
        if len(key) >= 2:
            surname_of.setdefault(key[1] if key[-1] in NAME_SUFFIXES else key[-1], []).append(key)
            firstname_of.setdefault(key[0], []).append(key)
    for key, text in full_names.items():
        words = text.split()
        for w in words[1:-1]:
            if len(w) >= 3 and w[:1].isupper() and w.lower() not in NAME_PARTICLES and key not in middle_of.get(w, []):
                middle_of.setdefault(w, []).append(key)
    raws = raws + _untagged_surnames(docs, raws, surname_of)
    raws.sort(key=lambda r: (r.mention.field != "title", r.mention.start))

    def person_for(r: _Raw) -> tuple[str, ...] | None:
        if r.mention.label == "PERSON" and len(r.tokens) >= 2:
            key = _name_key(r.tokens)
            return alias.get(key, key)
        if len(r.tokens) != 1 or r.mention.label not in ("PERSON", "ORG", "GPE", "NORP", "LOC", "FAC"):
            return None
        word = r.tokens[0]
        # A first name alone ("Azmat", which the NER took for a place) is that person's unless it
        # names a place the gazetteer knows.
        first_name_ok = r.mention.label == "PERSON" or gaz.lookup(word) is None
        options = (
            surname_of.get(word)
            or (firstname_of.get(word) if first_name_ok else None)
            or (middle_of.get(word) if first_name_ok and len(middle_of.get(word, [])) == 1 else None)
        )
        if not options:
            return None
        if len(options) == 1:
            return options[0]
        # Several people share the name: the one named most recently before this mention.
        here = (r.mention.field != "title", r.mention.start)
        before = [k for f, s, k in full_positions if (f, s) < here and k in options]
        return before[-1] if before else options[0]

    # Country codes the article's country mentions give each character range.
    place_at: dict[tuple[str, int], CountryMention] = {(p.field, p.start): p for p in places}

    groups: dict[tuple, list[_Raw]] = {}
    group_meta: dict[tuple, dict] = {}
    for r in raws:
        known = gaz.lookup(r.mention.text) or ()
        if r.mention.text in AMBIGUOUS_COUNTRY_NAMES and (r.mention.field, r.mention.start) not in place_at:
            known = ()  # "Georgia" the US state: the counting found no corroboration for the country
        country_place = next((p for p in known if p.kind == "country"), None)
        person = person_for(r)
        if person is not None and person in full_names:
            key = ("person", person)
            group_meta.setdefault(key, {"canonical": full_names[person], "label": "PERSON"})
        elif person is not None:  # a one-word PERSON never introduced in full
            key = ("person", person)
            group_meta.setdefault(key, {"canonical": r.mention.text, "label": None})
        elif country_place is not None and len(known) == 1:
            key = ("country", country_place.code)
            group_meta.setdefault(
                key,
                {
                    "canonical": country_name(country_place.code),
                    "label": "GPE",
                    "country": country_place.code,
                    "kind": "country",
                },
            )
        elif known and known[0].kind == "demonym":
            key = ("demonym", known[0].code)
            group_meta.setdefault(
                key, {"canonical": r.mention.text, "label": "NORP", "country": known[0].code, "kind": "demonym"}
            )
        else:
            key = ("text", r.mention.text.lower())
            group_meta.setdefault(key, {"canonical": r.mention.text, "label": None})
        groups.setdefault(key, []).append(r)

    entities: list[Entity] = []
    for key, members in groups.items():
        meta = group_meta[key]
        label = meta["label"]
        if label is None:
            votes = Counter(r.mention.label for r in members)
            top = max(votes.values())
            label = next(r.mention.label for r in members if votes[r.mention.label] == top)
        country = meta.get("country")
        kind = meta.get("kind")
        if label in COUNTRY_LABELS and country is None:
            codes = Counter()
            for r in members:
                for (f, s), p in place_at.items():
                    if f == r.mention.field and r.mention.start <= s < r.mention.end:
                        codes[p.code] += 1
                        kind = kind or p.kind
            if codes:
                country = codes.most_common(1)[0][0]
            elif meta["canonical"] not in AMBIGUOUS_COUNTRY_NAMES:
                found = gaz.lookup(meta["canonical"]) or ()
                if len({p.code for p in found}) == 1:
                    country, kind = found[0].code, found[0].kind
        if label == "ORG" and country is None:
            found = gaz.lookup(meta["canonical"]) or ()
            if len(found) == 1 and found[0].kind == "seat":  # "Kremlin", "White House"
                country, kind = found[0].code, "seat"
        if label not in COUNTRY_LABELS and kind != "seat":
            country = None
        entity = Entity(
            _unique_id(f"{label.lower()}:{slug(meta['canonical'])}", entities),
            meta["canonical"],
            label,
            country,
            [r.mention for r in members],
            place_kind=kind,
        )
        entities.append(entity)
    entities.sort(key=lambda e: e.first_position)
    acronyms = _introduced_acronyms(docs)
    entities = _merge_names(entities, acronyms)
    body = next((doc for doc, f, _ in docs if f == "text"), None)
    return ArticleEntities(entities, body, acronyms)


_SMALL = {"of", "the", "and", "for", "&", "on", "in", "de", "du", "des", "la", "le"}


def _initials(name: str) -> str:
    words = re.findall(r"[A-Za-zÀ-ÿ][\w'’-]*", name)
    return "".join(w[0].upper() for w in words if w.lower() not in _SMALL and w[:1].isupper())


def _introduced_acronyms(docs: Sequence[tuple[Doc, str, Ranges]]) -> dict[str, str]:
    """Acronyms the article introduces after a name: "the Competition and Markets Authority (CMA)"."""
    found: dict[str, str] = {}
    for doc, _, _ in docs:
        text = doc_index(doc).text
        for m in re.finditer(r"\(([A-Z][A-Za-z&]{1,9})\)", text):
            before = doc.char_span(max(0, m.start() - 120), m.start(), alignment_mode="contract")
            if before is None:
                continue
            # The name is the proper-noun run right before the parenthesis ("Gauteng Department of
            # Cooperative Governance and Traditional Affairs (Cogta)").
            words = [t for t in before if not t.is_space]
            run: list[Token] = []
            for t in reversed(words):
                if t.text[:1].isupper() or (t.lower_ in _SMALL and run):
                    run.insert(0, t)
                elif not run:
                    break
                else:
                    break
            while run and run[0].lower_ in _SMALL:
                run = run[1:]
            if len(run) >= 2:
                found.setdefault(m.group(1), " ".join(t.text for t in run))
    return found


def _merge_names(entities: list[Entity], acronyms: dict[str, str]) -> list[Entity]:
    """One actor per organisation, whatever the article calls it (GUIDELINE "Names"): its acronym
    ("CMA" after "the Competition and Markets Authority (CMA)", or "EU" with "European Union") and
    its shorter forms ("Police Federation" of "Police Federation of England and Wales") join the
    full name, which is the canonical one."""
    by_name = {e.canonical: e for e in entities}
    absorbed: dict[str, Entity] = {}

    def target(e: Entity) -> Entity | None:
        if e.label not in ("ORG", "PERSON", "GPE", "NORP", "FAC") or e.country and e.place_kind == "country":
            return None
        name = e.canonical
        full = acronyms.get(name)
        if full is not None:
            found = by_name.get(full) or next((o for o in entities if o is not e and o.canonical.endswith(full)), None)
            if found is not None and found is not e:
                return found
        if name.isupper() and 2 <= len(name) <= 6 and name.isalpha():
            matches = [
                o
                for o in entities
                if o is not e and o.label == "ORG" and len(o.canonical.split()) >= 2 and _initials(o.canonical) == name
            ]
            if len(matches) == 1:
                return matches[0]
        if e.label == "ORG" and len(name.split()) >= 2:
            longer = [
                o
                for o in entities
                if o is not e
                and o.label == "ORG"
                and o.canonical.startswith(name + " ")
                and len(o.canonical) > len(name)
            ]
            if len(longer) == 1:
                return longer[0]
        if e.label == "ORG" and " " not in name and name.lower() in SHORT_FORM_WORDS:
            # "the College" after "the Royal College of GPs": the one body whose name has that word
            having = [o for o in entities if o is not e and o.label == "ORG" and name in o.canonical.split()]
            if len(having) == 1:
                return having[0]
        return None

    for e in entities:
        t = target(e)
        while t is not None and t.id in absorbed:
            t = absorbed[t.id]
        if t is None or t is e:
            continue
        t.mentions.extend(e.mentions)
        t.mentions.sort(key=lambda m: (m.field != "title", m.start))
        if t.label != "PERSON" and e.label == "ORG":
            t.label = "ORG"
        absorbed[e.id] = t
    return [e for e in entities if e.id not in absorbed]
