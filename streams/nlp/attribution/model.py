"""The shipped attribution model: four small gradient-boosted tree ensembles and their vocabularies.

`attribution-model.json.gz` (next to this module) holds, as LightGBM's own text format inside one
JSON document: `cue` (is this token the head of a cue?), `source` (which candidate is the cue's
source, or none?), `source_span` (how far does that source's phrase reach?) and `content` (which
candidate span is the content?), with the category codes, the cue rates per lemma learned from
the training data, the decision threshold for cues and what it was trained on. `newswire train`
rebuilds it (train.py); README "Accuracy" says how.
"""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy

from streams.errors import NewswireError

from .features import Vocabs

MODEL_PATH = Path(__file__).with_name("attribution-model.json.gz")
MODEL_FORMAT = 1


class ModelMissing(NewswireError, RuntimeError):
    """The attribution model file is not there (a checkout without it, or a bad path)."""


@dataclass
class AttributionModel:
    meta: dict[str, Any]
    vocabs: Vocabs
    lemma_rates: dict[str, float]
    prior_rate: float
    noun_cues: frozenset[str]
    cue_threshold: float
    boosters: dict[str, Any]  # name -> lightgbm.Booster
    calibration: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # name -> isotonic map

    def __post_init__(self) -> None:
        # LightGBM boosters are not documented as thread-safe for predict; the NLP runs in one
        # thread per worker, but tests and eval may share the model across threads.
        self._lock = threading.Lock()

    def predict(self, name: str, rows) -> numpy.ndarray:
        if len(rows) == 0:
            return numpy.zeros(0)
        with self._lock:
            return self.boosters[name].predict(numpy.asarray(rows, dtype=numpy.float64), num_threads=1)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AttributionModel:
        import lightgbm

        if data.get("format") != MODEL_FORMAT:
            raise ModelMissing(
                f"attribution model format {data.get('format')!r}, expected {MODEL_FORMAT}: rebuild it "
                f"with `newswire train`"
            )
        boosters = {name: lightgbm.Booster(model_str=text) for name, text in data["models"].items()}
        return cls(
            meta=data.get("meta", {}),
            vocabs=Vocabs.from_dict(data["vocabs"]),
            lemma_rates=data["lemma_rates"],
            prior_rate=data["prior_rate"],
            noun_cues=frozenset(data["noun_cues"]),
            cue_threshold=data["cue_threshold"],
            boosters=boosters,
            calibration=data.get("calibration", {}),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "meta": self.meta,
            "vocabs": self.vocabs.as_dict(),
            "lemma_rates": self.lemma_rates,
            "prior_rate": self.prior_rate,
            "noun_cues": sorted(self.noun_cues),
            "cue_threshold": self.cue_threshold,
            "calibration": self.calibration,
            "models": {name: b.model_to_string() for name, b in self.boosters.items()},
        }

    def save(self, path: Path | str = MODEL_PATH) -> Path:
        path = Path(path)
        payload = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":")).encode("utf-8")
        # No name, mtime 0: the same model gives the same bytes wherever it is written.
        with (
            open(path, "wb") as raw,
            gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0, compresslevel=9) as out,
        ):
            out.write(payload)
        return path


def read_model(path: Path | str = MODEL_PATH) -> AttributionModel:
    path = Path(path)
    if not path.is_file():
        raise ModelMissing(
            f"the attribution model {path} is missing", "rebuild it with `newswire train` (see README, Accuracy)"
        )
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return AttributionModel.from_dict(json.load(f))


@lru_cache(maxsize=4)
def load_model(path: str = str(MODEL_PATH)) -> AttributionModel:
    """The model at `path`, read once per process."""
    return read_model(path)
