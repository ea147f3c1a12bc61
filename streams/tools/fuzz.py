"""Property-based fuzzing of intake → extraction → events, the worker's own path without Kafka.

Hypothesis draws article records news feeds and hostile clients send: arbitrary Unicode (control
and format characters, right-to-left text, emoji, combining marks), escaped lone surrogates,
unbalanced and nested quotation marks of every kind, a 50,000-character paragraph, deep JSON,
fields of the wrong type, record keys that disagree with the ids, bytes that are not UTF-8 or not
JSON. For each one `check_record` asserts what the worker promises:

* no exception escapes: a record is either analysed or rejected with a dead-letter reason
  (`RejectedArticle`, whose Kafka Connect headers encode);
* every event of an analysed article validates against its topic's JSON Schema and encodes as
  UTF-8 JSON (what the worker writes to Kafka);
* every offset lies inside its field and the text there is the text the event says (mentions,
  quotes, their cues and speakers, stance evidence).

`tests/tools/test_fuzz.py` runs a few hundred examples in the suite; `newswire fuzz --examples N` runs
long campaigns and prints what it found.
"""

from __future__ import annotations

import json
import signal
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field

from hypothesis import strategies as st

from streams.domain.contracts import first_error
from streams.domain.events import events_for
from streams.domain.intake import RejectedArticle, dead_letter_headers, parse_article

QUOTE_MARKS = "\"'“”‘’«»„‟‹›‚‛「」『』〝〞＂❝❞"
# Our own sentences (not corpus text) with the shapes the extractor looks for: speech cues, names,
# countries, stances, so that fuzzed text reaches the quote, speaker and stance code paths.
FRAGMENTS = [
    "said John Smith",
    "“We condemn the attack,” said the Foreign Ministry.",
    "Russia condemned Ukraine.",
    "according to the BBC",
    "Ms Dlamini told reporters",
    " he said. ",
    "Mr. O'Neill, 54, said: ",
    "France backed Germany’s plan",
    "the feud between Labour and the Tories",
    "In Lagos and Accra",
    "“I never said ‘no’,” she added.",
    "The EU imposed sanctions on Iran.",
    "WASHINGTON (AP) — ",
    "\n\n",
    " — ",
    "…",
    "U.S.",
    "Kenya's president",
    "“",
    "”",
    "‘",
    "’",
    "«",
    "»",
    ":",
    '"',
    "'",
]
SAMPLES = [
    "مرحبا بالعالم",
    "שלום עולם",
    "\u202eevil\u202c",
    "\u200f\u200e",
    "👩‍👩‍👧‍👦🇺🇦🏳️‍🌈",
    "e\u0301\u0301\u0301",
    "Z̴̡̧̛̗͎͚̰̱̱͍̈́̊͆̅a̸l̷g̷o̵",
    "\x00\x01\x07\x1b[31m",
    "\u2028\u2029",
    "\ufeff",
    "\u00ad",
    "ﬁ",
    "𝒜𝒷𝒸",
    "İı",
    "ß",
    "\t\r\n\v\f",
    "&amp;<b>",
    "\\u0000",
]
LONG_PARAGRAPH = 50_000
#: about one text in this many gets a LONG_PARAGRAPH (seconds of parsing each; the tests also run one directly)
LONG_EVERY = 200


def _unicode(max_size: int = 80) -> st.SearchStrategy[str]:
    # Every category but lone surrogates, which a Python str from valid UTF-8 cannot hold (they
    # arrive escaped in JSON: see `_json_bytes`).
    return st.text(st.characters(exclude_categories=("Cs",)), max_size=max_size)


def _piece() -> st.SearchStrategy[str]:
    return st.one_of(
        _unicode(),
        st.sampled_from(FRAGMENTS),
        st.sampled_from(SAMPLES),
        st.text(st.sampled_from(QUOTE_MARKS + " abc."), max_size=30),
        st.lists(st.sampled_from(FRAGMENTS + list(QUOTE_MARKS)), max_size=20).map(" ".join),
    )


