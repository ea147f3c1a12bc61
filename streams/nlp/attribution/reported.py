"""Is it reported speech, by the guideline's definition? A learned check of each candidate.

The rules (quotes.extract_indirect_quotes) and the attribution model (attribute.learned_indirect)
propose reported speech; PolNeAR's attributions include beliefs, perceptions and findings, while
the guideline keeps only clear cases: a named speaker as subject of a verb of communication with
a content complement not mostly quoted. A small model trained on our gold files (dev half, BBC,
seed) decides from the cue, the content, the parse around them and who the candidate speakers
are; its probability, calibrated out of fold, enters the event's confidence.
"""

from __future__ import annotations

import math

import numpy
from spacy.tokens import Token

from ..quotes import Quote
from ..text import doc_index
from .speakers import Evidence, SpeakerContext

MODALS = {"could", "would", "might", "may", "should", "must", "can", "will"}
TAGS = ("VBD", "VBZ", "VBP", "VBG", "VBN", "VB", "other")
DEPS = ("ROOT", "ccomp", "advcl", "conj", "xcomp", "relcl", "acl", "parataxis", "pcomp", "other")
SUBJECT_KINDS = ("none", "PERSON", "ORG", "GPE", "NORP", "pronoun", "noun", "propn", "other")

REPORTED_COLUMNS = [
    "learned",
    "cue_lemma",
    "cue_rate",
    "cue_confidence",
    "content_confidence",
    "tokens_log",
    "quoted_share",
    "cue_tag",
    "cue_dep",
    "passive",
    "modal",
    "negated",
    "subject_kind",
    "has_rule_speaker",
    "has_learned_speaker",
    "question",
    "content_after_cue",
    "cue_words",
    "sentence_quotes",
    "content_is_clause",
    "speaker_share",
    "speaker_is_none",
]
REPORTED_CATEGORICAL = ["cue_lemma", "cue_tag", "cue_dep", "subject_kind"]


def _code(value: str, choices: tuple[str, ...]) -> float:
    return float(choices.index(value)) if value in choices else float(len(choices) - 1)


def _subject_kind(cue: Token) -> str:
    subject = next((c for c in cue.children if c.dep_ in ("nsubj", "nsubjpass", "csubj")), None)
    if subject is None:
        return "none"
    if subject.ent_type_ in ("PERSON", "ORG", "GPE", "NORP"):
        return subject.ent_type_
    if subject.pos_ == "PRON":
        return "pronoun"
    return {"NOUN": "noun", "PROPN": "propn"}.get(subject.pos_, "other")


def reported_row(ctx: SpeakerContext, q: Quote, ev: Evidence, model, share: float, none_chosen: bool) -> list[float]:
    index = doc_index(ctx.doc)
    text = index.text
    cue = index.tokens[q.cue_i] if q.cue_i is not None else None
    att = ev.attribution
    a, b = index.token_range(q.start, q.end)
    n = max(1, b - a)
    quoted = sum(1 for t in index.tokens[a:b] if ctx.quoted.contains(t.idx)) / n
    sentence = index.sents[index.sentence_at(q.start)]
    lemma = cue.lemma_.lower() if cue is not None else ""
    children = list(cue.children) if cue is not None else []
    head = index.tokens[a] if a < len(index.tokens) else None
    clause = float(head is not None and any(t.pos_ in ("VERB", "AUX") for t in index.tokens[a:b]))
    return [
        float(q.method == "learned"),
        float(model.vocabs.lemma(lemma)),
        model.lemma_rates.get(lemma, model.prior_rate),
        att.cue_confidence if att is not None else 0.0,
        att.content_confidence if att is not None else 0.0,
        math.log1p(n),
        quoted,
        _code(cue.tag_ if cue is not None else "other", TAGS),
        _code(cue.dep_ if cue is not None else "other", DEPS),
        float(any(c.dep_ in ("nsubjpass", "auxpass") for c in children)),
        float(any(c.dep_ == "aux" and c.lower_ in MODALS for c in children)),
        float(any(c.dep_ == "neg" for c in children)),
        _code(_subject_kind(cue) if cue is not None else "none", SUBJECT_KINDS),
        float(ev.rule_speaker is not None),
        float(ev.learned_speaker is not None),
        float(text[sentence.start_char : sentence.end_char].rstrip().endswith("?")),
        float(cue is not None and q.start > cue.idx),
        float(len(q.cue.split()) if q.cue else 0),
        float(text[sentence.start_char : sentence.end_char].count("“")),
        clause,
        share,
        float(none_chosen),
    ]


def keep_reported(rows: list[list[float]], model) -> list[float]:
    """The calibrated probability that each candidate is reported speech by the guideline."""
    if not rows:
        return []
    if "reported" not in model.boosters:
        return [1.0] * len(rows)
    raw = model.predict("reported", numpy.asarray(rows, dtype=numpy.float64))
    calibration = model.calibration.get("reported")
    if not calibration:
        return [float(p) for p in raw]
    return [float(numpy.interp(p, calibration["x"], calibration["y"])) for p in raw]
