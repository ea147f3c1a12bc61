"""Stances: an actor's explicit support for or opposition to a target, stated by the reporter.

The taxonomy is a small cut of CAMEO (Conflict and Mediation Event Observations) event
classes, each with a Goldstein-like intensity (-10 hostile .. +10 cooperative):

| type                | polarity | CAMEO root        | cues (lemmas and phrases)                            | intensity |
| ------------------- | -------- | ----------------- | ---------------------------------------------------- | --------- |
| cooperate           | support  | 03/04/06 cooperate| work / cooperate / side / ally / partner / agree     | +4.0      |
|                     |          |                   | with X                                               |           |
| express_support     | support  | 05 cooperate      | back, support, endorse, defend, champion, approve;   | +3.0      |
|                     |          |                   | "X-backed Y"                                         |           |
| recognize           | support  | 057 recognize     | recognize, recognise                                 | +5.0      |
| praise              | support  | 051 praise        | praise, commend, applaud, hail, laud, welcome,       | +3.5      |
|                     |          |                   | congratulate, thank; pay tribute to, send X          |           |
|                     |          |                   | congratulations                                      |           |
| appeal_or_demand    | oppose   | 10 demand         | urge / call on / press / demand / push X to stop,    | -4.0      |
|                     |          |                   | leave, get out, cease, withdraw, apologise, resign   |           |
| criticize_or_accuse | oppose   | 11 disapprove     | condemn, criticize, accuse, blame, denounce, rebuke, | -2.0      |
|                     |          |                   | attack, slam; hit / lash out at, pour cold water on; |           |
|                     |          |                   | find / call X abhorrent, unacceptable, ...           |           |
| reject              | oppose   | 12 reject         | reject, oppose; a negated support verb ("did not     | -4.0      |
|                     |          |                   | recognize", "refused to back")                       |           |
| threaten            | oppose   | 13 threaten       | threaten                                             | -6.0      |
| sue                 | oppose   | 11/16 (legal)     | sue                                                  | -5.0      |
| sanction            | oppose   | 16/17 coerce      | sanction, punish, expel, embargo, boycott, seize     | -8.0      |
| use_force           | oppose   | 19/20 fight       | occupy, invade, bomb, shell                          | -9.0      |

Only what the *reporter* states counts ("Moscow has continued to back X"), or what a source says
of its own stance in reported speech ("Brown said he had agreed with X"); what a source says
about others, in a quote or in reported speech ("Abbas confirmed Israel shared information"), is
that source's claim and is left to the quote events ("who reports versus who holds the stance
kept apart"). Hypotheticals are not stances: a cue
under "could/would/might/should/may" ("arms China could use to threaten Taiwan") is skipped.

Actor = subject of the cue verb (through coordination and control: "Moscow has continued to
back X" -> Moscow), with its appositions ("G7 nations, in particular the US"); target = its
object (or the object of the phrase's preposition: "pay tribute to X"). A target that names
nobody stands for its owner: "criticised Mr Brown's preoccupation" -> Gordon Brown, "seized
Yukos' production arm" -> Yukos, "blamed its exchange rate" -> the "it" (China). Both ends are
resolved to canonical entities (reference.py), a capital or seat of government standing for its
country, and must be distinct named actors (person, organisation, country).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from .entities import ArticleEntities, Entity
from .reference import resolve, subject_of
from .text import Ranges, doc_index

# lemma -> (polarity, type)
STANCE_VERBS: dict[str, tuple[str, str]] = {
    **{v: ("support", "express_support") for v in ("back", "support", "endorse", "defend", "champion", "approve")},
    **{v: ("support", "recognize") for v in ("recognize", "recognise")},
    **{v: ("support", "praise") for v in (
        "praise", "commend", "applaud", "hail", "laud", "welcome", "congratulate", "thank")},
    **{v: ("oppose", "criticize_or_accuse") for v in (
        "condemn", "criticize", "criticise", "accuse", "blame", "denounce", "rebuke", "slam", "blast",
        "chastise", "castigate", "lambaste", "censure", "attack", "berate", "scold", "deride", "ridicule")},
    **{v: ("oppose", "reject") for v in ("reject", "oppose")},
    **{v: ("oppose", "threaten") for v in ("threaten",)},
    **{v: ("oppose", "sue") for v in ("sue",)},
    **{v: ("oppose", "sanction") for v in ("sanction", "punish", "expel", "embargo", "boycott", "seize")},
    **{v: ("oppose", "use_force") for v in ("occupy", "invade", "bomb", "shell")},
}
# Phrasal cues: (verb lemma, particle or object noun, preposition) -> the preposition's object is the target.
PHRASAL_CUES: dict[tuple[str, str, str], tuple[str, str]] = {
    ("hit", "out", "at"): ("oppose", "criticize_or_accuse"),
    ("lash", "out", "at"): ("oppose", "criticize_or_accuse"),
    ("round", "", "on"): ("oppose", "criticize_or_accuse"),
    ("take", "aim", "at"): ("oppose", "criticize_or_accuse"),
    ("pour", "water", "on"): ("oppose", "criticize_or_accuse"),
    ("pay", "tribute", "to"): ("support", "praise"),
    ("send", "congratulations", "to"): ("support", "praise"),
    ("work", "", "with"): ("support", "cooperate"),
    ("cooperate", "", "with"): ("support", "cooperate"),
    ("co-operate", "", "with"): ("support", "cooperate"),
    ("collaborate", "", "with"): ("support", "cooperate"),
    ("side", "", "with"): ("support", "cooperate"),
    ("ally", "", "with"): ("support", "cooperate"),
    ("partner", "", "with"): ("support", "cooperate"),
    ("team", "up", "with"): ("support", "cooperate"),
    ("agree", "", "with"): ("support", "cooperate"),
}
# "found BNP's policies abhorrent", "called the plan unacceptable": a verb of judgement whose object
# is given a condemning predicate.
JUDGEMENT_VERBS = {"find", "call", "consider", "deem", "describe", "brand", "label", "declare", "think"}
CONDEMNING = {
    "abhorrent", "unacceptable", "disgraceful", "deplorable", "outrageous", "appalling", "shameful",
    "scandalous", "irresponsible", "reckless", "despicable", "disgusting", "racist", "illegal", "unlawful",
    "hypocritical", "dishonest", "incompetent", "offensive",
}
PHRASAL_LEMMAS = {k[0] for k in PHRASAL_CUES} | {"send"}
APPEAL_VERBS = {"urge", "call", "press", "demand", "push", "pressure", "ask", "tell", "warn"}
# What an appeal asks the target to stop doing or to give up: the appeal opposes the target.
DEMANDED_ACTIONS = {
    "stop", "cease", "leave", "withdraw", "end", "halt", "release", "resign", "abandon", "quit", "drop",
    "refrain", "desist", "exit", "free", "surrender", "disarm", "relinquish", "evacuate", "apologise",
    "apologize", "reverse", "scrap",
}
DEMANDED_PHRASES = {("get", "out"), ("pull", "out"), ("step", "down"), ("back", "down"), ("back", "off"),
                    ("stand", "down"), ("pull", "back"), ("get", "away"), ("step", "aside")}
REFUSAL_VERBS = {"refuse", "decline", "fail"}
HYPOTHETICAL = {"could", "would", "might", "should", "may", "must", "ought"}
INTENSITY = {
    "cooperate": 4.0, "express_support": 3.0, "recognize": 5.0, "praise": 3.5, "appeal_or_demand": -4.0,
    "criticize_or_accuse": -2.0, "reject": -4.0, "threaten": -6.0, "sue": -5.0, "sanction": -8.0,
    "use_force": -9.0,
}
ACTOR_LABELS = {"PERSON", "ORG", "GPE"}


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

    def as_dict(self) -> dict:
        return {
            "actor": self.actor.canonical, "actor_id": self.actor.id,
            "target": self.target.canonical, "target_id": self.target.id,
            "polarity": self.polarity, "cue": self.cue, "type": self.type,
            "intensity": INTENSITY[self.type], "evidence": self.evidence,
            "start": self.start, "end": self.end,
        }


def _negated(verb: Token) -> bool:
    if any(c.dep_ == "neg" for c in verb.children):
        return True
    # "refused to recognize", "declined to back"
    return verb.dep_ == "xcomp" and verb.head.lemma_.lower() in REFUSAL_VERBS


def _hypothetical(verb: Token) -> bool:
    node = verb
    for _ in range(2):  # "could use to threaten": the modal may sit on the governing verb
        if any(c.dep_ == "aux" and c.lower_ in HYPOTHETICAL for c in node.children):
            return True
        if node.dep_ not in ("xcomp", "advcl") or node.head is node:
            return False
        node = node.head
    return False


REPORTING_VERBS = {"say", "tell", "claim", "argue", "insist", "add", "suggest", "believe", "think", "allege",
                   "warn", "write", "state", "report", "note", "explain", "announce", "confirm", "admit"}


def _reporter(verb: Token, quoted: Ranges) -> Token | None:
    """The speech verb whose reported content `verb` is in ("Abbas confirmed Israel shared ..."),
    the verb itself for a verb inside a quote, or None when the reporter states it."""
    if quoted.contains(verb.idx):
        return verb
    node = verb
    for _ in range(6):
        if node.dep_ == "ccomp" and node.head.pos_ in ("VERB", "AUX") and node.head.lemma_.lower() in REPORTING_VERBS:
            return node.head
        if node.head is node:
            return None
        node = node.head
    return None


def _demanded_action(verb: Token) -> Token | None:
    """For "urge X to get out" / "call on X to cease": the demanded verb, if it asks X to stop or leave."""
    for child in verb.children:
        if child.dep_ in ("xcomp", "ccomp", "advcl") and child.pos_ == "VERB":
            lemma = child.lemma_.lower()
            particles = {c.lower_ for c in child.children if c.dep_ == "prt"}
            if lemma in DEMANDED_ACTIONS or any((lemma, p) in DEMANDED_PHRASES for p in particles):
                return child
    return None


def _phrasal(verb: Token) -> tuple[tuple[str, str], list[Token], str] | None:
    """"hit out at X", "pay tribute to X", "work with X": (polarity, type), the targets, the cue text."""
    lemma = verb.lemma_.lower()
    middles = {""} | {c.lower_ for c in verb.children if c.dep_ == "prt"} | {
        c.lemma_.lower() for c in verb.children if c.dep_ == "dobj"}
    for child in verb.children:
        if child.dep_ not in ("prep", "dative"):
            continue
        for middle in middles:
            kind = PHRASAL_CUES.get((lemma, middle, child.lower_))
            if kind is None:
                continue
            targets = [c for c in child.children if c.dep_ == "pobj"]
            if not targets and child.dep_ == "dative":
                targets = [child]
            if targets:
                cue = " ".join(t for t in (verb.text, middle, child.text) if t)
                return kind, targets, cue
    if lemma == "send":  # "sent Mr Bush his warmest congratulations"
        dobj = next((c for c in verb.children if c.dep_ == "dobj"), None)
        dative = [c for c in verb.children if c.dep_ == "dative"]
        if dobj is not None and dobj.lemma_.lower() in ("congratulation", "congratulations") and dative:
            return ("support", "praise"), dative, f"{verb.text} {dobj.text}"
    return None


def _judged(verb: Token) -> Token | None:
    """"found X abhorrent": the object X when the verb gives it a condemning predicate."""
    if verb.lemma_.lower() not in JUDGEMENT_VERBS:
        return None
    dobj = next((c for c in verb.children if c.dep_ == "dobj"), None)
    if dobj is None:
        return None
    predicates = [c for c in verb.children if c.dep_ in ("oprd", "acomp", "xcomp", "ccomp")]
    predicates += [c for c in dobj.children if c.dep_ == "amod" and c.i > dobj.i]  # postposed: a predicate
    if any(p.lemma_.lower() in CONDEMNING or p.lower_ in CONDEMNING for p in predicates):
        return dobj
    return None


def _objects(verb: Token) -> list[Token]:
    """Heads of the verb's object noun phrases, coordinated ones included; a verb coordinated with
    the one that takes the object shares it ("seized and sold Yukos' production arm")."""
    heads: list[Token] = []
    for child in verb.children:
        if child.dep_ in ("dobj", "dative"):
            heads.append(child)
        elif child.dep_ == "prep" and child.lower_ in ("on", "upon") and verb.lemma_.lower() == "call":
            heads.extend(c for c in child.children if c.dep_ == "pobj")
    if not heads:
        for conj in verb.children:
            if conj.dep_ == "conj" and conj.pos_ == "VERB" and conj.i > verb.i:
                heads.extend(c for c in conj.children if c.dep_ == "dobj")
                break
    if not heads:
        # "back embattled President Maduro": the parser may hang the object on a participle.
        for child in verb.children:
            if child.i == verb.i + 1 and child.tag_ in ("VBN", "JJ") and child.dep_ in ("advcl", "amod", "oprd"):
                heads.extend(c for c in child.children if c.dep_ == "dobj")
    return _with_conjuncts(heads)


def _with_conjuncts(heads: list[Token]) -> list[Token]:
    for head in list(heads):
        heads.extend(c for c in head.children if c.dep_ == "conj")
    return heads


def _actors(verb: Token) -> list[Token]:
    subject = subject_of(verb)
    if subject is None:
        return []
    return [subject, *(c for c in subject.children if c.dep_ in ("conj", "appos"))]


def _passive_parts(verb: Token) -> tuple[list[Token], list[Token]]:
    """"X is backed by Y": actors from the agent phrase, targets from the passive subject."""
    targets = [c for c in verb.children if c.dep_ == "nsubjpass"]
    actors = [p for c in verb.children if c.dep_ == "agent" for p in c.children if p.dep_ == "pobj"]
    return actors, targets


def _hyphenated_actor(verb: Token) -> Token | None:
    """"Moscow-backed candidate": the name joined to the participle by a hyphen."""
    if verb.dep_ != "amod" or verb.tag_ != "VBN":
        return None
    for child in verb.children:
        if child.dep_ in ("npadvmod", "compound", "nmod") and child.i == verb.i - 2 and verb.doc[verb.i - 1].text == "-":
            return child
    return None


BEHIND = {"lead", "back", "sponsor", "fund", "run", "organise", "organize", "support", "drive"}


def _resolve_end(token: Token, entities: ArticleEntities, quoted: Ranges,
                 actor: Entity | None = None) -> Entity | None:
    """The entity an actor or target token refers to; for a thing, its owner ("Brown's
    preoccupation") or who is behind it ("the US-led coalition")."""
    if actor is not None and token.lower_ in ("him", "her") and token.i not in entities.links:
        return entities.last_person_before(token.idx, quoted, exclude=actor, object_pronoun=True, pronoun=token.lower_)
    found = resolve(token, entities, quoted)
    if found is not None:
        return found
    node = token
    if token.lower_ in ("which", "that") and token.head.dep_ == "relcl":
        node = token.head.head  # "its exchange rate, which G7 nations have blamed"
    for child in node.children:
        if child.dep_ == "poss":
            if child.lower_ == "its":
                return entities.last_body_before(child.idx, quoted)
            return resolve(child, entities, quoted)
        if child.dep_ == "amod" and child.lemma_.lower() in BEHIND:
            behind = _hyphenated_actor(child)
            if behind is not None:
                return resolve(behind, entities, quoted)
    return None


def extract_stances(doc: Doc, entities: ArticleEntities, excluded: Ranges, quoted: Ranges) -> list[Stance]:
    """Stances stated in the body `doc`, in text order."""
    found: list[Stance] = []
    seen: set[tuple[str, str, str, int]] = set()
    index = doc_index(doc)  # token.sent walks all sentences on each call; look them up instead
    sentences = index.sents
    sentence_starts = index.sent_token_starts
    for verb in index.tokens:
        if verb.pos_ != "VERB" or excluded.contains(verb.idx):
            continue
        lemma = verb.lemma_.lower()
        targets_override: list[Token] | None = None
        cue_text: str | None = None
        phrasal = _phrasal(verb) if lemma in PHRASAL_LEMMAS else None
        judged = _judged(verb) if phrasal is None else None
        if phrasal is not None:
            (polarity, kind), targets_override, cue_text = phrasal
        elif judged is not None:
            polarity, kind, targets_override = "oppose", "criticize_or_accuse", [judged]
        elif lemma in STANCE_VERBS:
            polarity, kind = STANCE_VERBS[lemma]
            if _negated(verb):
                if polarity == "oppose":
                    continue
                polarity, kind = "oppose", "reject"
        elif lemma in APPEAL_VERBS and _demanded_action(verb) is not None:
            polarity, kind = "oppose", "appeal_or_demand"
        else:
            continue
        if _hypothetical(verb):
            continue
        reporter = _reporter(verb, quoted)
        if reporter is not None and quoted.contains(verb.idx):
            continue  # a quote is its speaker's claim, left to the quote events
        hyphenated = _hyphenated_actor(verb)
        if hyphenated is not None:
            modified = [verb.head]
            while modified[-1].dep_ == "compound" and modified[-1].head is not modified[-1]:
                modified.append(modified[-1].head)  # "Moscow-backed candidate Viktor Yanukovych"
            actor_tokens, target_tokens = [hyphenated], _with_conjuncts(modified)
        elif any(c.dep_ == "nsubjpass" for c in verb.children):
            actor_tokens, target_tokens = _passive_parts(verb)
        else:
            actor_tokens = _actors(verb)
            target_tokens = targets_override if targets_override is not None else _objects(verb)
        actors = [e for e in (_resolve_end(t, entities, quoted) for t in actor_tokens)
                  if e is not None and e.label in ACTOR_LABELS]
        if reporter is not None:
            # Reported speech holds a stance only of the one speaking about themselves: "Brown said
            # he had agreed with X" is Brown's; "Abbas confirmed Israel shared ..." is not Israel's.
            speaker_token = subject_of(reporter)
            speaker = _resolve_end(speaker_token, entities, quoted) if speaker_token is not None else None
            actors = [a for a in actors if speaker is not None and a.id == speaker.id]
        targets = [e for e in (_resolve_end(t, entities, quoted, actors[0] if actors else None)
                               for t in target_tokens)
                   if e is not None and e.label in ACTOR_LABELS]
        sentence = sentences[bisect.bisect_right(sentence_starts, verb.i) - 1]
        text = sentence.text.strip()
        start = sentence.start_char + (len(sentence.text) - len(sentence.text.lstrip()))
        cue = cue_text or " ".join([verb.text, *(c.text for c in verb.children
                                                 if c.dep_ == "prt" or (lemma == "call" and c.dep_ == "prep"
                                                                        and c.lower_ in ("on", "upon")))])
        for actor in actors:
            for target in targets:
                key = (actor.id, target.id, kind, sentence.start)
                if actor.id == target.id or key in seen:
                    continue
                seen.add(key)
                found.append(Stance(actor, target, polarity, cue, kind, text, start, start + len(text)))
    return found
