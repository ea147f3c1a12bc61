"""Learned attribution and speakers (streams/nlp/attribution): candidates, the shipped model, the
speaker choice with its evidence and confidence, the reported-speech check, and training.

Texts are written for the tests; the model is the one shipped in the package."""

from __future__ import annotations

import gzip
import json

import pytest

from streams.eval.matching import Calibration
from streams.nlp import analyze_article
from streams.nlp.attribution.candidates import (
    content_candidates,
    cue_span,
    source_candidates,
    source_span_variants,
)
from streams.nlp.attribution.extract import find_attributions
from streams.nlp.attribution.model import MODEL_PATH, load_model, read_model
from streams.nlp.attribution.train import TrainingArticle, gold_attributions, quote_spans, train_attribution
from streams.nlp.attribution.train_speakers import expected_calibration_error, isotonic


def _token(doc, text):
    return next(t for t in doc if t.text == text)


def _quotes(result):
    return [q for q in result["quotes"] if q["kind"] != "indirect"]


# --- candidates -------------------------------------------------------------------------------


def test_cue_span_takes_auxiliaries_particles_and_colon(nlp):
    doc = nlp("The minister has also said: it will pass. Critics pointed out the cost.")
    said = _token(doc, "said")
    start, end = cue_span(said)
    assert doc.text[start:end] == "has also said:"
    pointed = _token(doc, "pointed")
    start, end = cue_span(pointed)
    assert doc.text[start:end] == "pointed out"


def test_source_candidates_know_subjects_agents_and_according_to(nlp):
    doc = nlp("According to the mayor, the bridge will close. The plan was criticised by unions.")
    according = _token(doc, "According")
    origins = {c.origin: doc.text[c.start : c.end] for c in source_candidates(according)}
    assert origins["according"] == "mayor"
    criticised = _token(doc, "criticised")
    origins = {c.origin: doc.text[c.start : c.end] for c in source_candidates(criticised)}
    assert origins["agent"] == "unions"


def test_source_span_variants_cut_appositions(nlp):
    doc = nlp("Jane Doe, a lawyer for the family, said the case was closed.")
    head = _token(doc, "Doe")
    spans = {doc.text[v.start : v.end] for v in source_span_variants(head)}
    assert "Jane Doe" in spans and "Jane Doe, a lawyer for the family" in spans


def test_content_candidates_hold_the_clause_and_the_split_quote(nlp):
    doc = nlp("Smith said that the bill was dead.\n\n“It is over,” she said, “and we start again.”")
    said = _token(doc, "said")
    texts = {doc.text[c.start : c.end] for c in content_candidates(said, set(), quote_spans(doc.text))}
    assert "that the bill was dead" in texts
    second = [t for t in doc if t.text == "said"][1]
    texts = {doc.text[c.start : c.end] for c in content_candidates(second, set(), quote_spans(doc.text))}
    assert "“It is over,” she said, “and we start again.”" in texts  # the run a split quote makes


# --- the shipped model ------------------------------------------------------------------------


def test_model_file_is_small_and_says_what_it_was_trained_on():
    assert MODEL_PATH.stat().st_size <= 5_000_000
    with gzip.open(MODEL_PATH, "rt", encoding="utf-8") as f:
        data = json.load(f)
    assert data["meta"]["trained_on"][0] == "polnear-train.jsonl" and data["meta"]["seed"] == 13
    assert set(data["models"]) >= {"cue", "source", "source_span", "content", "speaker", "reported"}
    model = read_model()
    assert 0 < model.cue_threshold < 1 and model.calibration["speaker"]["x"]


def test_attribution_of_reported_speech_has_all_three_parts(nlp):
    text = "The finance minister said on Tuesday that the budget would be balanced by 2027."
    doc = nlp(text)
    [a] = [a for a in find_attributions(doc, quote_spans(text), load_model()) if text[a.cue[0] : a.cue[1]] == "said"]
    assert text[a.source[0] : a.source[1]] == "The finance minister"
    assert text[a.content[0] : a.content[1]].startswith("that the budget would be balanced")
    assert 0 < a.cue_confidence <= 1 and 0 < a.source_confidence <= 1


# --- speakers, with their evidence ----------------------------------------------------------


def test_every_quote_says_why_and_how_sure(nlp):
    text = (
        "Maria Lopez, the head of the port authority, spoke to reporters on Monday.\n\n"
        "“We will reopen the harbour within a week,” Lopez said."
    )
    [q] = _quotes(analyze_article(text, nlp))
    assert q["speaker"] == "Maria Lopez"
    assert text[q["cue_start"] : q["cue_end"]] == "said"
    assert text[q["speaker_start"] : q["speaker_end"]] == "Lopez"
    assert 0.5 < q["confidence"] <= 1


