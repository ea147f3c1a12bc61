"""Stance candidates: an actor's support for or opposition to a target, in the forms news writes them.

Cues come from the CAMEO-derived lexicon (lexicon.py): verbs ("condemned", "backed", "invaded"),
verb + object ("imposed sanctions on", "signed an agreement with", "voiced support for"), event
nouns ("X's condemnation of Y", "Russia's invasion of Ukraine", "with the backing of X"), agent
nouns ("X, a critic of Y"), adjectives ("critical of", "supportive of"), phrasal verbs ("hit out
at") and reciprocal nouns ("the feud between X and Y"). The forms (`Candidate.form`):

* `reporter`: stated by the reporter, active voice ("Moscow has continued to back Maduro");
* `passive`: "was criticised by X", "X-backed", "backed by X";
* `quote`: inside a direct quote, the speaker about itself ("“We condemn ... the attack on our
  journalists,” said X" -> X opposes the attacker the article names);
* `indirect`: reported speech of the speaker's own stance ("X said she backed Y"); what a
  source says of someone else's stance ("Smith said Jones opposed Y") is Smith's claim: none,
  unless a factive verb presents it as fact ("Abbas confirmed Israel shared information with the
  PA"); in a quote or reported speech the speaker's own verdict on someone is the speaker's
  stance ("He said Mr Straw was naive");
* `nominal`: event, agent and adjective forms ("drew rebukes from X", "outspoken in condemning Y");
* `reciprocal`: both directions ("the rivalry between X and Y", "X and Y held joint exercises").

Material cooperation and conflict (CAMEO 06/07, 16-20: "imposed sanctions on", "expelled",
"invaded", "sent aid to") are cues like the others, marked by their code.

Ends: named actors (person, organisation, country; a capital, seat of government, government,
army or demonym acting is its country). A target that names a thing stands for its owner
("criticised Mr Brown's budget" -> Brown, "the Xstrata offer" -> Xstrata, "the Russian attack" ->
Russia); an event with no owner named in the phrase stands for the one the article says did it
("condemned the attack on our journalists" -> the attacker). Pronouns go through reference.py.

Not stances (no candidate): hypotheticals (a modal on the cue or the verb governing it),
questions, negations (a negated support cue is a rejection: "refused to back"), CAMEO's
statements, consultations and intentions (routine contacts: visits, meetings, calls), a cue
whose actor is a thing ("the Willie Horton ads attacking Dukakis"), a dateline place, a cue
asked of someone ("called on G8 nations to fund ..."), a purpose ("ripe for expansion to support
X"), employment ("working with X as programme officer"), a demonym describing a group ("two
Polish companies" are not Poland).
Everything else a candidate is, goes to the verifier (verifier.py), which gives its confidence.
"""

from __future__ import annotations

import bisect
import contextvars
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy
from spacy.attrs import DEP, HEAD, LEMMA, LOWER, POS
from spacy.strings import hash_string
from spacy.symbols import AUX, acomp, attr, dobj
from spacy.tokens import Doc, Span, Token

from ..country_names import country_name
from ..entities import PERSON_ROLES, TITLE_WORDS, ArticleEntities, Entity, Mention, _unique_id, slug
from ..reference import SPOKES_WORDS, STAND_IN_VOICES, resolve, subject_of
from ..text import DocIndex, Ranges, doc_index
from .lexicon import INTENSITY, Cue, Lexicon, cameo_type, load_lexicon

if TYPE_CHECKING:
    from ..quotes import Quote

ACTOR_LABELS = {"PERSON", "ORG", "GPE"}
HYPOTHETICAL = {"could", "would", "might", "may", "can"}
DEONTIC = {"should", "must", "ought"}  # a position in the speaker's own words ("we should stand with X")
REFUSAL_VERBS = {"refuse", "decline", "fail"}
# Verbs that are a stance only negated or refused: "refused to accept X's claims" is a rejection.
NEGATED_ONLY = {"accept", "acknowledge", "endorse", "trust", "believe"}
INTENT_VERBS = {
    "want",
    "plan",
    "intend",
    "hope",
    "seek",
    "expect",
    "aim",
    "vow",
    "pledge",
    "promise",
    "threaten",
    "consider",
    "prepare",
    "propose",
    "wish",
    "try",
    "attempt",
    "ask",
    "urge",
    "call",
    "tell",
    "need",
}
REPORTING_VERBS = {
    "say",
    "tell",
    "claim",
    "argue",
    "insist",
    "add",
    "suggest",
    "believe",
    "think",
    "allege",
    "warn",
    "write",
    "state",
    "report",
    "note",
    "explain",
    "announce",
    "confirm",
    "admit",
    "accuse",
    "reveal",
    "deny",
    "assert",
    "contend",
    "maintain",
    "stress",
    "tweet",
    "testify",
    "acknowledge",
    "complain",
    "charge",
    "indicate",
    "predict",
    "hint",
    "imply",
    "fear",
    "know",
    "reckon",
    "reiterate",
    "repeat",
    "declare",
    "emphasise",
    "emphasize",
    "underline",
    "pledge",
    "vow",
}
# Reporting verbs that present their complement as fact ("confirmed", "announced", "revealed").
FACTIVE_VERBS = {
    "confirm",
    "announce",
    "reveal",
    "disclose",
    "acknowledge",
    "admit",
    "show",
    "prove",
    "learn",
    "discover",
    "realise",
    "realize",
    "concede",
}
APPEAL_VERBS = {
    "urge",
    "call",
    "press",
    "demand",
    "push",
    "pressure",
    "ask",
    "tell",
    "warn",
    "exhort",
    "entreat",
    "implore",
    "beg",
    "adjure",
}
# What an appeal asks the target to stop doing or to give up: the appeal opposes the target.
DEMANDED_ACTIONS = {
    "stop",
    "cease",
    "leave",
    "withdraw",
    "end",
    "halt",
    "release",
    "resign",
    "abandon",
    "quit",
    "drop",
    "refrain",
    "desist",
    "exit",
    "free",
    "surrender",
    "disarm",
    "relinquish",
    "evacuate",
    "apologise",
    "apologize",
    "reverse",
    "scrap",
    "retract",
    "recant",
    "rescind",
    "revoke",
    "concede",
    "pull",
}
DEMANDED_PHRASES = {
    ("get", "out"),
    ("pull", "out"),
    ("step", "down"),
    ("back", "down"),
    ("back", "off"),
    ("stand", "down"),
    ("pull", "back"),
    ("get", "away"),
    ("step", "aside"),
    ("say", "sorry"),
}
# The same asked for by a noun ("urged Biden to manage an exit", "to offer an apology").
DEMANDED_NOUNS = {"exit", "resignation", "withdrawal", "retreat", "apology", "u-turn", "ceasefire", "departure"}
# "found BNP's policies abhorrent", "called him the best person": a verb of judgement whose
# object is given a condemning or praising predicate.
JUDGEMENT_VERBS = {"find", "call", "consider", "deem", "describe", "brand", "label", "declare", "dub", "term"}
CONDEMNING = {
    "abhorrent",
    "unacceptable",
    "disgraceful",
    "deplorable",
    "outrageous",
    "appalling",
    "shameful",
    "scandalous",
    "irresponsible",
    "reckless",
    "despicable",
    "disgusting",
    "racist",
    "illegal",
    "unlawful",
    "hypocritical",
    "dishonest",
    "incompetent",
    "offensive",
    "naive",
    "liar",
    "traitor",
    "criminal",
    "threat",
    "dangerous",
    "corrupt",
    "undesirable",
    "terrorist",
    "grifter",
    "fraud",
    "disaster",
    "failure",
}
PRAISING = {
    "best",
    "great",
    "excellent",
    "hero",
    "decent",
    "brilliant",
    "outstanding",
    "qualified",
    "courageous",
    "honest",
    "remarkable",
    "exceptional",
    "innocent",
}
# Light verbs whose object noun carries the cue, the subject being its actor.
LIGHT_VERBS = {
    "launch",
    "make",
    "issue",
    "express",
    "voice",
    "lead",
    "mount",
    "impose",
    "level",
    "lodge",
    "pour",
    "heap",
    "deliver",
    "wage",
    "conduct",
    "stage",
    "give",
    "offer",
    "provide",
    "extend",
    "send",
    "lend",
    "pledge",
    "declare",
    "announce",
    "signal",
    "throw",
    "file",
    "bring",
    "carry",
    "step",
    "intensify",
    "escalate",
    "continue",
    "renew",
    "reiterate",
    "repeat",
    "sign",
    "hold",
    "unveil",
    "begin",
    "start",
    "order",
    "approve",
    "authorise",
    "authorize",
    "show",
    "have",
    "form",
    "forge",
    "enter",
    "strike",
    "seal",
    "build",
    "maintain",
    "keep",
    "win",
}
# Verbs whose object noun's cue was directed at the subject: "drew rebukes from X".
RECEIVING_VERBS = {
    "draw",
    "receive",
    "face",
    "get",
    "attract",
    "meet",
    "provoke",
    "spark",
    "prompt",
    "trigger",
    "suffer",
    "come",
    "earn",
    "gain",
    "secure",
    "enjoy",
    "win",
    "garner",
    "invite",
    "court",
    "endure",
    "weather",
    "survive",
    "incur",
    "elicit",
    "rely",
    "count",
    "need",
    "seek",
    "lose",
}
# Noun heads that can be actors themselves (people by role, voices of a body, groups).
ACTOR_NOUNS = (
    set(PERSON_ROLES)
    | SPOKES_WORDS
    | {
        "government",
        "administration",
        "army",
        "military",
        "forces",
        "force",
        "troops",
        "ministry",
        "regime",
        "authorities",
        "navy",
        "police",
        "officials",
        "embassy",
        "cabinet",
        "parliament",
        "congress",
        "junta",
        "coalition",
        "prosecutors",
        "prosecutor",
        "court",
        "judge",
        "regulator",
        "regulators",
        "lawmakers",
        "legislators",
        "senators",
        "party",
        "union",
        "campaign",
        "team",
        "company",
        "firm",
        "group",
        "bank",
    }
)
# A country acting through these is the country (guideline, stances rule 5).
GOVERNMENT_NOUNS = {
    "government",
    "administration",
    "army",
    "military",
    "forces",
    "force",
    "troops",
    "ministry",
    "regime",
    "authorities",
    "navy",
    "police",
    "officials",
    "embassy",
    "cabinet",
    "junta",
    "state",
    "leadership",
    "diplomats",
    "soldiers",
    "jets",
    "warplanes",
    "air",
    "prosecutor",
    "prosecutors",
    "office",
    "regulators",
    "regulator",
    "parliament",
    "court",
    "courts",
}
THING_OWNER_PREPS = {"of"}
BEHIND = {"lead", "back", "sponsor", "fund", "run", "organise", "organize", "support", "drive", "finance"}
COUNTRY_WORDS = {"country", "nation", "state"}
# Heads that name an organisation or a group of them: an appositive name is the thing itself, and a
# demonym only says where it is ("two Polish companies").
ORGISH = {
    "company",
    "firm",
    "business",
    "bank",
    "group",
    "university",
    "college",
    "school",
    "institution",
    "organisation",
    "organization",
    "charity",
    "team",
    "club",
    "newspaper",
    "paper",
    "party",
    "startup",
    "agency",
    "network",
    "broadcaster",
    "channel",
    "outlet",
    "union",
    "foundation",
    "institute",
    "body",
    "people",
    "citizen",
    "national",
    "student",
    "player",
    "worker",
    "supplier",
    "maker",
    "producer",
    "manufacturer",
    "carrier",
    "airline",
    "operator",
    "developer",
    "investor",
    "lender",
    "insurer",
}
# People named by what they are: as targets they are themselves, not whoever they work for.
PERSON_NOUNS = {
    "journalist",
    "reporter",
    "correspondent",
    "editor",
    "writer",
    "employee",
    "staffer",
    "aide",
    "adviser",
    "advisor",
    "doctor",
    "student",
    "teacher",
    "woman",
    "man",
    "girl",
    "boy",
    "child",
    "people",
    "person",
    "victim",
    "customer",
    "client",
    "fan",
    "voter",
    "resident",
    "citizen",
    "driver",
    "officer",
    "soldier",
    "player",
    "coach",
    "manager",
    "founder",
    "owner",
    "buyer",
    "seller",
    "investor",
    "shareholder",
    "user",
    "patient",
    "friend",
    "wife",
    "husband",
    "son",
    "daughter",
}
TITLE_OR_ROLE = (
    set(TITLE_WORDS) | set(PERSON_ROLES) | {"congressman", "congresswoman", "commissioner", "mp", "lawmaker"}
)
# Groups named by the body they belong to: "experts from X", "officials at X", "members of X".
GROUP_NOUNS = {
    "expert",
    "experts",
    "official",
    "officials",
    "representative",
    "representatives",
    "member",
    "members",
    "staff",
    "researcher",
    "researchers",
    "scientist",
    "scientists",
    "executive",
    "executives",
    "worker",
    "workers",
    "lawyer",
    "lawyers",
    "leader",
    "leaders",
    "director",
    "head",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "minister",
    "ministers",
    "delegation",
    "negotiators",
}
SENDING_VERBS = {"send", "deliver", "supply", "provide", "dispatch", "deploy", "ship"}
TARGET_PREPS = {"on", "upon", "against", "to", "toward", "towards", "for", "at", "into", "with", "over", "of", "behind"}
DASHES = {"—", "–", "--", "-", "―"}
FIRST_PERSON = {"i", "we", "me", "us", "my", "our", "myself", "ourselves"}
MATERIAL_ROOTS = {"06", "07", "15", "16", "17", "18", "19", "20"}
RECIPROCAL_VERBS = {"merge", "clash", "fight", "quarrel", "feud", "duel", "skirmish", "wrestle", "battle", "square"}
ALWAYS_LOOK = JUDGEMENT_VERBS | APPEAL_VERBS | NEGATED_ONLY | RECIPROCAL_VERBS
FORMS = ("reporter", "passive", "quote", "indirect", "nominal", "reciprocal")
# Training (train.py) reads every candidate of an article through this, instead of the stances.
COLLECTOR: contextvars.ContextVar = contextvars.ContextVar("newswire_stance_candidates")


