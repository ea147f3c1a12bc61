"""Builds `data/first-names.tsv`, the first name -> gender table gender.py reads (run by hand).

    python -m streams.nlp.gender_build [--corpus FILE.jsonl ...] [--out FILE]

Learned from news text, not from a list of names: every article of the corpora (by default
`../shared/corpus/bbc-news.jsonl` and `../shared/eval/polnear-train.jsonl`; never the
fundus-news articles the multi-outlet gold comes from) is parsed by the project's pipeline and
its people found as the extractor finds them (entities.py: "Tony Blair" and "Mr Blair" are one
person). For each person with a first name (a full name of two words or more, not opening with
an initial):

* each mention after a gendered title or relation word ("Mr", "Mrs", "Ms", "Sir", "Lady",
  "Dame", "his wife", "her husband": entities.MALE_TITLES / FEMALE_TITLES) is TITLE_WEIGHT votes;
* each pronoun that can only refer to them (gender.pronoun_votes: a subject, possessive or
  reflexive "he"/"his"/"she"/"her" after the name in a sentence naming nobody else, or a subject
  pronoun in the next sentence before anyone else is named) one vote;
* the article's verdict for the person is gender.verdict of those votes (one gender at least
  twice the other): one vote for the first name.

A first name is kept when it has at least MIN_ARTICLES such votes and a share of at least
MIN_SHARE for one gender ("Jordan", "Kim", "Jean" used for both are left out). The output is
sorted and carries its counts: the same input gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from .countries import find_country_mentions
from .entities import FEMALE_TITLES, MALE_TITLES, PERSON_TITLES, TITLE_WORDS, extract_entities
from .gender import DATA_FILE, first_name, pronoun_votes, set_table, verdict
from .quotes import find_quoted_spans
from .text import Ranges, boilerplate_ranges, doc_index

SHARED = Path(__file__).resolve().parents[3] / "shared"
DEFAULT_CORPORA = (SHARED / "corpus" / "bbc-news.jsonl", SHARED / "eval" / "polnear-train.jsonl")
TITLE_WEIGHT = 2
MIN_ARTICLES = 2
MIN_SHARE = 0.8
NOT_FIRST = TITLE_WORDS | PERSON_TITLES


def article_votes(doc) -> Iterator[tuple[str, str]]:
    """(first name, gender) for each person of one parsed article whose gender its text settles."""
    text = doc_index(doc).text
    skip = boilerplate_ranges(text)
    fields = [(doc, "text", skip)]
    entities = extract_entities(fields, find_country_mentions(fields))
    quoted = Ranges([(q.open_at, q.end + 1) for q in find_quoted_spans(text, skip)])
    tokens = doc_index(doc).tokens
    persons = [e for e in entities.entities if e.label == "PERSON"]
    mentions = [(m.start, e.id) for e in persons for m in e.mentions if m.field == "text"]
    votes = pronoun_votes(tokens, mentions, doc_index(doc).sent_starts, quoted)
    surnames = Counter(e.canonical.split()[-1] for e in persons)
    for e in persons:
        name = first_name(e.canonical, NOT_FIRST)
        if name is None or surnames[e.canonical.split()[-1]] > 1:
            continue  # "Clinton said she": Bill's or Hillary's mention, nobody can tell
        male, female = votes.get(e.id, [0, 0])
        for m in e.mentions:
            if m.field != "text" or m.token_start == 0:
                continue
            before = tokens[m.token_start - 1].lower_.rstrip(".")
            if before in MALE_TITLES:
                male += TITLE_WEIGHT
            elif before in FEMALE_TITLES:
                female += TITLE_WEIGHT
        gender = verdict(male, female)
        if gender is not None:
            yield name, gender


def read_texts(paths: Iterable[Path]) -> Iterator[str]:
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)["text"]


def parsed(paths: Iterable[Path], nlp, cache: Path | None = None, batch_size: int = 32) -> Iterator:
    """The corpora's articles parsed, from `cache` (a DocBin per corpus) when it has them."""
    from spacy.tokens import DocBin

    for path in paths:
        stored = cache / f"{path.stem}.spacy" if cache else None
        if stored is not None and stored.exists():
            yield from DocBin().from_disk(stored).get_docs(nlp.vocab)
            continue
        bin_ = DocBin(store_user_data=False)
        for doc in nlp.pipe(read_texts([path]), batch_size=batch_size):
            if stored is not None:
                bin_.add(doc)
            yield doc
        if stored is not None:
            cache.mkdir(parents=True, exist_ok=True)
            bin_.to_disk(stored)


def count(docs: Iterable) -> dict[str, Counter]:
    counts: dict[str, Counter] = {}
    for doc in docs:
        for name, gender in article_votes(doc):
            counts.setdefault(name, Counter())[gender] += 1
    return counts


def table_lines(counts: dict[str, Counter], sources: Iterable[str]) -> list[str]:
    lines = [
        "# first name -> gender, learned by streams/nlp/gender_build.py from: " + ", ".join(sources),
        f"# kept: at least {MIN_ARTICLES} article votes, share of one gender at least {MIN_SHARE}",
        "# name\tgender\tmale\tfemale",
    ]
    for name in sorted(counts):
        c = counts[name]
        m, f = c["m"], c["f"]
        total = m + f
        if total < MIN_ARTICLES:
            continue
        if m / total >= MIN_SHARE:
            lines.append(f"{name}\tm\t{m}\t{f}")
        elif f / total >= MIN_SHARE:
            lines.append(f"{name}\tf\t{m}\t{f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.nlp.gender_build", description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, action="append", help="JSONL with a `text` field (repeatable)")
    parser.add_argument("--out", type=Path, default=DATA_FILE)
    parser.add_argument("--counts", type=Path, help="also write every name's raw counts as JSON here")
    parser.add_argument("--cache", type=Path, help="keep the parsed corpora here between runs")
    args = parser.parse_args(argv)
    corpora = tuple(args.corpus or DEFAULT_CORPORA)
    for path in corpora:
        if "fundus" in path.name:
            parser.error(f"{path}: the multi-outlet gold is annotated on fundus-news; do not learn from it")
        if not path.exists():
            parser.error(f"{path} not found: pass --corpus FILE.jsonl")
    from .pipeline import load_pipeline

    set_table({})
    counts = count(parsed(corpora, load_pipeline(), args.cache))
    if args.counts:
        args.counts.write_text(json.dumps({k: dict(v) for k, v in sorted(counts.items())}, indent=0))
    lines = table_lines(counts, [p.name for p in corpora])
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines) - 3} names ({len(counts)} seen) -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
