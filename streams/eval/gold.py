"""Gold files, read into one shape whatever their format.

Two formats are read (the format is decided per record):

* **guideline** (`shared/eval/GUIDELINE.md`, e.g. `seed-gold.jsonl`, our `eval/bbc-gold.jsonl`):
  `quotes` with speaker, kind and offsets, `indirect_quotes`, `countries` (code -> surface strings,
  one per occurrence), `stances`. A record without `text` names a corpus article instead
  (`corpus_id`, `text_sha256`): its text is read from the corpus and checked against the hash, so
  the corpus itself never has to be copied next to the annotations. Such a record may leave out
  the text of its spans too (it is `text[start:end]`), a stance's `evidence` given as
  `evidence_start`/`evidence_end`, and the title when it is the corpus article's.
* **PolNeAR** (`polnear-*.jsonl`): `attributions` (source / cue / content, with offsets) and
  `quotes` (`{text, speaker}`: the quoted segments inside the contents). A quote is located inside
  the content of its attribution; its speaker is the attribution's source text ("he",
  "Clinton's spokesman Brian Fallon", "sources"). Only sources that are names can be checked
  against a canonical speaker (see `speaker_is_name`); countries and stances are not annotated.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streams.domain.jsonl import read_jsonl
from streams.errors import NewswireError
from streams.settings import SHARED_CORPUS

DEFAULT_CORPUS = SHARED_CORPUS

GUIDELINE, POLNEAR = "guideline", "polnear"


class GoldError(NewswireError, ValueError):
    """A gold file that cannot be read (bad JSON, missing corpus article, text changed)."""


@dataclass
class GoldQuote:
    text: str
    start: int
    end: int
    speaker: str | None  # canonical name (guideline) or the source's text (PolNeAR)
    kind: str | None = None  # full | partial | indirect; None when not annotated
    # Can a predicted speaker be checked against `speaker`? Guideline gold: always (null means
    # "no named speaker"). PolNeAR: only when the source is a name, not "he" or "a source".
    checkable: bool = True


@dataclass
class GoldStance:
    actor: str
    target: str
    polarity: str
    evidence: str | None = None


@dataclass
class GoldArticle:
    id: str
    text: str
    format: str
    title: str | None = None
    quotes: list[GoldQuote] = field(default_factory=list)
    indirect: list[GoldQuote] | None = None  # None: not annotated in this format
    countries: dict[str, int] | None = None
    stances: list[GoldStance] | None = None
    source: str | None = None  # the outlet, as a news.articles record names it
    url: str | None = None
    # PolNeAR: every attribution of every kind, as character spans (cue, source or None, content).
    attributions: list[tuple[tuple[int, int], tuple[int, int] | None, tuple[int, int]]] | None = None

    def as_input(self) -> dict[str, Any]:
        """The article as `streams.nlp.analyze_articles` takes it."""
        article: dict[str, Any] = {"id": self.id, "text": self.text}
        if self.title:
            article["title"] = self.title
        for key in ("source", "url"):
            if getattr(self, key):
                article[key] = getattr(self, key)
        return article


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- corpus ----------------------------------------------------------------------------------


class Corpus:
    """Articles of JSONL corpora by id, each file read lazily and only once.

    `path` (`--corpus`) is read for every record when given. Otherwise a record's corpus is the
    one it names (`"corpus": "fundus-news"` is `shared/corpus/fundus-news.jsonl` next to the
    project), or the BBC corpus there when it names none.
    """

    def __init__(self, path: Path | str | None):
        self.explicit = path is not None
        self.path = Path(path) if path else DEFAULT_CORPUS
        self._files: dict[Path, dict[str, dict[str, Any]]] = {}

    def path_for(self, name: str | None) -> Path:
        if name and not self.explicit:
            return SHARED_CORPUS.parent / f"{name}.jsonl"
        return self.path

    def article(self, article_id: str, corpus: str | None = None) -> dict[str, Any]:
        path = self.path_for(corpus)
        texts = self._files.get(path)
        if texts is None:
            if not path.is_file():
                raise GoldError(
                    f"a gold record refers to corpus article {article_id!r} but the corpus {path} is not "
                    f'there; pass --corpus PATH (a JSONL file of {{"id", "text"}} objects)'
                )
            texts = self._files[path] = {str(row.get("id")): row for _, row in read_jsonl(path, GoldError)}
        row = texts.get(article_id)
        if row is None:
            raise GoldError(f"corpus {path} has no article {article_id!r}")
        return row


# --- reading ---------------------------------------------------------------------------------


def load_gold(path: Path | str, corpus: Corpus | None = None, limit: int | None = None) -> list[GoldArticle]:
    """The articles of one gold file (the first `limit` only, when given)."""
    path = Path(path)
    if not path.is_file():
        raise GoldError(f"{path}: no such gold file")
    corpus = corpus or Corpus(None)
    articles: list[GoldArticle] = []
    for number, record in read_jsonl(path, GoldError):
        if limit is not None and len(articles) >= limit:
            break
        where = f"{path}:{number}"
        try:
            if "attributions" in record:
                articles.append(_polnear(record))
            else:
                articles.append(_guideline(record, corpus))
        except GoldError as error:
            raise GoldError(f"{where}: {error}") from None
        except (KeyError, TypeError, ValueError) as error:
            raise GoldError(f"{where}: malformed record ({error!r})") from None
    return articles


def _text_of(record: dict[str, Any], corpus: Corpus) -> tuple[str, str | None, dict[str, Any]]:
    """The record's text and title, and the corpus row they came from ({} for inline text)."""
    if isinstance(record.get("text"), str):
        return record["text"], record.get("title"), {}
    corpus_id = record.get("corpus_id") or record.get("id")
    if not corpus_id:
        raise GoldError("a record without text needs corpus_id")
    row = corpus.article(str(corpus_id), record.get("corpus"))
    text = row["text"]
    expected = record.get("text_sha256")
    if expected and text_sha256(text) != expected:
        raise GoldError(
            f"corpus article {corpus_id!r} in {corpus.path_for(record.get('corpus'))} is not the "
            f"annotated text (sha256 differs): the offsets would not fit"
        )
    return text, record.get("title") if "title" in record else row.get("title"), row


