"""Stances: an actor's support for or opposition to a target, in every form news writes them.

* `lexicon.py`: the taxonomy (CAMEO classes -> types, polarity, intensity) and the cue lexicon
  `stance-lexicon.tsv`, built from PETRARCH2's CAMEO verb dictionary by `lexicon_build.py`;
* `extract.py`: the candidates (reporter, passive, quote, reported speech, nominal, reciprocal
  forms; material cooperation and conflict; owners of things; pronouns);
* `verifier.py`: each candidate's calibrated confidence (`stance-verifier.json.gz`, rebuilt by
  `train.py`), and the threshold under which it is not emitted.
"""

from .extract import Stance, extract_stances  # noqa: F401
from .lexicon import INTENSITY, TYPES  # noqa: F401
