"""Matching predictions to gold, and the counts behind precision, recall and F1.

* Quotes: a predicted span matches a gold span when their texts are equal ignoring edge
  punctuation, case and whitespace runs, or when they overlap by at least half of their union
  (characters). Matching is one-to-one, best overlap first.
* Speakers, actors, targets: two names refer to the same actor when they are equal ignoring
  case, accents and punctuation; when one's words are a subset of the other's and they share the
  last word ("Zakharova" / "Maria Zakharova"); or when both name the same country through a name,
  capital or seat of government ("White House" / "United States", "Moscow" / "Russia"); or when one
  is the acronym of the other ("EU" / "European Union").
  A PolNeAR source phrase is first cut to the name it holds (`gold.speaker_key`).
* Countries: per article, presence is scored over (article, code) pairs and counts by the total
  absolute difference over the gold total.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar

EDGE = " \t\n\r\u00a0.,;:!?\"“”‘’'`—–-…()[]"

T = TypeVar("T")
U = TypeVar("U")


@dataclass
class Score:
    """True positives, false positives, false negatives -> precision, recall, F1."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None if p is None and r is None else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "gold": self.tp + self.fn,
            "predicted": self.tp + self.fp,
            "precision": _round(self.precision),
            "recall": _round(self.recall),
            "f1": _round(self.f1),
        }


@dataclass
class Accuracy:
    correct: int = 0
    total: int = 0

    def add(self, other: Accuracy) -> None:
        self.correct += other.correct
        self.total += other.total

    @property
    def value(self) -> float | None:
        return self.correct / self.total if self.total else None

    def as_dict(self) -> dict:
        return {"correct": self.correct, "total": self.total, "accuracy": _round(self.value)}


@dataclass
class Calibration:
    """(confidence, was it right) pairs, and their expected calibration error: the mean over ten
    equal-width confidence bins of |share right - mean confidence|, weighted by the bins' sizes."""

    points: list[tuple[float, bool]] = field(default_factory=list)
    bins: int = 10

    def add(self, other: Calibration) -> None:
        self.points.extend(other.points)

    @property
    def ece(self) -> float | None:
        if not self.points:
            return None
        total = 0.0
        for b in range(self.bins):
            inside = [
                (c, r)
                for c, r in self.points
                if b / self.bins <= c < (b + 1) / self.bins or (b == self.bins - 1 and c >= 1.0)
            ]
            if inside:
                right = sum(r for _, r in inside) / len(inside)
                mean = sum(c for c, _ in inside) / len(inside)
                total += len(inside) * abs(right - mean)
        return total / len(self.points)

    def as_dict(self) -> dict:
        n = len(self.points)
        return {
            "n": n,
            "ece": _round(self.ece),
            "mean_confidence": _round(sum(c for c, _ in self.points) / n) if n else None,
            "share_right": _round(sum(r for _, r in self.points) / n) if n else None,
        }


