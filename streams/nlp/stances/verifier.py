"""The stance verifier: how likely a candidate stance (extract.py) is right, calibrated.

A small LightGBM tree ensemble scores each candidate from what the extraction knows about it
(`FEATURES`: cue type and CAMEO code, form, material or verbal, how each end was resolved and
what kind of actor it is, distances, negation, intention and condition marks, the quote
speaker's confidence, how many candidates share the sentence); an isotonic map turns the score
into the rate at which candidates so scored were right on held-out articles (train.py), so a
stance of confidence c is right about c of the time. Stances under `threshold` are not emitted.

`stance-verifier.json.gz` (next to this module) holds the model (LightGBM's text format), the
isotonic map, the threshold and what it was trained on; `python -m streams.nlp.stances.train`
rebuilds it (README "Accuracy").
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy

from .extract import FIRST_PERSON, FORMS, MATERIAL_ROOTS, Candidate
from .lexicon import TYPES

VERIFIER_PATH = Path(__file__).with_name("stance-verifier.json.gz")
VERIFIER_FORMAT = 1
TYPE_NAMES = list(TYPES)
LABELS = ("PERSON", "ORG", "GPE")
VIAS = ("name", "pronoun", "speaker", "role", "government", "owner", "event")
FEATURES = [
    "type",
    "cameo_root",
    "cameo",
    "support",
    "form",
    "material",
    "actor_label",
    "target_label",
    "actor_via",
    "target_via",
    "actor_distance",
    "target_distance",
    "actor_before",
    "sentence_tokens",
    "negated",
    "derived",
    "intent",
    "conditional",
    "speaker_confidence",
    "n_actors",
    "n_targets",
    "in_sentence",
    "same_pair",
    "actor_mentions",
    "target_mentions",
    "position",
    "cue_pos",
    "modal_in_sentence",
    "negation_in_sentence",
    "quote_marks",
    "first_person",
    "actor_is_country",
    "target_is_country",
    "infinitive",
    "cue_dep",
    "actor_demonym",
    "target_demonym",
]
CATEGORICAL = ["type", "form", "actor_label", "target_label", "actor_via", "target_via", "cue_pos", "cue_dep"]
DEPS = (
    "ROOT",
    "ccomp",
    "xcomp",
    "advcl",
    "acl",
    "relcl",
    "conj",
    "pcomp",
    "dobj",
    "pobj",
    "nsubj",
    "nsubjpass",
    "amod",
    "appos",
    "attr",
    "acomp",
)
POS = ("VERB", "NOUN", "ADJ", "ADP", "PROPN")
MODALS = {"could", "would", "might", "should", "may", "must", "can", "will"}
NEGATIONS = {"not", "n't", "never", "no"}


def _index(options: Sequence[str], value: str | None) -> int:
    try:
        return options.index(value)  # type: ignore[arg-type]
    except ValueError:
        return len(options)


def feature_rows(candidates: Sequence[Candidate], doc, entities) -> list[list[float]]:
    """One row of `FEATURES` per candidate."""
    from ..text import doc_index

    index = doc_index(doc)
    n_sents = max(1, len(index.sents))
    per_sentence: dict[int, int] = {}
    per_pair: dict[tuple[str, str], int] = {}
    for c in candidates:
        per_sentence[c.sentence] = per_sentence.get(c.sentence, 0) + 1
        per_pair[(c.actor.id, c.target.id)] = per_pair.get((c.actor.id, c.target.id), 0) + 1
    sentence_info: dict[int, tuple[int, bool, bool, bool]] = {}
    rows = []
    for c in candidates:
        info = sentence_info.get(c.sentence)
        if info is None:
            s = index.sents[c.sentence]
            words = [t.lower_ for t in s]
            text = s.text
            info = (
                len(s),
                any(w in MODALS for w in words),
                any(w in NEGATIONS for w in words),
                any(ch in text for ch in '“”"'),
            )
            sentence_info[c.sentence] = info
        cue_token = doc[c.cue_i]
        code = c.cue.code or "0"
        rows.append(
            [
                _index(TYPE_NAMES, c.cue.type),
                float(int(code[:2])) if code[:2].isdigit() else -1.0,
                float(int(code[:3])) if code[:3].isdigit() else -1.0,
                1.0 if c.cue.polarity == "support" else 0.0,
                _index(FORMS, c.form),
                1.0 if code[:2] in MATERIAL_ROOTS else 0.0,
                _index(LABELS, c.actor.label),
                _index(LABELS, c.target.label),
                _index(VIAS, c.actor_via),
                _index(VIAS, c.target_via),
                float(abs(c.actor_i - c.cue_i)),
                float(abs(c.target_i - c.cue_i)),
                1.0 if c.actor_i < c.cue_i else 0.0,
                float(info[0]),
                float(c.negated),
                float(c.derived),
                float(c.intent),
                float(c.conditional),
                float(c.speaker_confidence),
                float(c.n_actors),
                float(c.n_targets),
                float(per_sentence[c.sentence]),
                float(per_pair[(c.actor.id, c.target.id)]),
                float(len(c.actor.mentions)),
                float(len(c.target.mentions)),
                c.sentence / n_sents,
                _index(POS, cue_token.pos_),
                float(info[1]),
                float(info[2]),
                float(info[3]),
                1.0 if doc[c.actor_i].lower_ in FIRST_PERSON else 0.0,
                1.0 if c.actor.label == "GPE" else 0.0,
                1.0 if c.target.label == "GPE" else 0.0,
                1.0 if any(ch.dep_ == "aux" and ch.lower_ == "to" for ch in cue_token.children) else 0.0,
                _index(DEPS, cue_token.dep_),
                float(c.actor_demonym),
                float(c.target_demonym),
            ]
        )
    return rows


@dataclass
class Isotonic:
    """A monotone step map score -> rate (sklearn's IsotonicRegression, kept as its points)."""

    x: list[float]
    y: list[float]

    def __call__(self, scores: numpy.ndarray) -> numpy.ndarray:
        if not self.x:
            return scores
        return numpy.interp(scores, self.x, self.y)


@dataclass
class Verifier:
    booster: Any  # lightgbm.Booster, or None: the prior of each form (no model file yet)
    calibration: Isotonic
    threshold: float
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def raw(self, rows: list[list[float]]) -> numpy.ndarray:
        if not rows:
            return numpy.zeros(0)
        with self._lock:
            return self.booster.predict(numpy.asarray(rows, dtype=numpy.float64), num_threads=1)

    def confidences(self, candidates: Sequence[Candidate], doc, entities) -> list[float]:
        if self.booster is None:
            return [PRIOR.get(c.form, 0.5) for c in candidates]
        rows = feature_rows(candidates, doc, entities)
        return [float(p) for p in numpy.clip(self.calibration(self.raw(rows)), 0.0, 1.0)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": VERIFIER_FORMAT,
            "meta": self.meta,
            "features": FEATURES,
            "categorical": CATEGORICAL,
            "threshold": self.threshold,
            "calibration": {"x": self.calibration.x, "y": self.calibration.y},
            "model": self.booster.model_to_string(),
        }

    def save(self, path: Path | str = VERIFIER_PATH) -> Path:
        path = Path(path)
        payload = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":")).encode("utf-8")
        # mtime=0 and no file name in the header: the same model gives the same bytes wherever it is written
        with (
            open(path, "wb") as raw,
            gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0, compresslevel=9) as out,
        ):
            out.write(payload)
        return path