def _guideline(record: dict[str, Any], corpus: Corpus) -> GoldArticle:
    full_text, title, row = _text_of(record, corpus)
    # A corpus whose texts begin with the headline (the BBC one) marks where it ends: the headline
    # is passed to the extractor as the title, the rest as the body; offsets stay those of the
    # corpus text in the file and are shifted to the body here.
    shift = 0
    text = full_text
    if record.get("title_end"):
        title_end = int(record["title_end"])
        title = full_text[:title_end].strip()
        shift = title_end + len(full_text[title_end:]) - len(full_text[title_end:].lstrip())
        text = full_text[shift:]

    def spans(items: Iterable[dict[str, Any]], kind: str | None) -> list[GoldQuote]:
        out = []
        for q in items:
            start, end = int(q["start"]), int(q["end"])
            span = full_text[start:end]
            if "text" in q and span != q["text"]:  # our corpus-backed files leave the text out
                raise GoldError(f"quote {q['text'][:40]!r}: text[{start}:{end}] is {span[:40]!r}")
            if not span.strip():
                raise GoldError(f"quote at {start}:{end} is empty")
            if start < shift:
                raise GoldError(f"quote {span[:40]!r} lies in the headline (quotes are scored on the body)")
            out.append(GoldQuote(span, start - shift, end - shift, q.get("speaker"), q.get("kind", kind)))
        return out

    def evidence(stance: dict[str, Any]) -> str | None:
        if "evidence_start" in stance:
            return full_text[int(stance["evidence_start"]) : int(stance["evidence_end"])]
        return stance.get("evidence")

    countries = record.get("countries")
    return GoldArticle(
        id=str(record.get("id") or record.get("corpus_id")),
        text=text,
        title=title,
        format=GUIDELINE,
        quotes=spans(record.get("quotes") or [], None),
        indirect=spans(record.get("indirect_quotes") or [], "indirect") if "indirect_quotes" in record else None,
        countries={code: len(surfaces) for code, surfaces in countries.items()} if countries is not None else None,
        stances=[GoldStance(s["actor"], s["target"], s["polarity"], evidence(s)) for s in record.get("stances") or []]
        if "stances" in record
        else None,
        source=record.get("source") or row.get("source"),
        url=record.get("url") or row.get("url"),
    )