@dataclass
class Stance:
    actor: Entity
    target: Entity
    polarity: str
    cue: str
    type: str
    evidence: str
    start: int
    end: int
    confidence: float = 1.0
    code: str | None = None
    form: str = "reporter"

    def as_dict(self) -> dict:
        return {
            "actor": self.actor.canonical,
            "actor_id": self.actor.id,
            "target": self.target.canonical,
            "target_id": self.target.id,
            "polarity": self.polarity,
            "cue": self.cue,
            "type": self.type,
            "intensity": INTENSITY[self.type],
            "evidence": self.evidence,
            "start": self.start,
            "end": self.end,
            "confidence": round(self.confidence, 3),
            "cameo": self.code,
            "form": self.form,
        }


@dataclass
class Candidate:
    """One possible stance and what the verifier reads about it."""

    actor: Entity
    target: Entity
    cue: Cue
    cue_text: str
    form: str
    cue_i: int
    actor_i: int
    target_i: int
    sentence: int
    actor_via: str = "name"
    target_via: str = "name"
    negated: bool = False  # a negated support cue turned into a rejection
    derived: bool = False  # the reverse direction of a reciprocal event
    intent: bool = False  # under a verb of intention ("wants to unite it")
    conditional: bool = False
    speaker_confidence: float = 1.0
    n_actors: int = 1
    n_targets: int = 1
    actor_demonym: bool = False  # an end read from a demonym ("Britons", "the Russian attack")
    target_demonym: bool = False


# --- resolution of the two ends ------------------------------------------------------------