@st.composite
def texts(draw) -> str:
    text = "".join(draw(st.lists(_piece(), min_size=1, max_size=16)))
    # Now and then one paragraph of 50,000 characters, no line break. Chosen by a hash of the text drawn so far,
    # not by a drawn integer: Hypothesis draws boundary values far more often than uniformly (0 of
    # integers(0, 199) came up in 8 % of texts), and each long text costs seconds, 90 % of a campaign's time.
    if zlib.crc32(text.encode("utf-8"), 1) % LONG_EVERY == 0:  # start value 1: the empty text, often drawn, is not long
        words = draw(st.lists(st.sampled_from(FRAGMENTS[:14] + ["and", "the", "“", "”"]), min_size=5, max_size=40))
        unit = " ".join(words).replace("\n", " ") + " "
        text = (unit * (LONG_PARAGRAPH // len(unit) + 1))[:LONG_PARAGRAPH] + text
    return text


WRONG = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
OPTIONAL = ("title", "url", "source", "published_at", "language")
TIMES = st.one_of(
    st.just("2024-04-24T06:05:00Z"),
    st.just("2024-04-24T06:05:00"),
    st.just("2024-04-24"),
    st.just("Wed, 24 Apr 2024 06:05:00 GMT"),
    st.just("1713938700"),
    st.just("yesterday"),
    _unicode(25),
)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@st.composite
def records(draw) -> tuple[bytes | None, bytes | None, str]:
    """(value, key, kind): one record as a producer could send it, and what kind of case it is."""
    kind = draw(
        st.sampled_from(
            ["article"] * 8 + ["wrong-type", "deep", "key", "surrogate", "not-json", "not-utf8", "empty", "not-object"]
        )
    )
    article: dict = {"id": draw(st.one_of(st.text(min_size=1, max_size=20), st.just("a-1"))), "text": draw(texts())}
    for name in OPTIONAL:
        if draw(st.booleans()):
            article[name] = draw(TIMES) if name == "published_at" else draw(_unicode(40))
    key: bytes | None = article["id"].encode("utf-8", "surrogatepass") if draw(st.booleans()) else None
    if kind == "wrong-type":
        name = draw(st.sampled_from(("id", "text") + OPTIONAL))
        article[name] = draw(WRONG)
    elif kind == "key":
        key = draw(st.one_of(st.binary(max_size=20), _unicode(20).map(lambda s: s.encode("utf-8"))))
    elif kind == "not-object":
        return json.dumps(draw(WRONG)).encode(), key, kind
    elif kind == "empty":
        return None, key, kind
    value = json.dumps(article, ensure_ascii=draw(st.booleans()))
    if kind == "deep":
        value = value[:-1] + ', "extra": ' + _nested(draw(st.integers(1, 5000))) + "}"
    elif kind == "surrogate":  # an escaped lone surrogate inside the text: valid JSON, not valid Unicode
        value = value.replace('"text": "', '"text": "\\ud83d' + draw(st.sampled_from(["", "x", "\\u0041"])), 1)
    raw = value.encode("utf-8")
    if kind == "not-json":
        raw = raw[: draw(st.integers(0, max(0, len(raw) - 1)))]
    elif kind == "not-utf8":
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80"])) + raw[at:]
    return raw, key, kind


class Finding(AssertionError):
    """A broken promise: the record, and what went wrong."""


def _field(article, name: str) -> str:
    return (article.title or "") if name == "title" else article.text


def _span(text: str, start, end, expected, what: str) -> None:
    if start is None and end is None:
        return
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
        raise Finding(f"{what}: offsets {start}..{end} outside the field (length {len(text)})")
    if expected is not None and text[start:end] != expected:
        raise Finding(f"{what}: text[{start}:{end}] is {text[start:end]!r}, the event says {expected!r}")


def check_event(kind: str, value: dict, article) -> None:
    problem = first_error(kind, value)
    if problem is not None:
        raise Finding(f"{kind} event violates its schema: {problem}")
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError) as error:
        raise Finding(f"{kind} event cannot be written as UTF-8 JSON: {error}") from None
    text = article.text
    for m in value.get("mentions") or []:
        _span(_field(article, m["field"]), m["start"], m["end"], m["text"], f"{kind} mention")
    if kind == "quote":
        _span(text, value["start"], value["end"], value["text"], "quote")
        _span(text, value.get("cue_start"), value.get("cue_end"), None, "quote cue")
        _span(text, value.get("speaker_start"), value.get("speaker_end"), None, "quote speaker")
    elif kind == "stance":
        _span(text, value["start"], value["end"], value["evidence"], "stance evidence")


def check_record(value: bytes | None, key: bytes | None, nlp, max_bytes: int, max_chars: int) -> str:
    """Run one record through the worker's path; return its outcome ("analysed" or the dead-letter
    reason); raise Finding when a promise is broken (any other exception is one too)."""
    try:
        article = parse_article(value, key, max_bytes, max_chars)
    except RejectedArticle as error:
        headers = dead_letter_headers(error, "news.articles", 0, 0, "newswire-fuzz")
        for name, header in headers:
            if not isinstance(header, bytes):
                raise Finding(f"dead-letter header {name} is not bytes") from None
            header.decode("utf-8")
        if not error.reason:
            raise Finding("a rejection without a reason") from None
        return error.reason
    from streams.nlp import analyze_articles

    analysis = analyze_articles([article.as_dict()], nlp, 1)[0]
    for event in events_for(analysis, published_at=article.published_at):
        check_event(event.kind, event.value, article)
    return "analysed"


@dataclass
class Campaign:
    examples: int = 0
    outcomes: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    characters: int = 0
    seconds: float = 0.0
    finding: str | None = None
    #: the record that broke the promise, as Hypothesis shrank it (its last failing call): a reproducer
    failing: tuple[bytes | None, bytes | None] | None = None
    interrupted: bool = False  # stopped by Ctrl-C (SIGINT): the figures are those of the examples run so far

    def report(self) -> str:
        lines = [
            f"newswire fuzz: {self.examples} examples in {self.seconds:.0f} s "
            f"({self.examples / max(self.seconds, 1e-9):.0f}/s), {self.characters:,} characters of text"
            + (" (interrupted)" if self.interrupted else ""),
            "  cases:    " + ", ".join(f"{k} {n}" for k, n in self.kinds.most_common()),
            "  outcomes: " + ", ".join(f"{k} {n}" for k, n in self.outcomes.most_common()),
        ]
        lines.append(f"  FOUND: {self.finding}" if self.finding else "  found: nothing (every promise held)")
        if self.failing is not None:
            lines.append(f"  record: value={self.failing[0]!r} key={self.failing[1]!r}")
        return "\n".join(lines)


def run(examples: int, nlp, max_bytes: int, max_chars: int, seed: int | None = None, progress=None) -> Campaign:
    """Fuzz `examples` records; stop at the first finding (shrunk by Hypothesis to a small case)."""
    from hypothesis import HealthCheck, Phase, given, settings

    result = Campaign()
    started = time.perf_counter()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=seed is None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        phases=[Phase.generate, Phase.shrink],
    )
    @given(records())
    def one(record):
        value, key, kind = record
        try:
            outcome = check_record(value, key, nlp, max_bytes, max_chars)
        except Exception:
            result.failing = (value, key)
            raise
        result.examples += 1
        result.kinds[kind] += 1
        result.outcomes[outcome] += 1
        result.characters += len(value or b"")
        if progress is not None:
            progress(result)

    if seed is not None:
        from hypothesis import seed as with_seed

        one = with_seed(seed)(one)
    try:
        one()
    except Exception as error:  # noqa: BLE001 - the shrunk counterexample is the campaign's finding
        result.finding = f"{type(error).__name__}: {error}"
    except KeyboardInterrupt:  # a long campaign stopped by hand still reports what it ran
        result.interrupted = True
    result.seconds = time.perf_counter() - started
    return result