# Without a model file (a checkout that has not built one): a fixed guess per form, threshold 0.5.
PRIOR = {"reporter": 0.6, "passive": 0.6, "quote": 0.5, "indirect": 0.5, "nominal": 0.5, "reciprocal": 0.5}


def read_verifier(path: Path | str = VERIFIER_PATH) -> Verifier:
    path = Path(path)
    if not path.is_file():
        return Verifier(None, Isotonic([], []), 0.5, {"note": "no model file: prior per form"})
    import lightgbm

    with gzip.open(path, "rt", encoding="utf-8") as f:
        data = json.load(f)
    if data.get("format") != VERIFIER_FORMAT or data.get("features") != FEATURES:
        raise RuntimeError(
            f"stance verifier {path} does not fit this code: rebuild it with `python -m streams.nlp.stances.train`"
        )
    booster = lightgbm.Booster(model_str=data["model"])
    cal = data["calibration"]
    return Verifier(booster, Isotonic(cal["x"], cal["y"]), data["threshold"], data.get("meta", {}))


@lru_cache(maxsize=2)
def load_verifier(path: str = str(VERIFIER_PATH)) -> Verifier:
    """The shipped verifier, read once per process."""
    return read_verifier(path)


def expected_calibration_error(confidence: Sequence[float], labels: Sequence[int], bins: int = 10) -> float:
    """Sum over equal-width confidence bins of |mean confidence - accuracy| weighted by the bin's share."""
    conf = numpy.asarray(confidence, dtype=float)
    lab = numpy.asarray(labels, dtype=float)
    if len(conf) == 0:
        return 0.0
    edges = numpy.linspace(0.0, 1.0, bins + 1)
    which = numpy.clip(numpy.digitize(conf, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            ece += mask.mean() * abs(conf[mask].mean() - lab[mask].mean())
    return float(ece)