class Ends:
    """Resolves actor and target tokens of one article to entities, with how it got there."""

    def __init__(self, doc: Doc, entities: ArticleEntities, quoted: Ranges, datelines: set[int]):
        self.doc = doc
        self.entities = entities
        self.quoted = quoted
        self.datelines = datelines
        self._country_cache: dict[str, Entity] = {}
        self.demonyms: set[int] = set()  # tokens read as their country ("Britons", "the Russian attack")
        self._resolved: dict[tuple, list[tuple[Entity, str]]] = {}

    def country(self, code: str, mention_token: Token | None = None) -> Entity | None:
        if code in self._country_cache:
            return self._country_cache[code]
        name = country_name(code)
        if not name:
            return None
        found = next((e for e in self.entities.entities if e.label == "GPE" and e.canonical == name), None)
        if found is None:
            t = mention_token
            mention = (
                Mention(t.text, t.idx, t.idx + len(t.text), "text", "GPE", t.i, t.i + 1)
                if t is not None
                else Mention(name, 0, 0, "text", "GPE")
            )
            found = Entity(
                _unique_id(f"gpe:{slug(name)}", self.entities.entities),
                name,
                "GPE",
                code,
                [mention],
                place_kind="country",
            )
            self.entities.entities.append(found)
        self._country_cache[code] = found
        return found

    def actorish(self, entity: Entity | None, token: Token) -> Entity | None:
        """Entities that can hold a stance: people, organisations, countries (a demonym, capital or
        seat of government acting is its country)."""
        if entity is None:
            return None
        if entity.label in ("NORP", "LOC", "FAC") or (entity.label == "GPE" and entity.place_kind == "demonym"):
            if entity.country and entity.place_kind in (None, "demonym", "country", "capital", "seat"):
                self.demonyms.add(token.i)
                return self.country(entity.country, token)
            return None
        if entity.label not in ACTOR_LABELS:
            return None
        if entity.place_kind in ("capital", "seat") and entity.country:
            return self.country(entity.country, token)
        if entity.label == "GPE" and entity.place_kind in ("city", "town"):
            return None  # a town is no actor
        return entity

    def _named(self, token: Token) -> Entity | None:
        entity = self.entities.for_token(token)
        if entity is None:
            return None
        return self.actorish(self.entities.as_actor(entity, token), token)

    def _country_in(self, token: Token) -> Entity | None:
        """ "the Russian government", "US troops", "Israel's army": the country a government noun names."""
        for child in token.children:
            if child.dep_ in ("amod", "compound", "poss", "nmod", "npadvmod") and child.i < token.i:
                if (
                    child.lower_.startswith(("pro-", "anti-"))
                    or child.lower_ in ("pro", "anti", "-")
                    or self.doc[max(0, child.i - 1)].lower_ in ("pro", "anti")
                    or (
                        self.doc[max(0, child.i - 1)].text == "-"
                        and self.doc[max(0, child.i - 2)].lower_ in ("pro", "anti")
                    )
                ):
                    continue  # "the pro-Russian separatist government" is not Russia's
                e = self._named(child)
                if e is not None and e.label == "GPE":
                    return e
                if child.dep_ == "poss" or child.dep_ == "compound":
                    inner = self._country_in(child)
                    if inner is not None:
                        return inner
            if child.dep_ == "prep" and child.lower_ in ("of", "in") and child.i > token.i:
                for pobj in child.children:
                    if pobj.dep_ == "pobj":
                        e = self._named(pobj)
                        if e is not None and e.label == "GPE":
                            return e
        return None

    def resolve(
        self, token: Token, role: str, actor: Entity | None = None, speaker: Entity | None = None
    ) -> tuple[Entity | None, str]:
        """(entity, how): how = name / pronoun / speaker / role / government / owner / none."""
        found = self.resolve_all(token, role, actor, speaker)
        return found[0] if found else (None, "none")

    def resolve_all(
        self, token: Token, role: str, actor: Entity | None = None, speaker: Entity | None = None, depth: int = 0
    ) -> list[tuple[Entity, str]]:
        """Every entity a phrase stands for: one, or several ("parties including the DA and the
        EFF", "the Biden-Harris ticket")."""
        key = (
            token.i,
            role,
            actor.id if actor is not None else None,
            speaker.id if speaker is not None else None,
            depth,
        )
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = self._resolve_all(token, role, actor, speaker, depth)
        return found

    def _resolve_all(
        self, token: Token, role: str, actor: Entity | None, speaker: Entity | None, depth: int
    ) -> list[tuple[Entity, str]]:
        if token.i in self.datelines or depth > 3:
            return []
        lower = token.lower_
        if lower in FIRST_PERSON and token.pos_ == "PRON":  # not "US"
            return [(speaker, "speaker")] if speaker is not None else []
        if token.pos_ == "PRON" or token.tag_ in ("PRP", "PRP$", "WP", "WP$", "WDT"):
            e = None
            if role == "target" and lower in ("him", "her") and token.i not in self.entities.links:
                e = self.entities.last_person_before(
                    token.idx, self.quoted, exclude=actor, object_pronoun=True, pronoun=lower
                )
            elif lower in ("his", "her") and token.dep_ == "poss":
                e = self.entities.last_person_before(token.idx, self.quoted, pronoun="he" if lower == "his" else "she")
            elif lower == "its" or (lower == "it" and role == "actor"):
                e = self.entities.last_body_before(token.idx, self.quoted)
            elif lower in ("which", "that", "who", "whom", "whose") and token.head.dep_ == "relcl":
                return self.resolve_all(token.head.head, role, actor, speaker, depth + 1)
            else:
                e = resolve(token, self.entities, self.quoted)
            e = self.actorish(e, token)
            return [(e, "pronoun")] if e is not None else []
        named = self._named(token)
        if named is not None and not (" " not in named.canonical and named.canonical.lower() in TITLE_OR_ROLE):
            return [(named, "name")]  # (a title alone the NER took for a name is nobody: "Congressman")
        lemma = token.lemma_.lower()
        if token.pos_ == "PROPN" and lemma not in GOVERNMENT_NOUNS and lower not in TITLE_WORDS:
            # a name the NER missed, if the article knows it ("Tester"); never a new entity from here
            chain = [token] + [c for c in token.lefts if c.dep_ == "compound" and c.pos_ == "PROPN"]
            chain.sort(key=lambda t: t.i)
            e = self.actorish(self.entities.for_name(chain, create=False), token)
            if e is not None:
                return [(e, "name")]
        if token.pos_ not in ("NOUN", "PROPN", "ADJ", "X", "NUM"):
            return []
        # "parties including the DA and the EFF", "lawmakers such as X": the names
        members = _prep_objects(token, {"including", "like"}) + [
            c
            for prep in token.children
            if prep.dep_ == "prep" and prep.lower_ == "such"
            for c in _prep_objects(prep, {"as"})
        ]
        if members:
            out = [r for m in members for r in self.resolve_all(m, role, actor, speaker, depth + 1)]
            if out:
                return out
        # "rowdy-sheeters Wilson Garden Naga", "the Italian finance minister, Domenico Siniscalco"
        has_owner = any(c.dep_ == "poss" for c in token.children) and lemma not in ORGISH
        for child in token.children:  # ("his institution, DonNU" is DonNU; "Yukos' arm, Yugansk" is Yukos')
            if child.dep_ == "appos" and child.i > token.i and not (has_owner and role == "target"):
                out = self.resolve_all(child, role, actor, speaker, depth + 1)
                if out:
                    return out
        if lemma in GOVERNMENT_NOUNS or lower in GOVERNMENT_NOUNS:
            country = self._country_in(token)
            if country is not None:
                # "Japanese and Australian troops": every country the modifiers name
                more = [
                    self._named(c)
                    for m in token.children
                    if m.dep_ in ("amod", "compound") and m.i < token.i
                    for c in _with_conjuncts([m])[1:]
                ]
                out = [(country, "government")]
                out += [(e, "government") for e in more if e is not None and e.label == "GPE" and e is not country]
                return out
        if lemma in COUNTRY_WORDS and any(c.dep_ == "det" and c.lower_ == "the" for c in token.children):
            country = self.last_country(token)
            if country is not None:
                return [(country, "government")]
        if lemma in ACTOR_NOUNS or lower in ACTOR_NOUNS or lower in STAND_IN_VOICES or lemma in GROUP_NOUNS:
            # (reference.resolve would make a capitalised title into a new name: "Congressman")
            raw = resolve(token, self.entities, self.quoted) if token.pos_ != "PROPN" else None
            if raw is not None and (
                raw.label == "NORP"
                or raw.place_kind == "demonym"
                or any(
                    c.lower_.startswith(("pro-", "anti-")) or c.lower_ in ("pro", "anti")
                    for c in token.subtree
                    if c.i < token.i
                )
            ):
                raw = None  # "two Polish companies", "the pro-Russian government": not the country itself
            amods = [c.i for c in token.children if c.dep_ == "amod"]
            if (
                raw is not None
                and amods
                and any(m.field == "text" and m.token_start <= i < m.token_end for m in raw.mentions for i in amods)
            ):
                raw = None  # a demonym modifier says where they are from, not who they are
            e = self.actorish(raw, token)
            if e is None and role == "target" and lemma not in ORGISH:
                e = self._country_in(token)  # "expelled Bolivia's ambassador": the country he stands for
                if e is None:  # "the US-led coalition": who leads it
                    owners = self.owners(token)
                    if owners:
                        return [(o, "owner") for o in owners]
            if e is None and lemma in GROUP_NOUNS | ACTOR_NOUNS:
                # "experts from Wren Kitchens", "officials at the ministry"
                for pobj in _prep_objects(token, {"from", "at", "of", "for"}):
                    e = self._named(pobj)
                    if e is not None:
                        break
            return [(e, "role")] if e is not None else []
        if role == "target" and (lemma not in PERSON_NOUNS or token.tag_ in ("NNS", "NNPS")):
            # (a body's staff stand for it: "Cleveland Police's officers")
            return [(o, "owner") for o in self.owners(token)]
        return []  # "an Evening Standard journalist" is a person, not the paper's

    def last_country(self, token: Token) -> Entity | None:
        """ "the country": the country named last before it (within the sentence or the one before)."""
        index = doc_index(self.doc)
        start = max(0, index.sentence_range(max(0, index.sentence_range(token.i)[0] - 1))[0])
        for i in range(token.i - 1, start - 1, -1):
            e = self.entities.for_token(self.doc[i])
            if e is not None and e.label == "GPE" and e.place_kind == "country":
                return e
        return None

    def owners(self, token: Token, depth: int = 0) -> list[Entity]:
        """Whose a thing is: "Mr Brown's budget", "the Xstrata offer", "the Russian attack", "its
        exchange rate", "the policies of the BNP", "the US-led coalition", "the purchase by Rosneft"."""
        if depth > 2:
            return []
        children = list(token.children)
        for child in children:  # an event's doer: "the purchase of X by Rosneft"
            if child.dep_ in ("prep", "agent") and child.lower_ == "by":
                out = [e for p in child.children if p.dep_ == "pobj" for e, _ in self.resolve_all(p, "target")]
                if out:
                    return out
        for child in children:
            if child.dep_ == "poss":
                out = [e for e, _ in self.resolve_all(child, "owner")]
                if out:
                    return out
        for child in children:
            if child.dep_ == "amod" and child.lemma_.lower() in BEHIND and child.tag_ == "VBN":
                # "the US-led coalition", "a Brazil-led programme"
                for c in child.children:
                    if c.dep_ in ("npadvmod", "compound", "nmod", "amod") and c.i < child.i:
                        e = self._named(c)
                        if e is not None:
                            return [e]
        out: list[Entity] = []
        demonym_ok = token.lemma_.lower() not in ORGISH  # "two Polish companies" are not Poland's
        for child in children:
            if child.dep_ == "amod" and not demonym_ok:
                continue
            if child.dep_ in ("compound", "amod", "nmod") and child.i < token.i:
                # "the Biden-Harris ticket": both halves of a hyphenated pair
                for c in [child] + [
                    g for g in child.children if g.dep_ in ("compound", "amod", "nmod") and g.i < child.i
                ]:
                    e = self._named(c)
                    if e is None and c.pos_ == "PROPN":
                        e = self.actorish(self.entities.for_name([c], create=False), c)
                    if e is not None and e not in out:
                        out.append(e)
        if out:
            return out
        for child in children:
            if child.dep_ == "prep" and child.lower_ in THING_OWNER_PREPS:
                for pobj in child.children:
                    if pobj.dep_ == "pobj":
                        found = [e for e, _ in self.resolve_all(pobj, "target", depth=depth + 1)]
                        if found:
                            return found
        if token.lower_ in ("which", "that") and token.head.dep_ == "relcl":
            return self.owners(token.head.head, depth + 1)
        return []


