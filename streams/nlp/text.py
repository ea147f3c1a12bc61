"""Plain-text helpers shared by the extractors: boilerplate lines, paragraphs, character ranges."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

# A line that is only credits or rights: "© 2019 Cable News Network", "All rights reserved.",
# "(Photo: AP)", "Reporting by ...; Editing by ...". Such lines are not part of the story, so
# nothing in them is counted or extracted. Kept short (< 300 chars) so a story line is never hit.
_BOILERPLATE = re.compile(
    r"©|\(c\)\s*\d{4}|\bcopyright\s*(?:©|\(c\)|\d{4})|\ball rights reserved\b|^\s*\(?photo(?:s|graph)?\s*(?:credit)?\s*:"
    r"|^\s*\(?(?:additional )?(?:reporting|editing|writing|compiled) by\b",
    re.IGNORECASE,
)
_MAX_BOILERPLATE_LINE = 300


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
    """Character ranges of credit/copyright lines (see _BOILERPLATE)."""
    spans = []
    pos = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped and len(stripped) < _MAX_BOILERPLATE_LINE and _BOILERPLATE.search(stripped):
            spans.append((pos, pos + len(line)))
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
