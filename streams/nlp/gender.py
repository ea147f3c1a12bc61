"""A person's gender, for pronouns: "he" is not Kamala Harris, "she" is not Mr Howard.

Two sources, the stronger first (entities.ArticleEntities.gender keeps the first one found, then
the pronouns already linked to the person in reading order):

1. a title or relation word before one of the person's mentions in the article ("Mr Howard",
   "Dame Judi Dench", "his wife Cherie"): entities.py, MALE_TITLES / FEMALE_TITLES;
2. the person's first name, looked up in `data/first-names.tsv`: a table learned from news text
   by gender_build.py (the titles and the pronouns that can only refer to people of each first
   name in BBC News and PolNeAR train: `pronoun_votes`), not a hand list; names used for both
   are left out. A name it lacks is looked up in `data/census-first-names.tsv` (the 1990 US
   Census first-name lists by sex, less the names news uses for both: census_names_build.py).

The article's own `pronoun_votes` are not a third source at run time: tried on the dev gold, they
gave a person the gender of whoever the article was about (an interview's "he" after "Kamala
Harris") and cost three quotes' speakers; counted over thousands of articles they even out.

Unknown stays unknown: a pronoun may then refer to anyone (reference.py, speakers.py).
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from spacy.tokens import Token

DATA_FILE = Path(__file__).parent / "data" / "first-names.tsv"
CENSUS_FILE = Path(__file__).parent / "data" / "census-first-names.tsv"
#: the pronouns that tell a person's gender where they refer to them (entities.py, speakers.py)
PRONOUN_GENDER = {"he": "m", "him": "m", "his": "m", "she": "f", "her": "f", "hers": "f"}
#: ... and the reflexives, which `pronoun_votes` counts too ("Brown himself")
VOTING_PRONOUNS = PRONOUN_GENDER | {"himself": "m", "herself": "f"}
# An article's pronouns and titles decide for a person (gender_build.py) when one gender has at least
# this many votes and at least twice the other's.
ARTICLE_MIN_VOTES = 1
ARTICLE_RATIO = 2.0


def name_key(word: str) -> str:
    """A first name as the table keys it: lowercase, accents off ("José" -> "jose")."""
    folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return folded.lower().strip(".")


def first_name(canonical: str, titles: Iterable[str] = ()) -> str | None:
    """The first name of a person's full name ("Kamala Harris" -> "kamala"), or None when the name
    is one word ("Harris" may be a first name or a surname) or opens with an initial ("J. Smith")."""
    words = canonical.split()
    skip = set(titles)
    while words and words[0].lower() in skip:
        words = words[1:]
    if len(words) < 2:
        return None
    word = words[0]
    if not word[:1].isupper() or not word.replace("-", "").replace("'", "").isalpha() or len(word) < 2:
        return None
    if word.isupper() and len(word) <= 3:
        return None  # "JD Vance", "AJ Smith": initials
    return name_key(word)


_table: dict[str, str] | None = None


def load_table() -> dict[str, str]:
    """first name -> "m" / "f": `data/first-names.tsv` (name, gender, male votes, female votes), and for
    the names it lacks `data/census-first-names.tsv`."""
    global _table
    if _table is None:
        table = read_table(CENSUS_FILE)
        table.update(read_table(DATA_FILE))  # how news uses a name comes first
        _table = table
    return _table


def set_table(table: dict[str, str] | None) -> None:
    """Use `table` instead of the shipped one (None: the shipped one again). gender_build.py
    learns with an empty table, so that what it counts never depends on an earlier build."""
    global _table
    _table = table


def read_table(path: Path) -> dict[str, str]:
    table: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, gender = line.split("\t")[:2]
            table[name] = gender
    return table


def name_gender(canonical: str, titles: Iterable[str] = ()) -> str | None:
    """The gender the table gives a person's first name, or None."""
    name = first_name(canonical, titles)
    return load_table().get(name) if name else None


def pronoun_votes(
    tokens: Sequence[Token],
    mentions: Sequence[tuple[int, str]],
    sent_starts: Sequence[int],
    skip: object | None = None,
) -> dict[str, list[int]]:
    """Per person id, [male, female] counts of the pronouns that can only refer to them.

    `mentions` are (character offset, person id) of the people's names, `sent_starts` the
    sentences' first character offsets, `skip` what to leave out (a `Ranges` of quotations: the
    pronouns of someone else's words). A subject, possessive or reflexive pronoun counts for a
    person when its sentence names only that person, before it; a subject pronoun also when its
    sentence names nobody before it and the previous sentence names only that person.
    """

    def sentence_of(offset: int) -> int:
        return bisect.bisect_right(sent_starts, offset) - 1

    by_sentence: dict[int, list[tuple[int, str]]] = {}
    for start, pid in sorted(mentions):
        by_sentence.setdefault(sentence_of(start), []).append((start, pid))
    votes: dict[str, list[int]] = {}
    for t in tokens:
        gender = VOTING_PRONOUNS.get(t.lower_)
        if gender is None or not (t.pos_ == "PRON" or t.tag_ in ("PRP", "PRP$")):
            continue
        if skip is not None and skip.contains(t.idx):
            continue
        # An object ("Clinton attacked him") is most often someone else: only subjects,
        # possessives and reflexives ("Clinton said she", "Blair and his wife", "Brown himself").
        subject = t.dep_ in ("nsubj", "nsubjpass")
        if not (subject or t.dep_ == "poss" or t.tag_ == "PRP$" or t.lower_.endswith("self")):
            continue
        k = sentence_of(t.idx)
        here = by_sentence.get(k, [])
        before = [pid for start, pid in here if start < t.idx]
        if before:
            people = {pid for _, pid in here}
        elif subject:
            # "Mr Blair arrived late. He said ...": a subject naming nobody before it.
            people = {pid for _, pid in by_sentence.get(k - 1, [])}
            if not people:
                continue
        else:
            continue
        if len(people) != 1:
            continue
        pid = next(iter(people))
        counts = votes.setdefault(pid, [0, 0])
        counts[0 if gender == "m" else 1] += 1
    return votes


def verdict(male: float, female: float) -> str | None:
    """The gender a person's pronoun counts give ("m", "f"), or None when they are too few or split."""
    if male >= ARTICLE_MIN_VOTES and male >= ARTICLE_RATIO * female:
        return "m"
    if female >= ARTICLE_MIN_VOTES and female >= ARTICLE_RATIO * male:
        return "f"
    return None