def _with_conjuncts(heads: list[Token]) -> list[Token]:
    """The heads and every conjunct chained to them ("the US, India, Australia and Japan")."""
    out = list(heads)
    k = 0
    while k < len(out) and len(out) < 40:
        out.extend(c for c in out[k].children if c.dep_ == "conj" and c not in out)
        k += 1
    return out


def _prep_objects(token: Token, preps: set[str]) -> list[Token]:
    out = []
    for child in token.children:
        if child.dep_ in ("prep", "dative") and child.lower_ in preps:
            out.extend(c for c in child.children if c.dep_ == "pobj")
            for conj in child.children:  # "on X and on Y"
                if conj.dep_ == "conj" and conj.pos_ == "ADP":
                    out.extend(c for c in conj.children if c.dep_ == "pobj")
    return _with_conjuncts(out)


def _subjects(verb: Token) -> list[Token]:
    subject = subject_of(verb)
    if subject is None and verb.dep_ in ("xcomp", "pcomp", "prep") and verb.head.pos_ == "ADJ":
        adj = verb.head  # "was keen to distance himself from", "outspoken in condemning"
        if adj.dep_ in ("acomp", "oprd") and adj.head is not adj:
            subject = subject_of(adj.head)
    elif subject is None and verb.dep_ == "pcomp" and verb.head.dep_ == "prep" and verb.head.head.pos_ == "ADJ":
        adj = verb.head.head
        if adj.dep_ in ("acomp", "oprd") and adj.head is not adj:
            subject = subject_of(adj.head)
    if subject is None:
        return []
    return _with_conjuncts([subject]) + [c for c in subject.children if c.dep_ == "appos"]


def _negated(verb: Token) -> bool:
    if any(c.dep_ == "neg" for c in verb.children):
        return True
    if verb.dep_ in ("xcomp", "conj") and verb.head is not verb:
        head = verb.head
        if verb.dep_ == "xcomp" and head.lemma_.lower() in REFUSAL_VERBS:
            return True
        if verb.dep_ == "xcomp" and any(c.dep_ == "neg" for c in head.children):
            return True
    return False


def _hypothetical(verb: Token, deontic_ok: bool = False) -> bool:
    node = verb
    for _ in range(3):  # "could use to threaten": the modal may sit on the governing verb
        if any(
            c.dep_ == "aux" and (c.lower_ in HYPOTHETICAL or (c.lower_ in DEONTIC and not deontic_ok))
            for c in node.children
        ):
            return True
        if any(c.dep_ == "mark" and c.lower_ in ("if", "unless", "whether") for c in node.children):
            return True
        if node.dep_ not in ("xcomp", "advcl", "conj", "acl", "relcl") or node.head is node:
            return False
        node = node.head
    return False


def _intent(verb: Token) -> bool:
    node = verb
    for _ in range(2):
        if node.dep_ == "xcomp" and node.head.lemma_.lower() in INTENT_VERBS:
            return True
        if node.head is node:
            return False
        node = node.head
    return False


def _demanded_action(verb: Token) -> Token | None:
    """For "urge X to get out" / "call on X to cease": the demanded verb, if it asks X to stop or leave."""
    for child in verb.children:
        if child.dep_ in ("xcomp", "ccomp", "advcl") and child.pos_ in ("VERB", "AUX"):
            lemma = child.lemma_.lower()
            particles = {c.lower_ for c in child.children if c.dep_ in ("prt", "advmod")}
            if lemma in DEMANDED_ACTIONS or any((lemma, p) in DEMANDED_PHRASES for p in particles):
                return child
            if any(c.dep_ == "dobj" and c.lemma_.lower() in DEMANDED_NOUNS for c in child.children):
                return child
            if child.dep_ == "xcomp" and any(c.dep_ == "neg" for c in child.children):  # "urged X not to ..."
                return child
    return None


def _reporting_head(verb: Token) -> Token | None:
    """The speech verb whose reported content `verb` is in ("Abbas confirmed Israel shared ...")."""
    node = verb
    for _ in range(6):
        if (
            node.dep_ in ("ccomp", "parataxis")
            and node.head.pos_ in ("VERB", "AUX")
            and node.head.lemma_.lower() in REPORTING_VERBS
        ):
            return node.head
        if node.head is node:
            return None
        if (
            node.dep_ == "advcl"
            and any(c.dep_ == "mark" for c in node.children)
            and any(c.dep_ in ("nsubj", "nsubjpass") for c in node.children)
        ):
            return None  # "... even as he lashes out at her": its own clause
        node = node.head
    return None


def datelines(doc: Doc) -> set[int]:
    """Token indices of datelines: "LOUISVILLE, Ky. — ", "WASHINGTON (AP) — ", at a paragraph's start."""
    out: set[int] = set()
    index = doc_index(doc)
    text = index.text
    tokens = index.tokens
    starts = index.sent_token_starts
    for k, start in enumerate(index.sent_starts):
        if start > 2 and "\n" not in text[start - 3 : start]:
            continue  # a dateline opens a paragraph
        if not any(d in text[start : start + 60] for d in ("—", "–", "--", " - ", "―")):
            continue
        first = starts[k]
        end = starts[k + 1] if k + 1 < len(starts) else len(tokens)
        for i in range(first, min(end, first + 12)):
            t = tokens[i]
            if t.text in DASHES and i > first:
                head = tokens[first]
                if head.text.isupper() or head.ent_type_ in ("GPE", "LOC", "ORG"):
                    out.update(range(first, i))
                break
            if t.is_alpha and t.is_lower and t.lower_ not in ("and", "of"):
                break
    return out


# --- the candidates --------------------------------------------------------------------------


