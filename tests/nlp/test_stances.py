"""Stances in the forms news writes them (GUIDELINE.md, Stances), the CAMEO lexicon and the verifier.

Every text here is written for the tests (the people, parties and papers are made up, or the
sentence is one nobody reported).
"""

from __future__ import annotations

import pytest

from streams.domain.contracts import first_error
from streams.domain.events import events_for
from streams.nlp import analyze_article
from streams.nlp.stances import extract_stances  # noqa: F401  (the package keeps its entry point)
from streams.nlp.stances.lexicon import LEXICON_PATH, TYPES, cameo_type, load_lexicon
from streams.nlp.stances.lexicon_build import CAMEO_DEFAULT, build
from streams.nlp.stances.verifier import Isotonic, expected_calibration_error, load_verifier


def _stances(nlp, text) -> set[tuple[str, str, str]]:
    return {(s["actor"], s["target"], s["polarity"]) for s in analyze_article(text, nlp)["stances"]}


def _typed(nlp, text) -> set[tuple[str, str, str, str]]:
    return {(s["actor"], s["target"], s["polarity"], s["type"]) for s in analyze_article(text, nlp)["stances"]}


# --- the forms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        # 1. said by the reporter
        (
            "Senator Mary Smith condemned Governor Tom Hale on Tuesday.",
            {("Mary Smith", "Tom Hale", "oppose", "criticize_or_accuse")},
        ),
        (
            "Canada has continued to back Prime Minister Lena Moss.",
            {("Canada", "Lena Moss", "support", "express_support")},
        ),
        (
            "The Green Party lashed out at Mayor Ken Doyle over the budget.",
            {("Green Party", "Ken Doyle", "oppose", "criticize_or_accuse")},
        ),
        # 3. passive, nominal, gerund
        (
            "Governor Tom Hale was criticised by Senator Mary Smith.",
            {("Mary Smith", "Tom Hale", "oppose", "criticize_or_accuse")},
        ),
        (
            "Mayor Ken Doyle drew rebukes from the Green Party.",
            {("Green Party", "Ken Doyle", "oppose", "criticize_or_accuse")},
        ),
        (
            "Senator Mary Smith was outspoken in condemning Governor Tom Hale.",
            {("Mary Smith", "Tom Hale", "oppose", "criticize_or_accuse")},
        ),
        (
            "Senator Mary Smith has been a fierce critic of Governor Tom Hale.",
            {("Mary Smith", "Tom Hale", "oppose", "criticize_or_accuse")},
        ),
        (
            "Mary Smith was keen to distance herself from Tom Hale.",
            {("Mary Smith", "Tom Hale", "oppose", "criticize_or_accuse")},
        ),
        (
            "Senator Mary Smith is highly critical of Governor Tom Hale.",
            {("Mary Smith", "Tom Hale", "oppose", "criticize_or_accuse")},
        ),
        # 4. material cooperation and conflict
        ("France imposed sanctions on Iran last year.", {("France", "Iran", "oppose", "sanction")}),
        ("Brazil slapped tariffs on Chilean copper.", {("Brazil", "Chile", "oppose", "sanction")}),
        ("Poland sent tanks to Lithuania.", {("Poland", "Lithuania", "support", "provide_aid")}),
        ("Russia sent troops into Moldova.", set()),  # sent into: no help to it
        ("Turkish forces invaded Syria in 2019.", {("Turkey", "Syria", "oppose", "use_force")}),
        ("Canada expelled Bolivia's ambassador on Friday.", {("Canada", "Bolivia", "oppose", "sanction")}),
        # 5. a thing stands for its owner
        ("Greenpeace condemned the Russian attack.", {("Greenpeace", "Russia", "oppose", "criticize_or_accuse")}),
        (
            "Senator Mary Smith criticised Tom Hale's budget.",
            {("Mary Smith", "Tom Hale", "oppose", "criticize_or_accuse")},
        ),
        ("The union has praised the Brazil-led programme.", set()),  # the union names no one: no actor
        ("Norway has endorsed a Brazil-led forest programme.", {("Norway", "Brazil", "support", "praise")}),
        # a government or army acting is its country
        ("The Chilean government rejected Peru's claim.", {("Chile", "Peru", "oppose", "reject")}),
        # pronoun actors
        (
            "Tom Hale spoke in Leeds on Monday. He praised Senator Mary Smith.",
            {("Tom Hale", "Mary Smith", "support", "praise")},
        ),
        # a negated support cue is a rejection
        ("Canada refused to back Lena Moss.", {("Canada", "Lena Moss", "oppose", "reject")}),
    ],
)
def test_stance_forms(nlp, text, expected):
    assert _typed(nlp, text) == expected


