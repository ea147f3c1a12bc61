"""Stances: an actor's explicit support for or opposition to a target, from cue verbs.

The taxonomy is a small cut of CAMEO (Conflict and Mediation Event Observations) event
classes, each with a Goldstein-like intensity (-10 hostile .. +10 cooperative):

| type                | polarity | CAMEO root      | cue verbs (lemmas)                                   | intensity |
| ------------------- | -------- | --------------- | ---------------------------------------------------- | --------- |
| express_support     | support  | 05 cooperate    | back, support, endorse, defend, champion, approve    | +3.0      |
| recognize           | support  | 057 recognize   | recognize, recognise                                 | +5.0      |
| praise              | support  | 051 praise      | praise, commend, applaud, hail, laud, welcome        | +3.5      |
| appeal_or_demand    | oppose   | 10 demand       | urge / call on / press / demand / push X to stop,    | -4.0      |
|                     |          |                 | leave, get out, cease, withdraw, release, resign ... |           |
| criticize_or_accuse | oppose   | 11 disapprove   | condemn, criticize, accuse, blame, denounce, rebuke  | -2.0      |
| reject              | oppose   | 12 reject       | reject, oppose; a negated support verb ("did not     | -4.0      |
|                     |          |                 | recognize", "refused to back")                       |           |
| threaten            | oppose   | 13 threaten     | threaten, warn                                       | -6.0      |
| sanction            | oppose   | 16/17 coerce    | sanction, punish, expel, embargo                     | -8.0      |

Actor = subject of the cue verb (through coordination and control: "Moscow has continued to
back X" -> Moscow), target = its object (or "on" object of "call on"); both resolved to
canonical entities (reference.py), a capital or seat of government standing for its country.
Only clear cases: both ends must be named entities (person, organisation, country), distinct.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Token

from .entities import ArticleEntities, Entity
from .reference import resolve, subject_of
from .text import Ranges

# lemma -> (polarity, type)
STANCE_VERBS: dict[str, tuple[str, str]] = {
    **{v: ("support", "express_support") for v in ("back", "support", "endorse", "defend", "champion", "approve")},
    **{v: ("support", "recognize") for v in ("recognize", "recognise")},
    **{v: ("support", "praise") for v in ("praise", "commend", "applaud", "hail", "laud", "welcome")},
    **{v: ("oppose", "criticize_or_accuse") for v in (
        "condemn", "criticize", "criticise", "accuse", "blame", "denounce", "rebuke", "slam", "blast",
        "chastise", "castigate", "lambaste", "censure", "attack")},
    **{v: ("oppose", "reject") for v in ("reject", "oppose")},
    **{v: ("oppose", "threaten") for v in ("threaten",)},
    **{v: ("oppose", "sanction") for v in ("sanction", "punish", "expel", "embargo")},
}
APPEAL_VERBS = {"urge", "call", "press", "demand", "push", "pressure", "ask", "tell", "warn"}
# What an appeal asks the target to stop doing or to give up: the appeal opposes the target.
DEMANDED_ACTIONS = {
    "stop", "cease", "leave", "withdraw", "end", "halt", "release", "resign", "abandon", "quit", "drop",
    "refrain", "desist", "exit", "free", "surrender", "disarm", "relinquish", "evacuate",
}
DEMANDED_PHRASES = {("get", "out"), ("pull", "out"), ("step", "down"), ("back", "down"), ("back", "off"),
                    ("stand", "down"), ("pull", "back"), ("get", "away")}
REFUSAL_VERBS = {"refuse", "decline", "fail"}
INTENSITY = {
    "express_support": 3.0, "recognize": 5.0, "praise": 3.5, "appeal_or_demand": -4.0,
    "criticize_or_accuse": -2.0, "reject": -4.0, "threaten": -6.0, "sanction": -8.0,
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


def _demanded_action(verb: Token) -> Token | None:
    """For "urge X to get out" / "call on X to cease": the demanded verb, if it asks X to stop or leave."""
    for child in verb.children:
        if child.dep_ in ("xcomp", "ccomp", "advcl") and child.pos_ == "VERB":
            lemma = child.lemma_.lower()
            particles = {c.lower_ for c in child.children if c.dep_ == "prt"}
            if lemma in DEMANDED_ACTIONS or any((lemma, p) in DEMANDED_PHRASES for p in particles):
                return child
    return None


def _objects(verb: Token) -> list[Token]:
    """Heads of the verb's object noun phrases, coordinated ones included."""
    heads: list[Token] = []
    for child in verb.children:
        if child.dep_ in ("dobj", "dative"):
            heads.append(child)
        elif child.dep_ == "prep" and child.lower_ in ("on", "upon") and verb.lemma_.lower() == "call":
            heads.extend(c for c in child.children if c.dep_ == "pobj")
    if not heads:
        # "back embattled President Maduro": the parser may hang the object on a participle.
        for child in verb.children:
            if child.i == verb.i + 1 and child.tag_ in ("VBN", "JJ") and child.dep_ in ("advcl", "amod", "oprd"):
                heads.extend(c for c in child.children if c.dep_ == "dobj")
    for head in list(heads):
        heads.extend(c for c in head.children if c.dep_ == "conj")
    return heads


def _actors(verb: Token) -> list[Token]:
    subject = subject_of(verb)
    if subject is None:
        return []
    return [subject, *(c for c in subject.children if c.dep_ == "conj")]


def _passive_parts(verb: Token) -> tuple[list[Token], list[Token]]:
    """"X is backed by Y": actors from the agent phrase, targets from the passive subject."""
    targets = [c for c in verb.children if c.dep_ == "nsubjpass"]
    actors = [p for c in verb.children if c.dep_ == "agent" for p in c.children if p.dep_ == "pobj"]
    return actors, targets


def extract_stances(doc: Doc, entities: ArticleEntities, excluded: Ranges, quoted: Ranges) -> list[Stance]:
    """Stances stated in the body `doc`, in text order."""
    found: list[Stance] = []
    seen: set[tuple[str, str, str, int]] = set()
    for verb in doc:
        if verb.pos_ != "VERB" or excluded.contains(verb.idx):
            continue
        lemma = verb.lemma_.lower()
        cue_token = verb
        if lemma in STANCE_VERBS:
            polarity, kind = STANCE_VERBS[lemma]
            if _negated(verb):
                if polarity == "oppose":
                    continue
                polarity, kind = "oppose", "reject"
        elif lemma in APPEAL_VERBS and _demanded_action(verb) is not None:
            polarity, kind = "oppose", "appeal_or_demand"
        else:
            continue
        if any(c.dep_ == "nsubjpass" for c in verb.children):
            actor_tokens, target_tokens = _passive_parts(verb)
        else:
            actor_tokens, target_tokens = _actors(verb), _objects(verb)
        actors = [e for e in (resolve(t, entities, quoted) for t in actor_tokens)
                  if e is not None and e.label in ACTOR_LABELS]
        targets = [e for e in (resolve(t, entities, quoted) for t in target_tokens)
                   if e is not None and e.label in ACTOR_LABELS]
        sentence = verb.sent
        text = sentence.text.strip()
        start = sentence.start_char + (len(sentence.text) - len(sentence.text.lstrip()))
        cue = " ".join([cue_token.text, *(c.text for c in cue_token.children
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