class _Finder:
    def __init__(
        self,
        doc: Doc,
        entities: ArticleEntities,
        excluded: Ranges,
        quoted: Ranges,
        quotes: Sequence[Quote],
        lexicon: Lexicon,
    ):
        self.doc = doc
        self.index = doc_index(doc)
        self.entities = entities
        self.excluded = excluded
        self.quoted = quoted
        self.lex = lexicon
        self.ends = Ends(doc, entities, quoted, datelines(doc))
        self.found: list[Candidate] = []
        self.events: list[tuple[str, Entity, int]] = []  # (event lemma, actor, token): who did what
        self.pending: list[tuple[Entity, str, Token, Cue, str, int, str, float, int]] = []
        direct = [q for q in quotes if q.kind != "indirect"]
        indirect = [q for q in quotes if q.kind == "indirect"]
        self._direct = sorted(((q.start - 1, q.end + 1, q) for q in direct), key=lambda x: x[0])
        self._direct_starts = [s for s, _, _ in self._direct]
        self._indirect = sorted(((q.start, q.end, q) for q in indirect), key=lambda x: x[0])
        self._questions: dict[int, bool] = {}

    # where a cue sits: the reporter's words, a quote, reported speech
    def quote_at(self, offset: int) -> Quote | None:
        i = bisect.bisect_right(self._direct_starts, offset) - 1
        if i >= 0 and offset < self._direct[i][1]:
            return self._direct[i][2]
        return None

    def indirect_at(self, offset: int) -> Quote | None:
        for s, e, q in self._indirect:
            if s <= offset < e:
                return q
            if s > offset:
                break
        return None

    def sentence_of(self, i: int) -> int:
        return max(0, bisect.bisect_right(self.index.sent_token_starts, i) - 1)

    def question(self, i: int) -> bool:
        """Is the sentence of token `i` a question?"""
        k = self.sentence_of(i)
        found = self._questions.get(k)
        if found is None:
            starts = self.index.sent_starts
            end = starts[k + 1] if k + 1 < len(starts) else len(self.index.text)
            found = self._questions[k] = self.index.text[starts[k] : end].rstrip().endswith("?")
        return found

    def context(self, cue_token: Token) -> tuple[str, Entity | None, float] | None:
        """(form, speaker, speaker confidence) for a cue: the reporter's ("reporter", None), a
        quote's, or reported speech's; None when the cue is in someone's words but no speaker is known."""
        if self.quoted.contains(cue_token.idx):
            q = self.quote_at(cue_token.idx)
            if q is None or q.speaker is None:
                return None
            return "quote", self.ends.actorish(q.speaker, cue_token) or q.speaker, q.confidence or 0.5
        head = _reporting_head(cue_token)
        if head is not None and head.lemma_.lower() in FACTIVE_VERBS:
            return "reporter", None, 1.0  # "Abbas confirmed Israel shared ...": presented as fact
        q = self.indirect_at(cue_token.idx) if head is None or not self.quoted.contains(head.idx) else None
        if head is not None or q is not None:
            speaker = None
            conf = 0.5
            if q is not None and q.speaker is not None:
                speaker, conf = q.speaker, q.confidence or 0.5
            elif head is not None:
                s = subject_of(head)
                if s is not None:
                    speaker, _ = self.ends.resolve(s, "actor")
            if speaker is None:
                return None
            return "indirect", self.ends.actorish(speaker, cue_token) or speaker, conf
        return "reporter", None, 1.0

    def _we(self, token: Token, cue_token: Token, speaker: Entity | None) -> Entity | None:
        """Who "we" is: the body whose statement holds it ("The EU has reiterated that we support"),
        else the quote's speaker."""
        if token.lower_ not in ("we", "us", "our"):
            return speaker
        head = _reporting_head(cue_token)
        if head is not None and self.quoted.contains(head.idx):
            s = subject_of(head)
            if s is not None:
                e = self.ends._named(s)
                if e is not None and e.label in ("ORG", "GPE"):
                    return e
        return speaker

    def add(
        self,
        actor_tokens: list[Token],
        target_tokens: list[Token],
        cue: Cue,
        cue_text: str,
        cue_token: Token,
        form: str,
        *,
        reciprocal: bool = False,
        negated: bool = False,
        pairwise: bool = False,
        fixed_actor: tuple[Entity, str] | None = None,
        targets_resolved: list[tuple[Entity, str, int]] | None = None,
    ) -> None:
        ctx = self.context(cue_token)
        if ctx is None:
            return
        where, speaker, speaker_conf = ctx
        actors: list[tuple[Entity, str, int]] = []
        if fixed_actor is not None:
            actors.append((fixed_actor[0], fixed_actor[1], cue_token.i))
        for t in actor_tokens:
            for e, how in self.ends.resolve_all(t, "actor", speaker=self._we(t, cue_token, speaker)):
                actors.append((e, how, t.i))
        if where != "reporter":
            # Someone's words hold a stance only of the one speaking ("we", "I", or their own name).
            actors = [
                (e, how, i)
                for e, how, i in actors
                if how == "speaker"
                or (speaker is not None and e.id == speaker.id and (where == "indirect" or how == "name"))
            ]
            if not actors:
                return
        targets = list(targets_resolved or [])
        first_actor = actors[0][0] if actors else None
        for t in target_tokens:
            found = self.ends.resolve_all(t, "target", actor=first_actor, speaker=speaker)
            if not found:
                event = self.lex.nouns.get(t.lemma_.lower())
                if (
                    event is not None
                    and event.polarity == "oppose"
                    and cue.polarity == "oppose"
                    and first_actor is not None
                ):
                    # "condemned the attack on our journalists": the attacker, found later
                    self.pending.append(
                        (
                            first_actor,
                            event.lemma or t.lemma_.lower(),
                            cue_token,
                            cue,
                            cue_text,
                            t.i,
                            where,
                            speaker_conf,
                            len(actors),
                        )
                    )
                continue
            targets.extend((e, how, t.i) for e, how in found)
        if not actors:
            return
        form_name = where if where != "reporter" else form
        sentence = self.sentence_of(cue_token.i)
        intent = _intent(cue_token)
        cond = any(c.dep_ == "mark" and c.lower_ in ("if", "unless") for c in cue_token.children)
        if pairwise and not targets and len(actors) > 1:
            for a in actors:
                for b in actors:
                    if a[0].id != b[0].id:
                        self._push(
                            a,
                            b,
                            cue,
                            cue_text,
                            "reciprocal",
                            cue_token,
                            sentence,
                            negated,
                            True,
                            intent,
                            cond,
                            speaker_conf,
                            len(actors),
                            len(actors),
                        )
            return
        for a in actors:
            for b in targets:
                if a[0].id == b[0].id:
                    continue
                self._push(
                    a,
                    b,
                    cue,
                    cue_text,
                    form_name,
                    cue_token,
                    sentence,
                    negated,
                    False,
                    intent,
                    cond,
                    speaker_conf,
                    len(actors),
                    len(targets),
                )
                if (reciprocal or cue.reverse) and self.doc[b[2]].head.lower_ in ("with", "between", "and"):
                    back = Cue(
                        cue.reverse or cue.code,
                        cameo_type(cue.reverse or cue.code) or cue.type,
                        cue.polarity,
                        None,
                        cue.lemma,
                    )
                    self._push(
                        b,
                        a,
                        back,
                        cue_text,
                        "reciprocal",
                        cue_token,
                        sentence,
                        negated,
                        True,
                        intent,
                        cond,
                        speaker_conf,
                        len(actors),
                        len(targets),
                    )

    def _push(
        self,
        a,
        b,
        cue: Cue,
        cue_text: str,
        form: str,
        cue_token: Token,
        sentence: int,
        negated: bool,
        derived: bool,
        intent: bool,
        cond: bool,
        speaker_conf: float,
        n_actors: int,
        n_targets: int,
    ) -> None:
        demonyms = self.ends.demonyms
        self.found.append(
            Candidate(
                a[0],
                b[0],
                cue,
                cue_text,
                form,
                cue_token.i,
                a[2],
                b[2],
                sentence,
                a[1],
                b[1],
                negated,
                derived,
                intent,
                cond,
                speaker_conf,
                n_actors,
                n_targets,
                a[2] in demonyms,
                b[2] in demonyms,
            )
        )

    # verbs -----------------------------------------------------------------------------------
    def verb(self, verb: Token) -> None:
        lex = self.lex
        lemma = verb.lemma_.lower()
        children = list(verb.children)
        deps = {c.dep_ for c in children}
        if lemma not in lex.verbs:
            # a verb that is a cue only in some construction: look no further without its parts
            possible = (
                (
                    "dobj" in deps
                    and any(c.dep_ == "dobj" and (lemma, c.lemma_.lower()) in lex.objects for c in children)
                )
                or (lemma in lex.phrasal_verbs and ("prep" in deps or "dative" in deps or "dobj" in deps))
                or ("prt" in deps and lemma in lex.particle_lemmas)
                or (lemma in JUDGEMENT_VERBS and ("dobj" in deps or "nsubjpass" in deps))
                or (lemma in APPEAL_VERBS and bool(deps & {"xcomp", "ccomp", "advcl"}))
                or (lemma in NEGATED_ONLY and ("neg" in deps or verb.dep_ == "xcomp"))
                or (lemma in lex.passive and "agent" in deps)
                or lemma in RECIPROCAL_VERBS
            )
            if not possible:
                return
        particles = [c.lower_ for c in children if c.dep_ == "prt"]
        dobjs = [c for c in children if c.dep_ in ("dobj", "dative")]
        cue: Cue | None = None
        cue_text = verb.text
        targets: list[Token] | None = None
        # phrasal: "hit out at X", "pay tribute to X", "work with X"
        if lemma in lex.phrasal_verbs:
            middles = [""] + particles + [d.lemma_.lower() for d in dobjs]
            # the preposition may hang on the verb or on its object ("took strong exception to X")
            preps = [c for c in children if c.dep_ in ("prep", "dative")] + [
                c for d in dobjs for c in d.children if c.dep_ == "prep"
            ]
            for child in preps:
                for middle in middles:
                    found = lex.phrasal.get((lemma, middle, child.lower_))
                    if found is None:
                        continue
                    objs = _with_conjuncts([c for c in child.children if c.dep_ == "pobj"])
                    if not objs and child.dep_ == "dative":
                        objs = [child]
                    if objs:
                        cue, targets = found, objs
                        cue_text = " ".join(w for w in (verb.text, middle, child.text) if w)
                        break
                if cue is not None:
                    break
            if cue is None:  # "sent Mr Bush his warmest congratulations": the dative is the "to"
                datives = [c for c in children if c.dep_ == "dative"]
                for d in dobjs:
                    found = lex.phrasal.get((lemma, d.lemma_.lower(), "to")) or lex.phrasal.get((lemma, d.lower_, "to"))
                    if found is not None and datives and d not in datives:
                        cue, targets, cue_text = found, _with_conjuncts(datives), f"{verb.text} {d.text}"
                        break
        if cue is None and particles:
            for p in particles:
                found = lex.particle_verbs.get((lemma, p))
                if found is not None:
                    cue, cue_text = found, f"{verb.text} {p}"
                    break
        if cue is None:
            for d in dobjs:
                found = lex.objects.get((lemma, d.lemma_.lower()))
                if found is not None:
                    cue, cue_text = found, f"{verb.text} {d.text}"
                    preps = (
                        # "sent troops into Ukraine" is no help to it: "into" names a recipient only when merging
                        ({"to", "with"} if lemma in SENDING_VERBS else {"to", "with", "into"})
                        if found.type in ("provide_aid", "material_cooperation")
                        else TARGET_PREPS
                    )
                    targets = _prep_objects(d, preps) + _prep_objects(verb, preps - {"of"})
                    event = lex.nouns.get(d.lemma_.lower())
                    if found.polarity == "oppose" and event is not None and event.polarity == "oppose":
                        targets = [d]  # "condemned the attack on X": whoever attacked, not X
                    elif not targets and found.type not in ("provide_aid", "material_cooperation"):
                        targets = [d]  # "condemned the Russian attack": the object's owner
                    break
        judged = None
        if cue is None and lemma in JUDGEMENT_VERBS and any(c.dep_ == "nsubjpass" for c in children):
            # "X was declared an “undesirable” organization by Y"
            words = set()
            for c in children:
                if c.dep_ in ("oprd", "attr", "acomp", "xcomp"):
                    words |= {c.lower_, c.lemma_.lower()} | {
                        g.lower_ for g in c.children if g.dep_ in ("amod", "compound")
                    }
            if words & CONDEMNING:
                cue, cue_text = Cue("111", "criticize_or_accuse", "oppose"), verb.text
            elif words & PRAISING:
                cue, cue_text = Cue("051", "praise", "support"), verb.text
            if cue is not None and not any(c.dep_ == "agent" for c in children):
                # "declared an “undesirable” organization by the prosecutor's office": the by-phrase
                # hangs on the predicate
                by = [p for c in children if c.dep_ in ("oprd", "attr") for p in _prep_objects(c, {"by"})]
                if by:
                    self.add(
                        by,
                        _with_conjuncts([c for c in children if c.dep_ == "nsubjpass"]),
                        cue,
                        cue_text,
                        verb,
                        "passive",
                    )
                return
        if cue is None and lemma in JUDGEMENT_VERBS:
            judged = self._judged(verb, dobjs)
            if judged is not None:
                cue, targets = judged
                cue_text = verb.text
        if cue is None:
            cue = lex.verbs.get(lemma)
            if cue is not None and cue.type == "appeal_or_demand" and _demanded_action(verb) is None:
                cue = None
        if (
            cue is None
            and lemma in lex.passive
            and any(c.dep_ == "agent" for c in children)
            and (any(c.dep_ == "nsubjpass" for c in children) or verb.dep_ in ("acl", "relcl"))
        ):
            cue = lex.passive[lemma]  # "have been held by the US": detention
        if cue is None and lemma in NEGATED_ONLY and _negated(verb):
            cue = Cue("120", "reject", "oppose")  # "refuses to accept Syria's denials"
            targets = self._objects(verb, dobjs, cue)
            if _hypothetical(verb):
                return
            self.add(_subjects(verb), targets, cue, verb.text, verb, "reporter", negated=True)
            return
        if cue is None and lemma in APPEAL_VERBS and _demanded_action(verb) is not None:
            cue = Cue("100", "appeal_or_demand", "oppose")
        if cue is None:
            return
        if lemma == "call" and cue.type == "appeal_or_demand":
            on = [c for c in children if c.dep_ == "prep" and c.lower_ in ("on", "upon")]
            if on:
                cue_text = f"{verb.text} {on[0].text}"
        if _hypothetical(verb, deontic_ok=self.quoted.contains(verb.idx)):
            return
        if verb.dep_ == "xcomp" and verb.head.lemma_.lower() in APPEAL_VERBS | {"want", "hope", "wish"}:
            return  # "called on G8 nations to fund ...": a request, not a stance of anyone
        if verb.dep_ in ("acl", "relcl") and "aux" in deps and any(c.lower_ == "to" for c in children):
            return  # "ripe for expansion to support X", "a plan to back Y": a purpose, not a stance
        if cue.type == "cooperate" and any(c.dep_ == "prep" and c.lower_ == "as" for c in children):
            return  # "working with X as programme officer": employment, not cooperation
        negated = _negated(verb)
        if negated:
            if cue.polarity == "oppose" or cue.type not in ("express_support", "praise", "recognize", "cooperate"):
                return
            cue = Cue("120", "reject", "oppose", None, cue.lemma)
        if self.question(verb.i):
            return
        reciprocal = lemma in RECIPROCAL_VERBS or bool(cue.reverse)
        # the hyphenated actor: "Moscow-backed candidate"
        if verb.dep_ == "amod" and verb.tag_ == "VBN":
            for child in children:
                if (
                    child.dep_ in ("npadvmod", "compound", "nmod")
                    and child.i == verb.i - 2
                    and self.doc[verb.i - 1].text == "-"
                ):
                    modified = [verb.head]
                    while modified[-1].dep_ == "compound" and modified[-1].head is not modified[-1]:
                        modified.append(modified[-1].head)
                    self.add([child], _with_conjuncts(modified), cue, cue_text, verb, "passive")
                    return
        passive_subjects = [c for c in children if c.dep_ == "nsubjpass"]
        agents = [p for c in children if c.dep_ == "agent" for p in c.children if p.dep_ == "pobj"]
        if passive_subjects or (verb.tag_ == "VBN" and agents):
            agents = _with_conjuncts(agents)
            patients = (
                _with_conjuncts(passive_subjects)
                if passive_subjects
                else ([verb.head] if verb.dep_ in ("acl", "relcl", "advcl") else [])
            )
            if targets is not None and not passive_subjects:
                patients = targets
            self.add(agents, patients, cue, cue_text, verb, "passive", reciprocal=reciprocal, negated=negated)
            if not agents:
                self._note_event(verb, cue, None)
            return
        if verb.dep_ == "acl" and verb.tag_ == "VBG":
            actor_tokens = [verb.head]  # "the ads attacking X": only if the noun itself is an actor
        else:
            actor_tokens = _subjects(verb)
        if targets is None:
            targets = self._objects(verb, dobjs, cue)
        self._note_event(verb, cue, actor_tokens)
        self.add(
            actor_tokens,
            targets,
            cue,
            cue_text,
            verb,
            "reporter",
            reciprocal=reciprocal,
            negated=negated,
            pairwise=reciprocal,
        )

    def copula(self, aux: Token) -> None:
        """In a quote or reported speech, the speaker's verdict on a named actor ("He said Mr Straw
        was “naive beyond belief”", "“They are innocent people”"): the speaker's stance."""
        if self.quoted.contains(aux.idx):
            pass
        elif _reporting_head(aux) is None and self.indirect_at(aux.idx) is None:
            return  # the reporter's own description is nobody's stance
        subjects = [c for c in aux.children if c.dep_ == "nsubj"]
        predicates = [c for c in aux.children if c.dep_ in ("attr", "acomp")]
        if not subjects or not predicates or _negated(aux) or _hypothetical(aux):
            return
        words = set()
        for p in predicates:
            words |= {p.lower_, p.lemma_.lower()}
        if words & CONDEMNING:
            cue = Cue("111", "criticize_or_accuse", "oppose")
        elif words & PRAISING:
            cue = Cue("051", "praise", "support")
        else:
            return
        ctx = self.context(aux)
        if ctx is None or ctx[1] is None:
            return
        speaker = ctx[1]
        self.add([], _with_conjuncts(subjects), cue, predicates[0].text, aux, ctx[0], fixed_actor=(speaker, "speaker"))

    def _note_event(self, verb: Token, cue: Cue, actor_tokens: list[Token] | None) -> None:
        if cue.polarity != "oppose" or not actor_tokens:
            return
        for t in actor_tokens:
            e, _ = self.ends.resolve(t, "actor")
            if e is not None:
                self.events.append((cue.lemma or verb.lemma_.lower(), e, verb.i))

    def _judged(self, verb: Token, dobjs: list[Token]) -> tuple[Cue, list[Token]] | None:
        """ "found X abhorrent", "called him the best person": the object and the predicate's cue."""
        dobj = next((d for d in dobjs if d.dep_ == "dobj"), None)
        if dobj is None:
            return None
        predicates = [c for c in verb.children if c.dep_ in ("oprd", "acomp", "xcomp", "ccomp", "attr")]
        predicates += [c for c in dobj.children if c.dep_ in ("amod", "appos") and c.i > dobj.i]
        words = set()
        for p in predicates:
            words.add(p.lemma_.lower())
            words.add(p.lower_)
            words.update(c.lower_ for c in p.children if c.dep_ in ("amod", "compound", "advmod"))
        if words & CONDEMNING:
            return Cue("111", "criticize_or_accuse", "oppose"), [dobj]
        if words & PRAISING:
            return Cue("051", "praise", "support"), [dobj]
        return None

    def _objects(self, verb: Token, dobjs: list[Token], cue: Cue) -> list[Token]:
        heads = [d for d in dobjs]
        lemma = verb.lemma_.lower()
        if lemma == "call" or cue.type == "appeal_or_demand":
            heads += [
                c
                for prep in verb.children
                if prep.dep_ == "prep" and prep.lower_ in ("on", "upon")
                for c in prep.children
                if c.dep_ == "pobj"
            ]
        if not heads and cue.type in (
            "cooperate",
            "material_cooperation",
            "provide_aid",
            "use_force",
            "sanction",
            "criticize_or_accuse",
            "threaten",
            "reject",
            "express_support",
        ):
            preps = (
                {"with"}
                if cue.type in ("cooperate", "material_cooperation")
                else ({"to"} if cue.type == "provide_aid" else {"against", "on", "at", "with"})
            )
            heads += [
                c
                for prep in verb.children
                if prep.dep_ == "prep" and prep.lower_ in preps
                for c in prep.children
                if c.dep_ == "pobj"
            ]
        if not heads:
            for conj in verb.children:
                if conj.dep_ == "conj" and conj.pos_ == "VERB" and conj.i > verb.i:
                    heads.extend(c for c in conj.children if c.dep_ == "dobj")
                    break
        if not heads:
            for child in verb.children:  # "back embattled President Maduro" misparsed
                if child.i == verb.i + 1 and child.tag_ in ("VBN", "JJ") and child.dep_ in ("advcl", "amod", "oprd"):
                    heads.extend(c for c in child.children if c.dep_ == "dobj")
        if cue.type in ("provide_aid", "material_cooperation"):  # "allocated R4bn to Sars": the recipient
            heads = [h for h in heads if not (h.like_num or h.ent_type_ in ("MONEY", "CARDINAL", "QUANTITY"))]
            heads += [
                c
                for prep in verb.children
                if prep.dep_ in ("prep", "dative") and prep.lower_ in ("to", "with")
                for c in prep.children
                if c.dep_ == "pobj"
            ]
        return _with_conjuncts(heads)

    # nouns -----------------------------------------------------------------------------------
    def noun(self, noun: Token) -> None:
        lex = self.lex
        lemma = noun.lemma_.lower()
        lower = noun.lower_
        reciprocal = lex.reciprocal.get(lemma) or lex.reciprocal.get(lower)
        if reciprocal is not None:
            self._reciprocal(noun, reciprocal)
            return
        agent = lex.agents.get(lemma) or lex.agents.get(lower)
        if agent is not None:
            self._agent_noun(noun, agent)
            return
        event = lex.nouns.get(lemma) or lex.nouns.get(lower)
        if event is None or event.type == "appeal_or_demand":
            return
        self._event_noun(noun, event)

    def _np_agent(self, noun: Token) -> list[Token]:
        out = [c for c in noun.children if c.dep_ == "poss"]
        out += [
            c
            for c in noun.children
            if c.dep_ in ("compound", "amod", "nmod") and c.i < noun.i and (self.entities.for_token(c) is not None)
        ]
        for prep in noun.children:
            if prep.dep_ == "prep" and prep.lower_ in ("by", "from"):
                out += [c for c in prep.children if c.dep_ == "pobj"]
        return _with_conjuncts(out)

    def _event_noun(self, noun: Token, cue: Cue) -> None:
        if self.question(noun.i):
            return
        if any(c.dep_ == "neg" or c.lower_ in ("no", "without") for c in noun.children):
            return
        head = noun.head
        agents = self._np_agent(noun)
        with_of = noun.dep_ == "pobj" and head.lower_ in ("with", "without", "under")
        preps = {"of", "for", "on", "against", "to", "toward", "towards", "at", "into", "over", "behind"}
        if with_of or (noun.dep_ in ("dobj", "nsubjpass") and head.lemma_.lower() in RECEIVING_VERBS):
            # "with the backing of X", "drew rebukes from X": X is the actor; the clause's subject the target
            if not agents:
                agents = _prep_objects(noun, {"of"})
            clause = head.head if with_of else head
            while clause.dep_ in ("prep", "pcomp", "pobj", "agent") and clause.head is not clause:
                clause = clause.head
            target_tokens = _subjects(clause) if clause.pos_ in ("VERB", "AUX") else []
            if noun.dep_ == "nsubjpass":
                target_tokens = []
            if with_of and head.lower_ == "without":
                return
            self.add(agents, target_tokens, cue, noun.text, noun, "nominal")
            return
        targets = _prep_objects(noun, preps - ({"of"} if not agents and cue.polarity == "support" else set()))
        if not agents and noun.dep_ in ("dobj", "pobj", "attr") and head.pos_ in ("VERB", "AUX", "ADP"):
            verb = head if head.pos_ != "ADP" else head.head
            if verb.pos_ in ("VERB", "AUX") and (verb.lemma_.lower() in LIGHT_VERBS or noun.dep_ == "attr"):
                if _hypothetical(verb) or _negated(verb):
                    return
                agents = _subjects(verb)
                targets += _prep_objects(verb, {"on", "against", "to", "for", "at", "toward", "towards", "with"})
        if not agents:
            # "outspoken in condemning Y": a gerund under an adjective of the subject
            if noun.dep_ in ("pcomp", "pobj") and head.dep_ == "prep" and head.head.pos_ == "ADJ":
                verb = head.head.head
                if verb.pos_ in ("VERB", "AUX"):
                    agents = _subjects(verb)
        if noun.pos_ == "VERB" or noun.tag_ == "VBG":
            targets += [c for c in noun.children if c.dep_ == "dobj"]
        if not agents and not targets:
            return
        if not agents:
            if cue.polarity == "oppose" and targets:
                self._note_event(noun, cue, None)
            return
        if cue.polarity == "oppose":
            self._note_event(noun, cue, agents)
        self.add(agents, _with_conjuncts(targets), cue, noun.text, noun, "nominal")

    def _agent_noun(self, noun: Token, cue: Cue) -> None:
        """ "X, a critic of Y", "X is a supporter of Y", "Y's ally X", "Y supporter X"."""
        targets = _prep_objects(noun, {"of", "to", "for", "in"})
        agents: list[Token] = []
        if noun.dep_ == "appos":
            agents = [noun.head]
        elif noun.dep_ == "attr" and noun.head.pos_ in ("AUX", "VERB"):
            agents = _subjects(noun.head)
        elif noun.dep_ in ("compound", "nmod") and noun.head.pos_ == "PROPN":
            agents = [noun.head]
        for child in noun.children:
            if child.dep_ == "appos" or (child.dep_ == "compound" and child.pos_ == "PROPN" and child.i > noun.i):
                agents.append(child)
        if not targets:
            targets = [c for c in noun.children if c.dep_ == "poss"]
        if not targets or not agents:
            return
        self.add(_with_conjuncts(agents), targets, cue, noun.text, noun, "nominal")

    def _reciprocal(self, noun: Token, cue: Cue) -> None:
        """ "the feud between X and Y", "an alliance of A, B and C", "X's partnership with Y"."""
        members = _prep_objects(noun, {"between", "among", "of"})
        # "between Donald Trump and Brian Kemp" is often parsed with the first name as a modifier
        # of the second, not its conjunct: every name under "between" is a member.
        for prep in noun.children:
            if prep.dep_ == "prep" and prep.lower_ in ("between", "among"):
                members += [
                    t
                    for t in prep.subtree
                    if t not in members
                    and t.dep_ in ("nmod", "compound")
                    and t.head.dep_ in ("pobj", "conj")
                    and t.head.i > t.i + 1
                    and any(c.dep_ == "cc" for c in t.children)
                    and self.entities.for_token(t) is not self.entities.for_token(t.head)
                ]
        extra = [c for c in noun.children if c.dep_ == "poss"]
        withs = _prep_objects(noun, {"with"})
        if not members and not withs:
            # "a collaboration forged in 1997 between X and Y"
            for child in noun.children:
                if child.dep_ == "acl":
                    members += _prep_objects(child, {"between", "among"})
        head = noun.head
        if (
            not extra
            and noun.dep_ in ("dobj",)
            and head.pos_ in ("VERB", "AUX")
            and withs
            and head.lemma_.lower() in LIGHT_VERBS
        ):
            if _hypothetical(head) or _negated(head):
                return
            extra = _subjects(head)  # "X has a partnership with Y", "X signed a deal with Y"
        tokens = members + extra + withs
        if len(tokens) < 2:
            return
        if self.question(noun.i):
            return
        self.add(tokens, [], cue, noun.text, noun, "reciprocal", pairwise=True)

    def adjective(self, adj: Token) -> None:
        for prep in adj.children:
            if prep.dep_ == "prep":
                key = prep.lower_
            elif prep.dep_ == "ccomp":
                key = "that"  # "disappointed that X has ..."
            else:
                continue
            cue = self.lex.adjectives.get((adj.lower_, key)) or self.lex.adjectives.get((adj.lemma_.lower(), key))
            if cue is None:
                continue
            if key == "that":
                targets = _subjects(prep)
            else:
                targets = _with_conjuncts([c for c in prep.children if c.dep_ == "pobj"])
            head = adj.head
            if adj.dep_ in ("acomp", "oprd", "xcomp") and head.pos_ in ("AUX", "VERB"):
                if _hypothetical(head) or _negated(head) or any(c.dep_ == "neg" for c in adj.children):
                    return
                actors = _subjects(head)
            elif adj.pos_ == "VERB" and adj.dep_ in ("ROOT", "ccomp", "conj", "advcl"):
                if _hypothetical(adj) or _negated(adj):
                    return
                actors = _subjects(adj)  # "He is predictably withering about ..."
            elif adj.dep_ == "amod":
                actors = [head]
            elif adj.dep_ in ("appos", "advcl", "acl"):
                actors = [head] if head.pos_ in ("NOUN", "PROPN") else _subjects(head)
            else:
                return
            self.add(actors, targets, cue, f"{adj.text} {prep.text}", adj, "nominal")
            return

    def behind(self, prep: Token) -> None:
        """ "remain strongly behind the ticket": support."""
        cue = self.lex.adjectives.get(("behind", ""))
        head = prep.head
        if (
            cue is None
            or head.pos_ not in ("AUX", "VERB")
            or head.lemma_.lower() not in ("be", "remain", "stay", "stand", "line", "rally", "unite", "get")
        ):
            return
        if _hypothetical(head) or _negated(head):
            return
        targets = _with_conjuncts([c for c in prep.children if c.dep_ == "pobj"])
        self.add(_subjects(head), targets, cue, f"{head.text} behind", prep, "reporter")

    def resolve_pending(self) -> None:
        """ "condemned the attack on our journalists": the attacker the article names."""
        for actor, event_lemma, cue_token, cue, cue_text, t_i, where, conf, n_actors in self.pending:
            best = None
            for lemma, who, i in self.events:
                if lemma != event_lemma or who.id == actor.id:
                    continue
                if best is None or abs(i - t_i) < abs(best[1] - t_i):
                    best = (who, i)
            if best is None:
                continue
            sentence = self.sentence_of(cue_token.i)
            form = where if where != "reporter" else "nominal"
            self.found.append(
                Candidate(
                    actor,
                    best[0],
                    cue,
                    cue_text,
                    form,
                    cue_token.i,
                    cue_token.i,
                    best[1],
                    sentence,
                    "speaker" if where != "reporter" else "name",
                    "event",
                    False,
                    False,
                    False,
                    False,
                    conf,
                    n_actors,
                    1,
                )
            )