def _polnear(record: dict[str, Any]) -> GoldArticle:
    text = record["text"]
    attributions = [a for a in record["attributions"] if a.get("content")]
    used: set[tuple[int, int]] = set()
    quotes: list[GoldQuote] = []
    for q in record.get("quotes") or []:
        qtext, source_text = q["text"], q.get("speaker")
        located: tuple[int, dict[str, Any] | None] | None = None
        # The quote's own attribution: its content holds the quote, its source is the speaker.
        for prefer_source in (True, False):
            for a in attributions:
                source = a.get("source") or {}
                if prefer_source and source.get("text") != source_text:
                    continue
                content = a["content"]
                offset = text.find(qtext, content["start"], max(content["end"], content["start"] + len(qtext)))
                while offset >= 0 and (offset, offset + len(qtext)) in used:
                    offset = text.find(qtext, offset + 1, content["end"])
                if offset >= 0:
                    located = (offset, a)
                    break
            if located:
                break
        if located is None:
            offset = text.find(qtext)
            if offset < 0:
                raise GoldError(f"quote {qtext[:40]!r} is not in the text")
            while offset >= 0 and (offset, offset + len(qtext)) in used:
                offset = text.find(qtext, offset + 1)
            if offset < 0:
                continue  # the same span listed twice (two attributions share it): one gold quote
            located = (offset, None)
        offset, attribution = located
        used.add((offset, offset + len(qtext)))
        source = (attribution or {}).get("source") or {}
        checkable = bool(source_text) and speaker_is_name(source_text, text, source.get("start"))
        quotes.append(GoldQuote(qtext, offset, offset + len(qtext), source_text, None, checkable))
    quotes.sort(key=lambda g: (g.start, g.end))
    return GoldArticle(
        id=str(record["id"]), text=text, format=POLNEAR, quotes=quotes, attributions=polnear_attributions(record)
    )


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def polnear_attributions(
    record: dict[str, Any],
) -> list[tuple[tuple[int, int], tuple[int, int] | None, tuple[int, int]]]:
    """(cue, source, content) character spans of every attribution, whitespace trimmed. A
    discontinuous content (a quote split by its attribution) is its covering span, as PolNeAR's
    offsets give it."""
    text = record["text"]
    out = []
    for a in record.get("attributions") or []:
        cue, content, source = a.get("cue"), a.get("content"), a.get("source")
        if (
            not cue
            or not content
            or not (0 <= cue["start"] < cue["end"] <= len(text))
            or not (0 <= content["start"] < content["end"] <= len(text))
        ):
            continue
        src = _trimmed(text, source["start"], source["end"]) if source and source["end"] > source["start"] else None
        out.append((_trimmed(text, cue["start"], cue["end"]), src, _trimmed(text, content["start"], content["end"])))
    return out


# --- is a PolNeAR source a name? ------------------------------------------------------------

# Capitalised words that do not make a source a name ("The campaign", "Officials", "He").
NOT_NAME_WORDS = {
    "the",
    "a",
    "an",
    "this",
    "that",
    "these",
    "those",
    "his",
    "her",
    "their",
    "its",
    "our",
    "my",
    "your",
    "he",
    "she",
    "it",
    "they",
    "we",
    "i",
    "you",
    "who",
    "which",
    "one",
    "some",
    "many",
    "most",
    "several",
    "both",
    "all",
    "other",
    "another",
    "each",
    "every",
    "no",
    "few",
    "more",
    "two",
    "three",
    "mr",
    "mrs",
    "ms",
    "dr",
    "sen",
    "rep",
    "gov",
    "del",
    "state",
    "gen",
    "lt",
    "col",
    "rev",
    "st",
    "jr",
    "sr",
    "president",
    "vice",
    "senator",
    "secretary",
    "governor",
    "mayor",
    "minister",
    "prime",
    "chief",
    "representative",
    "congressman",
    "congresswoman",
    "speaker",
    "chairman",
    "chairwoman",
    "director",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "former",
    "candidate",
    "nominee",
    "officials",
    "official",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
}
_WORD = re.compile(r"[A-Za-z][A-Za-z.'’\-]*")
_SENTENCE_BREAK = set(".!?:;\n\"“”‘'(—–")


def _name_words(phrase: str) -> list[str]:
    words = []
    for w in _WORD.findall(phrase):
        w = re.sub(r"(?:['’]s?)$", "", w).strip(".-")
        if w and w[0].isupper() and w.lower() not in NOT_NAME_WORDS:
            words.append(w)
    return words


def _sentence_initial(text: str, offset: int) -> bool:
    j = offset - 1
    while j >= 0 and text[j] in " \t\u00a0":
        j -= 1
    return j < 0 or text[j] in _SENTENCE_BREAK


# Titles that take an "of" phrase before the name ("Secretary of State John Kerry").
TITLE_HEADS = {
    "secretary",
    "minister",
    "ministry",
    "department",
    "governor",
    "mayor",
    "attorney",
    "chief",
    "head",
    "director",
    "chairman",
    "president",
    "speaker",
    "leader",
    "ambassador",
    "commissioner",
}
# Organisation names with an "of" inside ("University of Texas").
ORG_HEADS = {
    "association",
    "university",
    "bank",
    "council",
    "league",
    "institute",
    "federation",
    "union",
    "committee",
    "society",
    "bureau",
    "board",
    "church",
    "court",
    "republic",
    "college",
    "school",
    "academy",
    "chamber",
    "fund",
    "foundation",
    "alliance",
    "coalition",
    "organization",
    "organisation",
    "center",
    "centre",
    "museum",
    "department",
    "ministry",
    "office",
    "house",
    "congress",
    "party",
}
_CUT_WORDS = {
    "of",
    "at",
    "in",
    "on",
    "for",
    "from",
    "with",
    "by",
    "who",
    "which",
    "that",
    "whose",
    "and",
    "to",
    "close",
    "released",
    "published",
    "filed",
}