def test_both_directions_when_both_are_subjects(nlp):
    got = _stances(nlp, "Japanese and Australian troops held joint exercises in May.")
    assert got == {("Japan", "Australia", "support"), ("Australia", "Japan", "support")}


def test_agreement_with_a_partner_runs_both_ways(nlp):
    got = _stances(nlp, "Germany signed an agreement with Poland on Tuesday.")
    assert got == {("Germany", "Poland", "support"), ("Poland", "Germany", "support")}


def test_reciprocal_nouns(nlp):
    got = _stances(nlp, "The feud between Senator Mary Smith and Governor Tom Hale deepened this week.")
    assert got == {("Mary Smith", "Tom Hale", "oppose"), ("Tom Hale", "Mary Smith", "oppose")}
    got = _stances(nlp, "An alliance of Chile, Peru and Bolivia will coordinate the relief, the ministers announced.")
    assert ("Chile", "Bolivia", "support") in got and ("Bolivia", "Peru", "support") in got and len(got) == 6


def test_between_names_the_parser_hangs_under_each_other(nlp):
    # the parser often makes "Paul Ward" a modifier of "Lena Moss" rather than its conjunct
    got = _stances(nlp, "The feud between Paul Ward and Lena Moss threatened to undermine the campaign.")
    assert got == {("Paul Ward", "Lena Moss", "oppose"), ("Lena Moss", "Paul Ward", "oppose")}


def test_every_name_of_an_agent_noun_list(nlp):
    got = _stances(nlp, "Three of Tom Hale's accusers, Jane Roe, Mary Poe and Ann Farmer, testified on Monday.")
    assert got == {(name, "Tom Hale", "oppose") for name in ("Jane Roe", "Mary Poe", "Ann Farmer")}


def test_asked_to_make_an_exit(nlp):
    got = _stances(nlp, "Congressman Peter Grant urged President Tom Hale to manage an exit with dignity.")
    assert got == {("Peter Grant", "Tom Hale", "oppose")}
    assert _stances(nlp, "Congressman Peter Grant urged President Tom Hale to manage the budget.") == set()


def test_said_by_the_actor_itself(nlp):
    # reported speech about oneself is a stance; about someone else it is a quote
    assert _stances(nlp, "Mary Smith said she backed Tom Hale.") == {("Mary Smith", "Tom Hale", "support")}
    assert _stances(nlp, "Mary Smith said Tom Hale opposed Peter Grant.") == set()
    # inside a quote: the speaker's first person, never a third person of the quote
    got = _stances(nlp, "“We strongly condemn Governor Tom Hale,” said the Green Party.")
    assert got == {("Green Party", "Tom Hale", "oppose")}
    assert _stances(nlp, "“Canada backs Lena Moss,” said Peter Grant.") == set()


def test_the_attacker_named_in_the_article(nlp):
    text = (
        "Boko Haram attacked the offices of the Daily Courier on Monday. "
        "“We condemn the attack on our journalists in the strongest terms,” said Peter Grant."
    )
    assert ("Peter Grant", "Boko Haram", "oppose") in _stances(nlp, text)


# --- what must not happen ------------------------------------------------------------------


def test_a_dateline_is_no_actor(nlp):
    text = "SPRINGFIELD, Ill. — Jane Doe accused John Roe of lying about the plant."
    got = _stances(nlp, text)
    assert got == {("Jane Doe", "John Roe", "oppose")}


def test_things_that_attack_are_no_actors(nlp):
    assert _stances(nlp, "The Tom Baker ads attacking Senator Ann Cole ran all week.") == set()


@pytest.mark.parametrize(
    "text",
    [
        "Iran could threaten Israel if the talks fail.",  # hypothetical
        "Will France condemn Iran?",  # question
        "France did not criticise Iran.",  # negation
        "Tom Hale is a member of the Green Party.",  # membership
        "Tom Hale met Mary Smith in Paris to strengthen ties.",  # routine contact
        "Mary Smith urged Congress to pass the bill.",  # a request to act is no stance
        "The Green Party called on the Ardent Bank to fund the clinics.",
    ],
)
def test_no_stance(nlp, text):
    assert _stances(nlp, text) == set()