_BEHIND, _BE, _DOBJ = hash_string("behind"), hash_string("be"), dobj  # (labels of the model are symbols)
_HASHES: dict[int, tuple[numpy.ndarray, set[tuple[int, int]]]] = {}


def _hashes(lex: Lexicon) -> tuple[numpy.ndarray, set[tuple[int, int]]]:
    """Hashes (spaCy's string ids) of every word a cue may start with, and of the (verb, object)
    pairs of the lexicon's verb + object cues; per lexicon."""
    found = _HASHES.get(id(lex))
    if found is None:
        words = lex.full_verbs | ALWAYS_LOOK | lex.cue_nouns | lex.cue_adjectives
        found = _HASHES[id(lex)] = (
            numpy.array(sorted(hash_string(w) for w in words), dtype=numpy.uint64),
            {(hash_string(v), hash_string(o)) for v, o in lex.objects},
        )
    return found


_VERDICTS: list[numpy.ndarray] = []


def _verdict_hashes() -> numpy.ndarray:
    if not _VERDICTS:
        _VERDICTS.append(numpy.array(sorted(hash_string(w) for w in CONDEMNING | PRAISING), dtype=numpy.uint64))
    return _VERDICTS[0]


def _member(values: numpy.ndarray, sorted_hashes: numpy.ndarray) -> numpy.ndarray:
    at = numpy.searchsorted(sorted_hashes, values).clip(0, len(sorted_hashes) - 1)
    return sorted_hashes[at] == values


