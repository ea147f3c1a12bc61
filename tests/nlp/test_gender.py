"""A person's gender for pronouns (streams.nlp.gender): the learned first-name table, the
article's own unambiguous pronouns, and what they change in pronoun resolution."""

from __future__ import annotations

import pytest

from streams.nlp import analyze_article, gender, load_pipeline
from streams.nlp.analyze import prepare
from streams.nlp.gender_build import article_votes, table_lines
from streams.nlp.text import doc_index


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline()


def _speakers(nlp, text) -> list[str | None]:
    return [q["speaker"] for q in analyze_article(text, nlp)["quotes"] if q["kind"] in ("full", "partial")]


def test_first_name_of_a_full_name_only():
    assert gender.first_name("Kamala Harris") == "kamala"
    assert gender.first_name("José Manuel Barroso") == "jose"
    assert gender.first_name("Harris") is None  # a surname or a first name: nobody can say
    assert gender.first_name("J. Smith") is None
    assert gender.first_name("JD Vance") is None
    assert gender.first_name("Senator Kamala Harris", {"senator"}) == "kamala"


def test_verdict_needs_a_clear_majority():
    assert gender.verdict(3, 1) == "m"
    assert gender.verdict(0, 2) == "f"
    assert gender.verdict(2, 2) is None
    assert gender.verdict(0, 0) is None


def test_shipped_table_is_learned_and_knows_common_names():
    table = gender.read_table(gender.DATA_FILE)
    assert len(table) > 300
    assert table["hillary"] == "f" and table["donald"] == "m" and table["tony"] == "m"
    assert set(table.values()) == {"m", "f"}
    header = gender.DATA_FILE.read_text(encoding="utf-8").splitlines()[0]
    assert "bbc-news.jsonl" in header and "polnear-train.jsonl" in header and "fundus" not in header


def test_table_keeps_only_names_with_evidence_and_a_clear_majority():
    from collections import Counter

    counts = {
        "anna": Counter(f=5),
        "kim": Counter(m=3, f=3),
        "otto": Counter(m=1),
        "alex": Counter(m=9, f=1),
        "sam": Counter(m=3, f=1),
    }
    rows = [line.split("\t") for line in table_lines(counts, ["x.jsonl"]) if not line.startswith("#")]
    assert rows == [["alex", "m", "9", "1"], ["anna", "f", "0", "5"]]


def test_pronoun_votes_count_only_unambiguous_pronouns(nlp):
    doc = nlp("Maria Lopez thanked her volunteers. She praised her staff. Maria Lopez met John Smith. He smiled.")
    index = doc_index(doc)
    text = index.text
    mentions = [(text.index("Maria Lopez"), "maria"), (text.rindex("Maria Lopez"), "maria")]
    mentions.append((text.index("John Smith"), "john"))
    votes = gender.pronoun_votes(index.tokens, mentions, index.sent_starts)
    # "her" after the only name of its sentence, "She" opening the next; not the next sentence's
    # possessive "her" (a subject only); "He" follows a sentence naming two people.
    assert votes == {"maria": [0, 2]}


def test_article_votes_from_titles_and_pronouns(nlp):
    doc = nlp(
        "Nomvula Dube opened the clinic on Monday. Mrs Dube said the town had waited for years. "
        "Sipho Khumalo spoke later. He said the money had come from the province."
    )
    assert sorted(article_votes(doc)) == [("nomvula", "f"), ("sipho", "m")]


def test_he_does_not_resolve_to_a_woman_named_by_her_first_name(nlp):
    # Without the first name's gender "he" would be Clinton, the only person of the sentence before.
    text = "Hillary Clinton spoke to voters in Ohio on Tuesday. “We will win this state,” he said."
    assert gender.name_gender("Hillary Clinton") == "f"
    p = prepare(nlp(text))
    he = next(t for t in p.body if t.lower_ == "he")
    assert p.entities.links[he.i] is None
    person = next(e for e in p.entities.entities if e.canonical == "Hillary Clinton")
    assert p.entities.gender[person.id] == "f"


def test_he_skips_the_woman_for_the_man_of_the_previous_sentence(nlp):
    text = (
        "Hillary Clinton and Bernie Sanders debated in Brooklyn on Thursday. “The banks have too much power,” he said."
    )
    assert _speakers(nlp, text) == ["Bernie Sanders"]


def test_a_title_in_the_article_beats_the_first_name(nlp):
    # "Alex" is a man's name in the table; "Ms Smith" says this Alex is a woman.
    text = (
        "Alex Smith chaired the meeting with the council on Monday. Ms Smith thanked the staff. "
        "“We have done what we promised,” she said."
    )
    assert gender.name_gender("Alex Smith") == "m"
    assert _speakers(nlp, text) == ["Alex Smith"]


# --- the census table: names the news-learned table lacks --------------------------------------


def test_census_table_fills_in_names_news_has_not_seen_and_news_comes_first():
    news, census = gender.read_table(gender.DATA_FILE), gender.read_table(gender.CENSUS_FILE)
    assert "kamala" not in news and census["kamala"] == "f"  # 2004-05 and 2016 news had no Kamala
    assert "kim" not in census and "jean" not in census  # news uses them for both
    table = gender.load_table()
    assert table["kamala"] == "f" and all(table[name] == g for name, g in news.items())
    assert gender.name_gender("Marina Lacerda") == "f"
    header = gender.CENSUS_FILE.read_text(encoding="utf-8").splitlines()[0]
    assert "1990 US Census" in header


def test_census_build_keeps_clear_names_that_news_does_not_contradict():
    from streams.nlp.census_names_build import table_lines as census_lines

    census = {
        "anna": {"f": 0.5, "m": 0.0},
        "kim": {"f": 0.1, "m": 0.0},  # the census says female; news counted both
        "robin": {"f": 0.03, "m": 0.02},  # no clear majority
        "otto": {"f": 0.0, "m": 0.01},
        "lee": {"f": 0.01, "m": 0.2},
    }
    news = {"kim": {"m": 2, "f": 2}, "otto": {"m": 1}, "lee": {"m": 9, "f": 1}}
    rows = [line.split("\t")[:2] for line in census_lines(census, news) if not line.startswith("#")]
    assert rows == [["anna", "f"], ["lee", "m"], ["otto", "m"]]


def test_a_he_after_a_woman_named_only_in_the_census_goes_to_the_man(nlp):
    """ "Kamala" is in no news the news table was learned from: the census says she is not "he"."""
    text = (
        "Reporters asked Joe Biden about Kamala Harris on Monday. Kamala Harris smiled. "
        "He said: \u201cShe is qualified to be president.\u201d"
    )
    assert _speakers(nlp, text) == ["Joe Biden"]