# --- the event -------------------------------------------------------------------------------


def test_stance_event_carries_evidence_and_confidence(nlp):
    text = "Tom Hale spoke in Leeds. Senator Mary Smith condemned Governor Tom Hale on Tuesday."
    r = analyze_article({"id": "t1", "text": text}, nlp)
    (s,) = r["stances"]
    assert s["evidence"] == "Senator Mary Smith condemned Governor Tom Hale on Tuesday."
    assert text[s["start"] : s["end"]] == s["evidence"]
    assert 0.0 <= s["confidence"] <= 1.0 and s["cameo"] == "111" and s["form"] == "reporter"
    assert s["intensity"] == TYPES["criticize_or_accuse"][1]
    for event in events_for(r):
        if event.kind == "stance":
            assert first_error("stance", event.value) is None
            assert event.value["confidence"] == s["confidence"]


# --- lexicon and verifier --------------------------------------------------------------------


def test_lexicon_comes_from_cameo_codes():
    lex = load_lexicon()
    assert lex.verbs["condemn"].code == "111" and lex.verbs["condemn"].type == "criticize_or_accuse"
    assert lex.verbs["invade"].type == "use_force" and lex.verbs["expel"].type == "sanction"
    assert lex.objects[("impose", "sanction")].type == "sanction"
    assert lex.objects[("sign", "agreement")].reverse == "057"  # CAMEO's [057:057]: both directions
    assert lex.nouns["condemnation"].lemma == "condemn" and lex.nouns["invasion"].type == "use_force"
    assert "argue" not in lex.verbs and "say" not in lex.verbs  # reporting verbs are not stances
    assert cameo_type("042") is None and cameo_type("0311") is None  # visits, intentions
    assert cameo_type("173") == "sanction" and cameo_type("064") == "material_cooperation"
    assert (LEXICON_PATH.parent / "LICENSE-cameo").is_file()


@pytest.mark.skipif(not CAMEO_DEFAULT.is_file(), reason="PETRARCH2's CAMEO dictionary is not beside the project")
def test_lexicon_file_is_what_the_builder_makes():
    import spacy

    from streams.settings import Settings

    fresh = spacy.load(Settings().model).vocab.strings  # a pipeline that has parsed text knows more words
    assert build(CAMEO_DEFAULT, fresh) == LEXICON_PATH.read_text(encoding="utf-8").splitlines()


def test_verifier_is_shipped_and_calibrated():
    v = load_verifier()
    assert v.booster is not None, "stance-verifier.json.gz missing: python -m streams.nlp.stances.train ..."
    assert 0.0 < v.threshold < 1.0
    assert v.meta["seed"] and "oof_ece" in v.meta
    ys = v.calibration.y
    assert all(0.0 <= y <= 1.0 for y in ys) and ys == sorted(ys)  # isotonic: monotone rates


def test_expected_calibration_error():
    assert expected_calibration_error([0.9] * 10, [1] * 9 + [0]) == pytest.approx(0.0)
    assert expected_calibration_error([1.0, 1.0], [0, 0]) == pytest.approx(1.0)
    iso = Isotonic([0.0, 0.5, 1.0], [0.1, 0.4, 0.9])
    assert list(iso(__import__("numpy").array([0.25, 1.0]))) == pytest.approx([0.25, 0.9])


def test_verifier_threshold_search_counts_as_eval_does():
    """train._article_prf: one stance per distinct (actor, target, polarity), names matched as eval does."""
    from streams.nlp.stances.train import _article_prf

    articles = [
        {
            "keys": [
                ("Joe Biden", "Kamala Harris", "support"),
                ("Biden", "Harris", "support"),
                ("Harris", "Trump", "oppose"),
            ],
            "gold": [("Joe Biden", "Kamala Harris", "support"), ("Kamala Harris", "Donald Trump", "support")],
        }
    ]
    # everything kept: two distinct keys match the one Biden stance (one pair), the Harris one has
    # the wrong polarity
    p, r, tp, fp, fn = _article_prf(articles, [0.9, 0.8, 0.7], 0.0)
    assert (tp, fp, fn) == (1, 2, 1)
    # over the threshold only the first: right
    assert _article_prf(articles, [0.9, 0.1, 0.1], 0.5)[2:] == (1, 0, 1)