def find_candidates(
    doc: Doc,
    entities: ArticleEntities,
    excluded: Ranges,
    quoted: Ranges,
    quotes: Sequence[Quote] = (),
    lexicon: Lexicon | None = None,
) -> tuple[list[Candidate], DocIndex]:
    lex = lexicon or load_lexicon()
    finder = _Finder(doc, entities, excluded, quoted, quotes, lex)
    cue_verbs = lex.cue_verbs | JUDGEMENT_VERBS | APPEAL_VERBS | NEGATED_ONLY | RECIPROCAL_VERBS
    cue_nouns, adjectives = lex.cue_nouns, lex.cue_adjectives
    # Only the tokens whose lemma or lower form is some cue's are looked at (one numpy pass).
    arr = doc.to_array([LEMMA, LOWER, POS, DEP, HEAD])
    hashes, object_pairs = _hashes(lex)
    mask = _member(arr[:, 0], hashes) | _member(arr[:, 1], hashes) | (arr[:, 1] == _BEHIND)
    # verbs that are cues only with some objects ("impose sanctions"): the heads of such objects
    heads = arr[:, 4].astype(numpy.int64) + numpy.arange(len(arr))  # HEAD is relative
    lemmas = arr[:, 0].tolist()
    for j in numpy.flatnonzero(arr[:, 3] == _DOBJ).tolist():
        h = int(heads[j])
        if (lemmas[h], lemmas[j]) in object_pairs:
            mask[h] = True
    # "be" with a verdict ("was naive", "is a liar"): the copula
    for j in numpy.flatnonzero(
        _member(arr[:, 1], _verdict_hashes()) & ((arr[:, 3] == attr) | (arr[:, 3] == acomp))
    ).tolist():
        h = int(heads[j])
        if lemmas[h] == _BE and arr[h, 2] == AUX:
            mask[h] = True
    tokens = finder.index.tokens
    for i in numpy.flatnonzero(mask).tolist():
        token = tokens[i]
        pos = token.pos_
        if pos == "VERB":
            lemma = token.lemma_.lower()
            lower = token.lower_
            if lemma not in cue_verbs and lemma not in cue_nouns and lower not in adjectives:
                continue
            if excluded.contains(token.idx):
                continue
            if (
                token.tag_ == "VBG"
                and token.dep_ in ("pobj", "pcomp")
                and lemma in lex.nouns
                and lemma not in lex.verbs
            ):
                finder.noun(token)
            elif lemma in cue_verbs:
                finder.verb(token)
                if token.tag_ == "VBG" and token.dep_ == "pcomp" and token.head.head.pos_ == "ADJ":
                    finder.noun(token)
            if token.tag_ in ("VBN", "VBG") and lower in adjectives:
                finder.adjective(token)  # "opposed to", "withering about", "disappointed that"
        elif pos == "NOUN" or pos == "PROPN":
            lemma = token.lemma_.lower()
            if (lemma in cue_nouns or token.lower_ in cue_nouns) and not excluded.contains(token.idx):
                finder.noun(token)
        elif pos == "ADJ":
            if (token.lower_ in adjectives or token.lemma_.lower() in adjectives) and not excluded.contains(token.idx):
                finder.adjective(token)
        elif pos == "ADP":
            if token.lower_ == "behind" and not excluded.contains(token.idx):
                finder.behind(token)
        elif pos == "AUX" and token.dep_ in ("ccomp", "ROOT", "conj", "parataxis") and not excluded.contains(token.idx):
            finder.copula(token)
    finder.resolve_pending()
    return finder.found, finder.index


