"""Plain-text helpers shared by the extractors: boilerplate lines, paragraphs, character ranges."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

# A line that is only credits or rights: "© 2019 Cable News Network", "All rights reserved.",
# "(Photo: AP)", "Reporting by ...; Editing by ...". Such lines are not part of the story, so
# nothing in them is counted or extracted. Kept short (< 300 chars) so a story line is never hit.
_BOILERPLATE = re.compile(
    r"©|\(c\)\s*\d{4}|\bcopyright\s*(?:©|\(c\)|\d{4})|\ball rights reserved\b"
    r"|^\s*\(?photo(?:s|graph)?\s*(?:credit)?\s*:"
    r"|^\s*\(?(?:additional )?(?:reporting|editing|writing|compiled) by\b"
    r"|^\s*(?:read more|related articles)\s*:",
    re.IGNORECASE,
)
_MAX_BOILERPLATE_LINE = 300
# Related-story links inside a line ("... decade now." READ MORE: <headline> READ MORE: <headline>
# "Wow," asked Brad): the marker and its headline, up to the next quotation mark, marker or line end,
# at most 120 characters (nothing marks where a headline ends and the story goes on).
_RELATED_LINK = re.compile(
    r"\b(?:read more\s*:|read more related articles\b|related articles\s*:)"
    r"[^\n\"“”]{0,120}?(?=read more\b|related articles\b|[\"“”]|\n|$)",
    re.IGNORECASE,
)
_PICTURE_CREDIT = re.compile(r"\((?:image|picture|photo|pic)s?\s*:[^()\n]{1,80}\)", re.IGNORECASE)  # "(Image: ITV)"


@dataclass
class Ranges:
    """Sorted, non-overlapping [start, end) character ranges with a fast membership test."""

    spans: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.spans.sort()
        self._starts = [s for s, _ in self.spans]

    def contains(self, offset: int) -> bool:
        i = bisect.bisect_right(self._starts, offset) - 1
        return i >= 0 and offset < self.spans[i][1]

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self._starts, end - 1) - 1
        return i >= 0 and self.spans[i][1] > start


def boilerplate_ranges(text: str) -> Ranges:
    """Character ranges of credit, copyright and related-story lines (see _BOILERPLATE), and of
    related-story links and picture credits inside a line (_RELATED_LINK, _PICTURE_CREDIT)."""
    spans = []
    pos = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped and len(stripped) < _MAX_BOILERPLATE_LINE and _BOILERPLATE.search(stripped):
            spans.append((pos, pos + len(line)))
        else:
            links = [(pos + m.start(), pos + m.end()) for m in _RELATED_LINK.finditer(line)]
            credits = [(pos + m.start(), pos + m.end()) for m in _PICTURE_CREDIT.finditer(line)]
            # Ranges holds disjoint spans: a credit inside a link's headline is the link's
            spans += links + [c for c in credits if not any(a < c[1] and c[0] < b for a, b in links)]
        pos += len(line)
    return Ranges(spans)


def paragraph_ranges(text: str) -> list[tuple[int, int]]:
    """Paragraphs: blank-line separated when the text has blank lines, else one per line.

    Wire copy either separates paragraphs by blank lines (and may hard-wrap inside them) or puts
    one paragraph per line; texts with no newline at all are one paragraph.
    """
    separator = re.compile(r"\n\s*\n") if re.search(r"\n\s*\n", text) else re.compile(r"\n")
    ranges = []
    pos = 0
    for m in separator.finditer(text):
        ranges.append((pos, m.start()))
        pos = m.end()
    ranges.append((pos, len(text)))
    return [(s, e) for s, e in ranges if text[s:e].strip()]


class TokenRun(list):
    """Tokens [start, end) of a Doc as a plain list (Token objects made once, by DocIndex), with
    the Span attributes the extractors read: `start`, `end`."""

    def __init__(self, tokens: list, start: int, end: int):
        super().__init__(tokens[start:end])
        self.start = start
        self.end = end


class DocIndex:
    """One parsed field's tokens and sentences, built once and shared by the extractors.

    spaCy makes a new Token object on every access and walks all sentences for each `token.sent`;
    the extractors each pass over the whole document, so they share these lists instead.
    """

    def __init__(self, doc: Doc):
        self.doc = doc
        self.text = doc.text  # Doc.text joins every token again on each access
        self.tokens: list[Token] = list(doc)
        self.starts = [t.idx for t in self.tokens]
        self.sents: list[Span] = list(doc.sents)
        self.sent_starts = [s.start_char for s in self.sents]
        self.sent_token_starts = [s.start for s in self.sents]

    def tokens_between(self, start: int, end: int) -> Span:
        a, b = self.token_range(start, end)
        return self.doc[a:b]

    def run(self, start: int, end: int) -> TokenRun:
        """The tokens starting in the character range [start, end)."""
        a, b = self.token_range(start, end)
        return TokenRun(self.tokens, a, b)

    def words(self, span: Span) -> list[Token]:
        """The tokens of a span (a sentence), without making them anew."""
        return self.tokens[span.start : span.end]

    @property
    def ents(self) -> tuple[Span, ...]:
        """`doc.ents`, made once (each access makes new Span objects)."""
        ents = getattr(self, "_ents", None)
        if ents is None:
            ents = self._ents = self.doc.ents
        return ents

    def token_range(self, start: int, end: int) -> tuple[int, int]:
        """Indices [a, b) of the tokens starting in the character range [start, end)."""
        return bisect.bisect_left(self.starts, start), bisect.bisect_left(self.starts, end)

    def sentence_range(self, i: int) -> tuple[int, int]:
        """Token indices [start, end) of the sentence holding token `i`."""
        k = max(0, bisect.bisect_right(self.sent_token_starts, i) - 1)
        return self.sent_token_starts[k], self.sents[k].end

    @property
    def entity_heads(self) -> list[tuple[int, int, str]]:
        """(first token, last token, label) of each named-entity span, in text order."""
        heads = getattr(self, "_entity_heads", None)
        if heads is None:
            heads = self._entity_heads = [(e.start, e.end - 1, e.label_) for e in self.ents]
        return heads

    def sentence_at(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self.sent_starts, offset) - 1)

    def sentence_of_token(self, i: int) -> Span:
        return self.sents[max(0, bisect.bisect_right(self.sent_token_starts, i) - 1)]


def doc_index(doc: Doc) -> DocIndex:
    """The shared index of `doc` (made on first use, kept in the doc's user_data)."""
    index = doc.user_data.get("newswire.index")
    if index is None:
        index = DocIndex(doc)
        doc.user_data["newswire.index"] = index
    return index
