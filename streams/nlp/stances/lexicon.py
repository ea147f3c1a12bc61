"""The stance taxonomy and the cue lexicon derived from CAMEO (`stance-lexicon.tsv`).

Types follow CAMEO's event classes, with the Goldstein-like intensities of the README table
(-10 hostile .. +10 cooperative). `cameo_type` maps a CAMEO code onto them:

| CAMEO                                  | type                | polarity | intensity |
| -------------------------------------- | ------------------- | -------- | --------- |
| 054 grant diplomatic recognition       | recognize           | support  | +5.0      |
| 057 sign formal agreement; verbal      | cooperate           | support  | +4.0      |
|   cooperation "work / side / agree with" (050 of those cues) |  |          |           |
| 051 praise or endorse                  | praise              | support  | +3.5      |
| 050, 052, 053 support, defend verbally | express_support     | support  | +3.0      |
| 06 material cooperation (merge, arm,   | material_cooperation| support  | +6.0      |
|   joint exercises, deals)              |                     |          |           |
| 07 provide aid (aid, help, protect,    | provide_aid         | support  | +7.0      |
|   allocate funds)                      |                     |          |           |
| 110-114, 116, 14 disapprove, protest   | criticize_or_accuse | oppose   | -2.0      |
| 10 demand (with a demanded action)     | appeal_or_demand    | oppose   | -4.0      |
| 12 reject                              | reject              | oppose   | -4.0      |
| 115 bring lawsuit against              | sue                 | oppose   | -5.0      |
| 13, 15 threaten, exhibit force         | threaten            | oppose   | -6.0      |
| 16, 17 reduce relations, coerce        | sanction            | oppose   | -8.0      |
|   (sanction, expel, arrest, seize)     |                     |          |           |
| 18, 19, 20 assault, fight              | use_force           | oppose   | -9.0      |

Not stances (None): 01 statements, 02 appeals, 03 intentions, 04 consultations (routine
contacts), 055/056 apologies, 08 yielding, 09 investigation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

LEXICON_PATH = Path(__file__).with_name("stance-lexicon.tsv")

# type -> (polarity, intensity)
TYPES: dict[str, tuple[str, float]] = {
    "recognize": ("support", 5.0),
    "cooperate": ("support", 4.0),
    "praise": ("support", 3.5),
    "express_support": ("support", 3.0),
    "material_cooperation": ("support", 6.0),
    "provide_aid": ("support", 7.0),
    "criticize_or_accuse": ("oppose", -2.0),
    "appeal_or_demand": ("oppose", -4.0),
    "reject": ("oppose", -4.0),
    "sue": ("oppose", -5.0),
    "threaten": ("oppose", -6.0),
    "sanction": ("oppose", -8.0),
    "use_force": ("oppose", -9.0),
}
INTENSITY = {t: i for t, (_, i) in TYPES.items()}
# Cues of CAMEO 050 that are verbal cooperation with someone rather than support for them.
COOPERATE_CUES = {
    "work",
    "cooperate",
    "co-operate",
    "collaborate",
    "side",
    "ally",
    "partner",
    "team",
    "agree",
    "alliance",
    "collaboration",
    "cooperation",
    "co-operation",
    "coalition",
}


def cameo_type(code: str | None, cue: str | None = None) -> str | None:
    """The stance type of a CAMEO code (see the table above), None when it is no stance."""
    if not code or not code[:2].isdigit():
        return None
    root, sub = code[:2], code[:3]
    if sub == "054":
        return "recognize"
    if sub == "057":
        return "cooperate"
    if sub == "051":
        return "praise"
    if root == "05":
        if sub in ("055", "056"):
            return None
        return "cooperate" if cue in COOPERATE_CUES else "express_support"
    if root == "06":
        return "material_cooperation"
    if root == "07":
        return "provide_aid"
    if root == "10":
        return "appeal_or_demand"
    if sub == "115":
        return "sue"
    if root in ("11", "14"):
        return "criticize_or_accuse"
    if root == "12":
        return "reject"
    if root in ("13", "15"):
        return "threaten"
    if root in ("16", "17"):
        return "sanction"
    if root in ("18", "19", "20"):
        return "use_force"
    return None


@dataclass(frozen=True)
class Cue:
    """One cue of the lexicon: the CAMEO code, its type and polarity, whether it runs both ways."""

    code: str
    type: str
    polarity: str
    reverse: str | None = None  # code of the reverse direction ("joint exercises"), None: one way
    lemma: str | None = None  # the verb a nominal form stands for

    @classmethod
    def of(cls, code: str, cue: str, reverse: str | None = None, lemma: str | None = None) -> Cue | None:
        kind = cameo_type(code, lemma or cue)
        if kind is None:
            return None
        return cls(code, kind, TYPES[kind][0], reverse if reverse and cameo_type(reverse) else None, lemma)


@dataclass
class Lexicon:
    verbs: dict[str, Cue] = field(default_factory=dict)  # lemma -> cue
    particle_verbs: dict[tuple[str, str], Cue] = field(default_factory=dict)  # (lemma, particle)
    objects: dict[tuple[str, str], Cue] = field(default_factory=dict)  # (verb lemma, object noun lemma)
    nouns: dict[str, Cue] = field(default_factory=dict)  # event nouns: condemnation, backing, invasion
    agents: dict[str, Cue] = field(default_factory=dict)  # agent nouns: critic, supporter, ally
    phrasal: dict[tuple[str, str, str], Cue] = field(default_factory=dict)  # (verb, middle, prep)
    adjectives: dict[tuple[str, str], Cue] = field(default_factory=dict)  # (adjective, prep)
    reciprocal: dict[str, Cue] = field(default_factory=dict)  # feud, alliance: both directions
    passive: dict[str, Cue] = field(default_factory=dict)  # cues only in the passive: "held by X"

    phrasal_verbs: set[str] = field(default_factory=set)  # verbs of `phrasal`
    cue_verbs: set[str] = field(default_factory=set)  # every verb lemma some verb cue starts with
    cue_nouns: set[str] = field(default_factory=set)  # every noun of `nouns`, `agents`, `reciprocal`
    cue_adjectives: set[str] = field(default_factory=set)
    full_verbs: set[str] = field(default_factory=set)  # verbs that are cues without a given object
    particle_lemmas: set[str] = field(default_factory=set)

    def index(self) -> Lexicon:
        self.phrasal_verbs = {k[0] for k in self.phrasal}
        self.cue_verbs = (
            set(self.verbs)
            | self.phrasal_verbs
            | {k[0] for k in self.particle_verbs}
            | {k[0] for k in self.objects}
            | set(self.passive)
        )
        self.cue_nouns = set(self.nouns) | set(self.agents) | set(self.reciprocal)
        self.cue_adjectives = {a for a, _ in self.adjectives}
        self.particle_lemmas = {k[0] for k in self.particle_verbs}
        self.full_verbs = set(self.verbs) | self.phrasal_verbs | {k[0] for k in self.particle_verbs} | set(self.passive)
        return self


def parse_lexicon(text: str) -> Lexicon:
    """The lexicon of a `stance-lexicon.tsv` text (call `.index()` before use; load_lexicon does)."""
    lex = Lexicon()
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        kind = parts[0]
        if kind == "V":
            _, lemma, particle, code = parts
            cue = Cue.of(code, lemma)
            if cue is None:
                continue
            if particle == "-":
                lex.verbs[lemma] = cue
            else:
                lex.particle_verbs[(lemma, particle)] = cue
        elif kind == "P":
            _, verb, noun, code, reverse = parts
            cue = Cue.of(code, verb, None if reverse == "-" else reverse)
            if cue is not None:
                lex.objects[(verb, noun)] = cue
        elif kind in ("N", "A"):
            _, noun, lemma, code = parts
            cue = Cue.of(code, noun, lemma=lemma)
            if cue is not None:
                (lex.nouns if kind == "N" else lex.agents)[noun] = cue
        elif kind == "X":
            _, sub, words, code = parts
            w = words.split(" ")
            if sub == "phrasal":
                if len(w) == 2:  # "vote for": no middle word
                    w = [w[0], "", w[1]]
                cue = Cue.of(code, w[0])
                if cue is not None:
                    lex.phrasal[(w[0], w[1], w[2])] = cue
            elif sub == "adjective":
                cue = Cue.of(code, w[0])
                if cue is not None:
                    lex.adjectives[(w[0], w[1] if len(w) > 1 else "")] = cue
            elif sub == "passive":
                cue = Cue.of(code, words)
                if cue is not None:
                    lex.passive[words] = cue
            elif sub == "reciprocal":
                cue = Cue.of(code, words)
                if cue is not None:
                    lex.reciprocal[words] = Cue(cue.code, cue.type, cue.polarity, cue.code, cue.lemma)
    return lex


@lru_cache(maxsize=2)
def load_lexicon(path: str = str(LEXICON_PATH)) -> Lexicon:
    """The shipped lexicon, read once per process."""
    return parse_lexicon(Path(path).read_text(encoding="utf-8")).index()