def test_an_acronym_introduced_with_its_name_speaks_under_the_full_name(nlp):
    text = (
        "The Competition and Markets Authority (CMA) opened an inquiry into the merger on Monday.\n\n"
        "“Consumers could pay more,” the CMA said in a statement."
    )
    [q] = _quotes(analyze_article(text, nlp))
    assert q["speaker"] == "Competition and Markets Authority"


def test_a_quote_going_on_after_its_attribution_keeps_the_speaker(nlp):
    text = (
        "“We did not expect this,” said Tom Baker, the club's coach. “The players gave everything.”\n\n"
        "“Next week will be different,” he added."
    )
    quotes = _quotes(analyze_article(text, nlp))
    assert [q["speaker"] for q in quotes] == ["Tom Baker"] * 3


def test_the_person_named_beside_a_role_is_a_person_whatever_the_ner_says(nlp):
    text = (
        "“The wait is four to eight months,” the company’s CEO, Abdulaziz Jaafar, told reporters. "
        "Jaafar is also pushing universities to offer space courses. "
        "“You need people with higher degrees,” he said."
    )
    quotes = _quotes(analyze_article(text, nlp))
    assert [q["speaker"] for q in quotes] == ["Abdulaziz Jaafar", "Abdulaziz Jaafar"]


def test_a_claim_quoted_is_its_authors_not_the_dismissers(nlp):
    text = "The leader dismissed claims that his policy was “moving onto the turf” of his rivals."
    [q] = _quotes(analyze_article(text, nlp))
    assert q["speaker"] is None


def test_reported_speech_needs_a_named_speaker(nlp):
    named = analyze_article("Health Minister Jane Park said the new hospital would open in March.", nlp)
    unnamed = analyze_article(
        "The health minister said the new hospital would open in March. Some people say it will never open.", nlp
    )
    assert [q["kind"] for q in named["quotes"]] == ["indirect"] and named["quotes"][0]["speaker"]
    assert 0 < named["quotes"][0]["confidence"] <= 1
    assert [q for q in unnamed["quotes"] if q["kind"] == "indirect"] == []


# --- calibration and training ---------------------------------------------------------------


def test_expected_calibration_error():
    assert expected_calibration_error([(0.9, True)] * 9 + [(0.9, False)]) == pytest.approx(0.0)
    assert expected_calibration_error([(1.0, False), (0.0, True)]) == pytest.approx(1.0)
    c = Calibration([(0.25, False), (0.25, False), (0.25, False), (0.25, True)])
    assert c.ece == pytest.approx(0.0)
    assert Calibration([(0.8, False)]).as_dict()["ece"] == pytest.approx(0.8)


def test_isotonic_map_is_increasing_and_within_bounds():
    points = [(i / 100, i % 3 != 0 and i > 40) for i in range(100)]
    m = isotonic(points)
    assert m["x"] == sorted(m["x"]) and m["y"] == sorted(m["y"])
    assert 0.0 <= m["y"][0] <= m["y"][-1] <= 1.0


POLNEAR_LIKE = [
    "Senator Ann Park said that the bill would pass. Critics said it would fail.",
    "The mayor told reporters the bridge would close. According to the police, roads were blocked.",
    "“We will win,” said coach Tom Reed. Fans said the team had played well.",
]


def _record(text: str) -> dict:
    """A PolNeAR-like record: every "said"/"told"/"According to" is a cue with the clause after it."""
    attributions = []
    for cue in ("said", "told", "According to"):
        at = text.find(cue)
        while at >= 0:
            attributions.append(
                {
                    "source": {"text": "x", "start": max(0, at - 6), "end": max(1, at - 1)},
                    "cue": {"text": cue, "start": at, "end": at + len(cue)},
                    "content": {"text": "y", "start": at + len(cue) + 1, "end": len(text) - 1},
                }
            )
            at = text.find(cue, at + 1)
    return {"id": str(abs(hash(text))), "text": text, "attributions": attributions}


def test_training_is_reproducible_with_its_seed(nlp):
    records = [_record(t) for t in POLNEAR_LIKE * 4]
    docs = list(nlp.pipe([r["text"] for r in records]))
    articles = [TrainingArticle(r["id"], d, gold_attributions(r)) for r, d in zip(records, docs, strict=False)]
    quiet = lambda *_: None  # noqa: E731
    a = train_attribution(articles, seed=7, log=quiet)
    b = train_attribution(articles, seed=7, log=quiet)
    assert a.to_dict()["models"] == b.to_dict()["models"]
    assert a.meta["attributions"] == sum(len(x.attributions) for x in articles)