@dataclass
class CountError:
    """Per-article country counts: sum of |predicted - gold| over the gold total."""

    absolute: int = 0
    gold_total: int = 0
    predicted_total: int = 0

    def add(self, other: CountError) -> None:
        self.absolute += other.absolute
        self.gold_total += other.gold_total
        self.predicted_total += other.predicted_total

    @property
    def error(self) -> float | None:
        return self.absolute / self.gold_total if self.gold_total else None

    def as_dict(self) -> dict:
        return {
            "absolute_error": self.absolute,
            "gold_total": self.gold_total,
            "predicted_total": self.predicted_total,
            "error": _round(self.error),
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


@dataclass
class Errors:
    """What went wrong, for `--errors`: one dict per false positive, false negative or wrong speaker."""

    items: list[dict] = field(default_factory=list)

    def add(self, **item) -> None:
        self.items.append(item)


# --- text --------------------------------------------------------------------------------------


def norm_text(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip(EDGE)).lower()


def overlap_ratio(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if inter > 0 and union > 0 else 0.0


def spans_match(gold_text: str, gold_span: tuple[int, int], pred_text: str, pred_span: tuple[int, int]) -> float:
    """Match quality in (0, 1], 0 when not a match: equal normalised text scores 1."""
    ratio = overlap_ratio(gold_span, pred_span)
    if ratio >= 0.5:
        return ratio
    if norm_text(gold_text) and norm_text(gold_text) == norm_text(pred_text) and ratio > 0:
        return 1.0
    return 0.0


def pair_up(gold: Sequence[T], predicted: Sequence[U], quality: Callable[[T, U], float]) -> list[tuple[int, int]]:
    """One-to-one pairs (gold index, predicted index) of positive quality, best first."""
    candidates = []
    for i, g in enumerate(gold):
        for j, p in enumerate(predicted):
            q = quality(g, p)
            if q > 0:
                candidates.append((-q, i, j))
    candidates.sort()
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for _, i, j in candidates:
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            pairs.append((i, j))
    return pairs


# --- names ---------------------------------------------------------------------------------------


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


HONORIFICS = {
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "prof",
    "professor",
    "sir",
    "dame",
    "lord",
    "lady",
    "president",
    "sen",
    "senator",
    "rep",
    "gov",
    "governor",
    "mayor",
    "minister",
    "secretary",
    "chancellor",
    "judge",
    "gen",
    "general",
    "archbishop",
    "cardinal",
    "rev",
    "pope",
    "king",
    "queen",
    "prince",
}


def name_words(name: str) -> list[str]:
    """Lowercase words of a name without accents, possessives, dots ("U.S." -> "us"), initials
    ("Charles B. Rangel" -> charles, rangel), "the"/"of"/"and" and leading titles ("Mr Straw" ->
    straw: a title and a surname name the person as well as the full name does)."""
    cleaned = re.sub(r"['’]s\b", "", _strip_accents(name)).replace(".", "")
    words = [
        w
        for w in re.findall(r"[a-z0-9]+", cleaned.lower())
        if w not in ("the", "of", "and") and (len(w) > 1 or w.isdigit())
    ]
    while len(words) > 1 and words[0] in HONORIFICS:  # "Mr Straw", "Prof Etzioni", "President Bush"
        words = words[1:]
    while len(words) > 1 and words[-1] in ("jr", "sr", "ii", "iii", "iv"):  # "Charles Elliott III"
        words = words[:-1]
    return words


@lru_cache(maxsize=4096)
def country_of_name(name: str) -> str | None:
    """ISO code when `name` is a country's name, short form, capital or seat of government."""
    from streams.nlp.country_names import load_gazetteer

    places = load_gazetteer().lookup(re.sub(r"^(?:the|The)\s+", "", name.strip()))
    if not places:
        return None
    kinds = [p for p in places if p.kind in ("country", "seat", "capital")]
    codes = {p.code for p in kinds}
    return codes.pop() if len(codes) == 1 else None


def _acronym_of(short: str, name: str) -> bool:
    """ "EU" / "European Union", "BNP" / "British National Party", "U.S." / "United States"."""
    letters = short.replace(".", "").strip()
    if not (2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper()):
        return False
    initials = "".join(
        w[0]
        for w in re.findall(r"[A-Za-z][\w'’-]*", _strip_accents(name))
        if w.lower() not in ("of", "the", "and", "for") and w[0].isupper()
    )
    return initials == letters


def same_actor(gold: str | None, predicted: str | None) -> bool:
    """Do two names refer to the same speaker / actor? None matches only None."""
    if gold is None or predicted is None:
        return gold is None and predicted is None
    g, p = name_words(gold), name_words(predicted)
    if not g or not p:
        return False
    if g == p or "".join(g) == "".join(p):  # "PlymouthLive" / "Plymouth Live"
        return True
    if g[-1] == p[-1] and (set(g) <= set(p) or set(p) <= set(g)):
        return True
    if (len(g) == 1 and g[0] in (p[0], p[-1])) or (len(p) == 1 and p[0] in (g[0], g[-1])):
        return True  # "Hillary" / "Hillary Clinton", "Clinton" / "Hillary Clinton"
    if _acronym_of(gold, predicted) or _acronym_of(predicted, gold):
        return True
    code = country_of_name(gold)
    return code is not None and code == country_of_name(predicted)
