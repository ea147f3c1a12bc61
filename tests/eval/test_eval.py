"""`newswire eval` and its parts: gold loading (inline text, corpus reference, PolNeAR), matching,
scoring, the baseline, and the command. Runs on the small fixtures in tests/fixtures/eval only."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from streams.cli.main import main
from streams.eval import GoldError, load_gold
from streams.eval.gold import Corpus, GoldArticle, GoldQuote, GoldStance, speaker_is_name, speaker_key
from streams.eval.matching import CountError, Score, same_actor, spans_match
from streams.eval.scoring import score_article

FIXTURES = Path(__file__).parents[1] / "fixtures" / "eval"
GOLD = FIXTURES / "gold.jsonl"
CORPUS = FIXTURES / "corpus.jsonl"
POLNEAR = FIXTURES / "polnear.jsonl"


# --- gold files -------------------------------------------------------------------------------


def test_guideline_record_with_inline_text():
    a, b = load_gold(GOLD, Corpus(CORPUS))
    assert a.format == "guideline" and a.title is None
    assert [q.text for q in a.quotes] == ["We will not give up,", "and we will win."]
    assert all(a.text[q.start : q.end] == q.text for q in a.quotes)
    assert a.countries == {"FR": 2, "DE": 2}
    assert [(s.actor, s.target, s.polarity) for s in a.stances] == [("France", "Germany", "oppose")]
    assert [q.speaker for q in a.indirect] == ["Jane Doe"]


def test_corpus_reference_fills_text_and_splits_the_headline():
    _, b = load_gold(GOLD, Corpus(CORPUS))
    assert b.title == "Kremlin warns Kiev"  # title_end cuts the headline the corpus glued to the body
    assert b.text.startswith("Russian President Vladimir Putin urged")
    [q] = b.quotes
    assert b.text[q.start : q.end] == "stop the violence"  # offsets shifted from the corpus text to the body
    assert b.countries == {"RU": 3, "UA": 2}


def test_corpus_reference_without_copied_text(tmp_path):
    # Our corpus-backed gold copies no corpus text: spans by offsets only, the evidence by its offsets.
    record = json.loads(GOLD.read_text(encoding="utf-8").splitlines()[1])
    with_text = load_gold(GOLD, Corpus(CORPUS))[1]
    full_text = Corpus(CORPUS).article("c-1")["text"]
    for key in ("quotes", "indirect_quotes"):
        for q in record[key]:
            del q["text"]
    [stance] = record["stances"]
    start = full_text.index(stance.pop("evidence"))
    stance["evidence_start"], stance["evidence_end"] = start, start + len(with_text.stances[0].evidence)
    bare = tmp_path / "bare.jsonl"
    bare.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert load_gold(bare, Corpus(CORPUS)) == [with_text]
    record["quotes"][0]["end"] = record["quotes"][0]["start"]  # an empty span is an error, not a quote
    bare.write_text(json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(GoldError, match="empty"):
        load_gold(bare, Corpus(CORPUS))


def test_corpus_reference_is_checked(tmp_path):
    record = json.loads(GOLD.read_text(encoding="utf-8").splitlines()[1])
    record["text_sha256"] = hashlib.sha256(b"another text").hexdigest()
    changed = tmp_path / "changed.jsonl"
    changed.write_text(json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(GoldError, match="sha256"):
        load_gold(changed, Corpus(CORPUS))
    with pytest.raises(GoldError, match="--corpus"):
        load_gold(GOLD, Corpus(tmp_path / "no-such-corpus.jsonl"))


def test_bad_offsets_are_reported(tmp_path):
    record = json.loads(GOLD.read_text(encoding="utf-8").splitlines()[0])
    record["quotes"][0]["start"] += 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(GoldError, match=r"bad.jsonl:1: quote"):
        load_gold(bad)


def test_polnear_quotes_located_in_their_attribution():
    [article] = load_gold(POLNEAR)
    assert article.format == "polnear" and article.countries is None and article.stances is None
    texts = [(q.text, q.start) for q in article.quotes]
    # "The bill is dead," is quoted twice: each gold quote sits inside its own attribution's content.
    starts = [start for text, start in texts if text == "The bill is dead,"]
    assert len(starts) == 2 and starts[0] != starts[1]
    assert all(article.text[q.start : q.end] == q.text for q in article.quotes)
    checkable = {q.text: q.checkable for q in article.quotes}
    assert checkable["We have to start again."] is True  # "Smith" is a name
    assert checkable["a disaster."] is False  # "A source" is not


@pytest.mark.parametrize(
    "source, is_name, key",
    [
        ("Clinton's spokesman Brian Fallon", True, "Brian Fallon"),
        ("Rep. G.K. Butterfield (D-N.C.), head of the Congressional Black Caucus", True, "G.K Butterfield"),
        ("Secretary of State John Kerry", True, "John Kerry"),
        ("the Association of Flight Attendants", True, "Association of Flight Attendants"),
        ("The New York businessman", False, None),
        ("a longtime adviser to Trump", False, None),
        ("Clinton's campaign", False, None),
        ("he", False, None),
        ("HOW CHINA'S DECLINE AFFECTS THE REST OF THE WORLD", False, None),
    ],
)
def test_polnear_sources_that_are_names(source, is_name, key):
    assert speaker_is_name(source, "x " + source) is is_name
    if key:
        assert speaker_key(source) == key


def test_sentence_initial_word_is_a_name_only_if_capitalised_elsewhere():
    text = "Officials said so. Clinton said more. Later, Clinton left."
    assert speaker_is_name("Clinton", text, text.index("Clinton"))
    assert not speaker_is_name("Officials", text, 0)


# --- matching -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "gold, predicted, same",
    [
        ("Maria Zakharova", "Zakharova", True),
        ("Jack Straw", "Mr Straw", True),
        ("European Union", "EU", True),
        ("British National Party", "BNP", True),
        ("United States", "White House", True),
        ("Russia", "Moscow", True),
        ("Charles B. Rangel", "Charles B Rangel", True),
        ("PlymouthLive", "Plymouth Live", True),
        ("Hillary Clinton", "Bill Clinton", False),
        ("Russia", "Ukraine", False),
        (None, None, True),
        ("Jane Doe", None, False),
    ],
)
def test_same_actor(gold, predicted, same):
    assert same_actor(gold, predicted) is same


def test_spans_match_by_overlap_or_text():
    assert spans_match("We will win.", (10, 22), "We will win", (10, 21)) > 0
    assert spans_match("a b c d e f g h", (0, 15), "a b", (0, 3)) == 0  # less than half of the union
    assert spans_match("Yes.", (0, 4), "yes", (40, 43)) == 0  # same words elsewhere: no overlap, no match


def test_score_arithmetic():
    s = Score(tp=3, fp=1, fn=2)
    assert (s.precision, s.recall) == (0.75, 0.6)
    assert round(s.f1, 4) == round(2 * 0.75 * 0.6 / 1.35, 4)
    assert Score(tp=0, fp=0, fn=4).precision is None and Score(tp=0, fp=0, fn=4).recall == 0.0
    assert CountError(absolute=3, gold_total=30).error == 0.1


def test_score_article_counts_every_figure():
    text = "Alice Ray said: “One two three.” Bob Lee said “four five six.” Paris and Lyon and Berlin."
    gold = GoldArticle(
        id="t",
        text=text,
        format="guideline",
        quotes=[
            GoldQuote("One two three.", 16, 30, "Alice Ray", "full"),
            GoldQuote("four five six.", 46, 60, "Bob Lee", "partial"),
        ],
        indirect=[],
        countries={"FR": 2, "DE": 1},
        stances=[GoldStance("Alice Ray", "Bob Lee", "oppose"), GoldStance("France", "Germany", "oppose")],
    )
    prediction = {
        "quotes": [
            {"text": "One two three.", "start": 16, "end": 30, "speaker": "Ray", "kind": "full"},
            {"text": "four five six.", "start": 46, "end": 60, "speaker": "Alice Ray", "kind": "full"},
            {"text": "Paris", "start": 63, "end": 68, "speaker": None, "kind": "partial"},
        ],
        "stances": [
            {"actor": "Alice Ray", "target": "Bob Lee", "polarity": "oppose"},
            {"actor": "Alice Ray", "target": "Bob Lee", "polarity": "oppose"},  # duplicate: counted once
            {"actor": "Bob Lee", "target": "Alice Ray", "polarity": "support"},
        ],
        "countries": {"FR": 1, "DE": 1, "IT": 2},
    }
    scores = score_article(gold, prediction).as_dict()
    assert (scores["quotes"]["tp"], scores["quotes"]["fp"], scores["quotes"]["fn"]) == (2, 1, 0)
    assert (scores["quotes_speaker"]["tp"], scores["quotes_speaker"]["fp"], scores["quotes_speaker"]["fn"]) == (1, 2, 1)
    assert scores["speaker_accuracy"] == {"correct": 1, "total": 2, "accuracy": 0.5}
    assert scores["kind_accuracy"]["correct"] == 1
    assert (scores["stances"]["tp"], scores["stances"]["fp"], scores["stances"]["fn"]) == (1, 1, 1)
    assert (scores["country_presence"]["tp"], scores["country_presence"]["fp"], scores["country_presence"]["fn"]) == (
        2,
        1,
        0,
    )
    # |1-2| + |1-1| + |2-0| = 3 over a gold total of 3
    assert scores["country_counts"] == {"absolute_error": 3, "gold_total": 3, "predicted_total": 4, "error": 1.0}


# --- the baseline ---------------------------------------------------------------------------


def test_baseline_survives_odd_quotation_marks(nlp):
    from streams.eval.baseline import analyze_baseline

    text = (
        "He said “this one never closes.\n\n"
        "“We will win this fight,” said John Smith, the mayor of Paris. Officials in Germany agreed."
    )
    result = analyze_baseline(nlp(text))
    assert result["stances"] == []
    assert [q["speaker"] for q in result["quotes"]] == ["John Smith"]  # the second paragraph still counts
    [q] = result["quotes"]
    assert text[q["start"] : q["end"]] == q["text"] == "We will win this fight,"
    assert result["countries"].get("DE") == 1


# --- the command ------------------------------------------------------------------------------


def test_eval_command_json(capsys):
    assert main(["eval", str(GOLD), str(POLNEAR), "--corpus", str(CORPUS), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [f["articles"] for f in report["files"]] == [2, 1]
    assert report["all"]["formats"] == ["guideline", "polnear"]
    ours = report["all"]["systems"]["ours"]
    baseline = report["all"]["systems"]["baseline"]
    assert ours["quotes"]["gold"] == 7 and ours["quotes"]["recall"] >= 6 / 7
    assert ours["quotes_speaker"]["gold"] == 6  # "A source" cannot be checked
    assert ours["stances"]["gold"] == 2 and ours["country_counts"]["gold_total"] == 9
    assert ours["country_presence"]["f1"] == 1.0
    # The baseline has no stance extractor: nothing predicted, recall 0, precision undefined.
    assert baseline["stances"]["predicted"] == 0 and baseline["stances"]["recall"] == 0.0
    assert baseline["stances"]["precision"] is None
    assert baseline["country_counts"]["predicted_total"] < 9  # GPE/NORP names only: no capitals, no cities
    polnear = report["files"][1]["systems"]["ours"]
    assert polnear["country_presence"] is None and polnear["stances"] is None


def test_eval_command_text_report_ends_with_json(capsys, tmp_path):
    errors = tmp_path / "errors.jsonl"
    assert main(["eval", str(GOLD), "--corpus", str(CORPUS), "--no-baseline", "--errors", str(errors)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "quotes + right speaker" in "\n".join(lines) and "baseline" not in lines[2]
    last = json.loads(lines[-1])
    assert last["newswire_eval"]["baseline"] is None
    assert set(last["newswire_eval"]["files"][0]["systems"]) == {"ours"}
    for line in errors.read_text(encoding="utf-8").splitlines():
        assert json.loads(line)["system"] == "ours"


def test_eval_command_reports_a_bad_gold_file(capsys, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    assert main(["eval", str(bad), "--no-baseline"]) == 2
    assert "not JSON" in capsys.readouterr().err