def campaign(settings, examples: int, seed: int | None = None, report=None) -> int:
    """`newswire fuzz`: load the model, fuzz with a progress bar, print the figures; 1 if a promise broke."""
    from tqdm import tqdm

    from streams.nlp import load_pipeline

    nlp = load_pipeline(settings.model, settings.blas)
    nlp.max_length = max(nlp.max_length, settings.max_text_chars + 1)  # as the worker does
    # SIGTERM stops a campaign as Ctrl-C does (a campaign started in the background ignores SIGINT): it prints
    # and writes the figures of the examples it ran.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with tqdm(total=examples, unit="record", desc="fuzz", mininterval=2.0) as bar:
        result = run(
            examples, nlp, settings.max_article_bytes, settings.max_text_chars, seed, progress=lambda c: bar.update(1)
        )
    print(result.report())
    if report is not None:
        report.write_text(
            json.dumps(
                {
                    "examples": result.examples,
                    "seconds": round(result.seconds, 1),
                    "characters": result.characters,
                    "cases": dict(result.kinds),
                    "outcomes": dict(result.outcomes),
                    "finding": result.finding,
                    "interrupted": result.interrupted,
                    "record": None if result.failing is None else [repr(part) for part in result.failing],
                },
                indent=2,
            )
        )
    return 1 if result.finding else 130 if result.interrupted else 0  # 130: stopped, as by Ctrl-C