def evidence(index, sentence: int) -> tuple[str, int, int]:
    s: Span = index.sents[sentence]
    text = s.text.strip()
    start = s.start_char + (len(s.text) - len(s.text.lstrip()))
    return text, start, start + len(text)


def extract_stances(
    doc: Doc, entities: ArticleEntities, excluded: Ranges, quoted: Ranges, quotes: Sequence[Quote] = ()
) -> list[Stance]:
    """Stances stated in the body `doc`, in text order, each with its calibrated confidence.

    `quotes` are the article's direct quotes and reported speech with their chosen speakers
    (quotes.Quote: start, end, kind, speaker, confidence). A candidate is kept when the verifier
    (verifier.py) gives it at least its threshold; the same (actor, target, polarity) in one
    sentence is one stance, the most confident.
    """
    from .verifier import load_verifier

    candidates, index = find_candidates(doc, entities, excluded, quoted, quotes)
    collect = COLLECTOR.get(None)
    if collect is not None:  # training (train.py): every candidate, unscored
        collect.append((doc, entities, candidates))
        return []
    if not candidates:
        return []
    verifier = load_verifier()
    scores = verifier.confidences(candidates, doc, entities)
    best: dict[tuple[str, str, str, int], tuple[float, Candidate]] = {}
    for c, p in zip(candidates, scores, strict=False):
        key = (c.actor.id, c.target.id, c.cue.polarity, c.sentence)
        if key not in best or p > best[key][0]:
            best[key] = (p, c)
    out = []
    for (_, _, _, sentence), (p, c) in best.items():
        if p < verifier.threshold:
            continue
        text, start, end = evidence(index, sentence)
        out.append(
            Stance(
                c.actor,
                c.target,
                c.cue.polarity,
                c.cue_text,
                c.cue.type,
                text,
                start,
                end,
                float(p),
                c.cue.code,
                c.form,
            )
        )
    out.sort(key=lambda s: (s.start, s.actor.id, s.target.id))
    return out