def _clean(word: str) -> str:
    return re.sub(r"(?:['’]s?)$", "", word).strip(".-")


def _is_name_word(word: str) -> bool:
    clean = _clean(word)
    return bool(clean) and clean[0].isupper() and clean.lower() not in NOT_NAME_WORDS


def _named_part(source: str) -> list[str] | None:
    """The words of the name a source phrase is headed by, or None when its head is no name.

    Parentheses and quoted nicknames go; each comma-separated part (an apposition) is tried in
    turn; inside a part, a prepositional or relative tail goes when a name comes before it
    ("Mr. Morgan of the Sierra Club", "His former partner at Lenox"), unless a title comes before
    it ("Secretary of State John Kerry"). The head is the part's last word: "The New York
    businessman", "Clinton's campaign", "the Vermont senator", "the chief executive of the
    National Urban League" describe someone; they do not name them.
    """
    phrase = re.sub(r"\([^)]*\)|[“\"][^”\"]*[”\"]", " ", source)
    for part in phrase.split(","):
        words = _WORD.findall(part)
        for k, w in enumerate(words):
            before = _clean(words[k - 1]).lower() if k > 0 else ""
            if w.lower() == "of" and before in ORG_HEADS and k + 1 < len(words) and _is_name_word(words[k + 1]):
                continue  # "Association of Flight Attendants", "Bank of America"
            inside_name = (
                w.lower() in ("to", "for", "and")
                and k + 1 < len(words)
                and _is_name_word(words[k - 1])
                and _is_name_word(words[k + 1])
            )
            if inside_name:
                continue  # "Alliance to Reclaim Our Schools", "Center for Strategic and International Studies"
            if w.lower() in _CUT_WORDS and k > 0 and before not in TITLE_HEADS:
                words = words[:k]
                break
        if not words or not _is_name_word(words[-1]):
            continue
        run = [words[-1]]
        k = len(words) - 2
        while k >= 0:
            w = words[k]
            if w.lower() == "of" and k > 0 and _clean(words[k - 1]).lower() in ORG_HEADS:
                run.insert(0, w)  # "Association of Flight Attendants"
            elif w.lower() in ("to", "for", "and", "on") and k > 0 and _is_name_word(words[k - 1]):
                run.insert(0, w)  # "Alliance to Reclaim Our Schools"
            elif w in ("Our", "The", "Of", "For", "And", "To", "On", "A", "An", "In"):
                run.insert(0, w)  # capitalised inside a name
            elif not _is_name_word(w) or re.search(r"['’]s?$", w):
                break
            else:
                run.insert(0, w)
            k -= 1
        while run and run[0] in ("Our", "The", "Of", "For", "And", "To", "On", "A", "An", "In"):
            run = run[1:]
        return [_clean(w) if w.lower() not in ("of", "to", "for", "and", "on") else w for w in run]
    return None


def speaker_is_name(source: str, text: str, source_start: int | None = None) -> bool:
    """Does a PolNeAR source name someone ("Clinton", "The New York Post", "Sen. Tim Kaine (D-Va.)")
    rather than describe or point to them ("he", "a source", "The clip", "Clinton's campaign",
    "the New York businessman")? See `_named_part`. A one-word name at the start of a sentence,
    where every word is capitalised, must also be capitalised somewhere mid-sentence.
    """
    named = _named_part(source)
    if not named:
        return False
    letters = [c for c in source if c.isalpha()]
    if len(source.split()) >= 4 and letters and all(c.isupper() for c in letters):
        return False  # an all-caps headline ("HOW CHINA'S DECLINE AFFECTS ...") names nobody
    if len(named) > 1 or source_start is None or not _sentence_initial(text, source_start):
        return True
    if _clean(_WORD.findall(source)[0]) != named[0]:
        return True
    for m in re.finditer(rf"\b{re.escape(named[0])}\b", text):
        if not _sentence_initial(text, m.start()):
            return True
    return False


def speaker_key(source: str) -> str:
    """The name a source phrase is headed by ("Clinton's spokesman Brian Fallon" -> "Brian Fallon",
    "Rep. G.K. Butterfield (D-N.C.), head of ..." -> "G.K. Butterfield"); the phrase itself when
    it has none."""
    named = _named_part(source)
    return " ".join(named) if named else source
