"""Direct (and clear indirect) quotes with their speakers, by the rules of GUIDELINE.md.

Finding the quoted spans is plain text work (`find_quoted_spans`): curly and straight double
quotes (mixed freely, as writers do), single quotes used as quotation marks (ignored inside
double quotes), and an unclosed quote running to the end of its paragraph or to the next
opening mark (the convention for quotes that go on over several paragraphs).

Attributing a span uses the dependency parse, most specific rule first:
1. speech verbs governing the quote ("said their presence “doesn’t ...”", "urged Moscow to
   “get out”") or attached to it ("“...,” said Caddell"): the nearest one whose speaker is known,
   strong cues before weak ones ("Holm said the ad “unmistakably” suggests ..." is Holm's; "He
   said the valuation would put pressure on X to look at “sweetening”" is his); a claim noun on the
   way up ("dismissed claims that his policy was “...”") makes it the claim's author's, or nobody's;
2. "according to X"; a colon introducing the quote ("Trump said: “...”", "Caddell continued:",
   "Jeffrey M. Jones: “...”", "Clinton released the following statement: “...”"); a dash line
   ("“...” ― Pamela Padilla"); else the nearest speech verb of the quote's sentence (not one
   inside another quote);
3. the same speaker as the quote just before when only its attribution lies between them
   (“A,” said X, a scholar at Y. “B.”) or nothing at all (quotes running over paragraphs), unless an
   attribution sentence follows this quote ("“...?” Vitter demanded.");
4. a speaker named in the previous sentence, for a quote that is a sentence of its own ("X
   agreed. “...”").
The speaker is the subject of the cue verb, resolved by reference.py (pronouns through the
references already made, descriptions, unnamed spokespeople; misparses are patched: the speech
verb above a conjunct, the name right beside the verb); None rather than a guess.
Not quotes: Title Case names of things (“Face the Nation”), terms after "so-called", and short
or verbless spans nobody is said to have said (scare quotes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from .attribution.candidates import cue_span
from .entities import ArticleEntities, Entity
from .reference import resolve, subject_of
from .text import Ranges, TokenRun, doc_index, paragraph_ranges

SPEECH_VERBS = {
    "say",
    "tell",
    "add",
    "state",
    "declare",
    "note",
    "explain",
    "write",
    "insist",
    "argue",
    "claim",
    "warn",
    "urge",
    "ask",
    "call",
    "describe",
    "announce",
    "acknowledge",
    "admit",
    "answer",
    "reply",
    "respond",
    "conclude",
    "remark",
    "comment",
    "suggest",
    "caution",
    "predict",
    "promise",
    "vow",
    "pledge",
    "stress",
    "emphasize",
    "emphasise",
    "recall",
    "report",
    "tweet",
    "post",
    "quip",
    "joke",
    "complain",
    "demand",
    "deny",
    "confirm",
    "observe",
    "tout",
    "boast",
    "concede",
    "assert",
    "maintain",
    "contend",
    "lament",
    "testify",
    "mention",
    "recount",
    "shout",
    "yell",
    "whisper",
    "exclaim",
    "proclaim",
    "retort",
    "counter",
    "charge",
    "accuse",
    "blast",
    "slam",
    "criticize",
    "criticise",
    "praise",
    "label",
    "dub",
    "term",
    "brand",
    "question",
    "wonder",
    "reveal",
    "disclose",
    "repeat",
    "reiterate",
    "read",
    "continue",
    "agree",
    "threaten",
    "plead",
    "beg",
    "advise",
    "reason",
    "muse",
    "scoff",
    "sigh",
    "laugh",
    "cry",
    "snap",
    "thank",
    "apologize",
    "apologise",
    "hail",
    "condemn",
    "dismiss",
    "quote",
    "cite",
    "decry",
    "welcome",
    "lambaste",
    "mock",
    "assure",
    "recommend",
    "order",
    "instruct",
    "inform",
    "sing",
    "chant",
    "opine",
    "characterize",
    "characterise",
    "refer",
    "put",
    "begin",
    "start",
    "finish",
    "end",
    "go",
    "affirm",
    "echo",
    "point",
    "shoot",
    "fire",
    "interject",
    "ponder",
    "speak",
    "summarize",
    "fume",
    "estimate",
    "speculate",
    "rage",
    "gush",
    "vent",
    "marvel",
    "bristle",
    "concur",
    "find",
    "summarise",
    "chide",
    "scold",
    "rebut",
    "lecture",
    "counsel",
}
# Verbs that are cues only when they govern the quote or a colon introduces it ("Caddell
# continued:", "as Trump went on about “...”"), never as the nearest verb in the sentence.
WEAK_CUES = {
    "continue",
    "begin",
    "start",
    "finish",
    "end",
    "go",
    "put",
    "read",
    "post",
    "refer",
    "agree",
    "speak",
    "point",
    "shoot",
    "fire",
    "find",
    "estimate",
}
COLON_ONLY_CUES = {"begin", "start", "finish", "end"}
INDIRECT_VERBS = {
    "say",
    "tell",
    "announce",
    "warn",
    "urge",
    "deny",
    "claim",
    "confirm",
    "acknowledge",
    "insist",
    "argue",
    "add",
    "note",
    "explain",
    "report",
    "suggest",
    "admit",
    "state",
    "declare",
    "vow",
    "promise",
    "predict",
    "assert",
    "contend",
    "maintain",
    "concede",
    "stress",
    "reveal",
    "allege",
    "write",
    "tweet",
}
OPENERS_BEFORE = set(" \t\n\r([{—–-/―,:") | {""}
DOUBLE_OPEN, DOUBLE_CLOSE, STRAIGHT = "“", "”", '"'
SINGLE_OPEN, SINGLE_CLOSE, STRAIGHT_SINGLE = "‘", "’", "'"
# What the scan below acts on; it jumps from one to the next instead of reading every character.
_SCANNED_MARKS = re.compile(f"[{DOUBLE_OPEN}{DOUBLE_CLOSE}{STRAIGHT}{SINGLE_OPEN}{STRAIGHT_SINGLE}]")


@dataclass(frozen=True)
class QuotedSpan:
    start: int  # first character after the opening mark
    end: int  # the closing mark (or the end of the paragraph when unclosed)
    open_at: int  # offset of the opening mark
    closed: bool

    def open_at_token(self, inside: Span) -> int:
        return inside.start if len(inside) else 0


@dataclass
class Quote:
    text: str
    start: int
    end: int
    speaker: Entity | None
    cue: str | None
    kind: str  # full | partial | indirect
    sentence: str | None
    cue_i: int | None = None  # token index of the cue verb
    cue_span: tuple[int, int] | None = None  # the cue's words in the text
    speaker_span: tuple[int, int] | None = None  # the mention that attributes it (the source phrase)
    method: str = "rule"  # which rule found the speaker (speakers.py weighs it with the rest)
    confidence: float | None = None  # that the speaker is right (calibrated, speakers.py)
    rule_speaker: Entity | None = None  # what the rules alone said

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "speaker": self.speaker.canonical if self.speaker else None,
            "speaker_id": self.speaker.id if self.speaker else None,
            "cue": self.cue,
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "sentence": self.sentence,
            "cue_start": self.cue_span[0] if self.cue_span else None,
            "cue_end": self.cue_span[1] if self.cue_span else None,
            "speaker_start": self.speaker_span[0] if self.speaker_span else None,
            "speaker_end": self.speaker_span[1] if self.speaker_span else None,
            "confidence": None if self.confidence is None else round(self.confidence, 3),
        }


# --- finding quoted spans ------------------------------------------------------------------


def _is_opener(text: str, i: int, para_start: int) -> bool:
    before = text[i - 1] if i > para_start else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    return before in OPENERS_BEFORE and after not in ("", " ", "\n", "\t")


def _is_closer(text: str, i: int, para_start: int, para_end: int) -> bool:
    before = text[i - 1] if i > para_start else ""
    after = text[i + 1] if i + 1 < para_end else ""
    # `paranoia,”Clinton said`: after the end of a sentence or clause a mark closes even when the
    # writer left out the space.
    return before not in OPENERS_BEFORE and (not after.isalnum() or before in ",.!?;")


def _single_quoted(text: str, i: int, para_start: int, para_end: int) -> int | None:
    """Closing position of a single-quote pair opened at i, or None (an apostrophe, not a quote)."""
    if not _is_opener(text, i, para_start) or not text[i + 1 : i + 2].isalnum():
        return None
    j = i + 1
    while j < para_end:
        c = text[j]
        if c in (SINGLE_CLOSE, STRAIGHT_SINGLE) and _is_closer(text, j, para_start, para_end):
            # "the Joneses’ car": a plural possessive is an apostrophe; need a space inside.
            if " " in text[i + 1 : j]:
                return j
            return None
        if c in (DOUBLE_OPEN, DOUBLE_CLOSE, STRAIGHT):
            return None
        j += 1
    return None


def find_quoted_spans(text: str, excluded: Ranges | None = None) -> list[QuotedSpan]:
    """Spans between quotation marks, paragraph by paragraph (marks excluded).

    Curly and straight double marks are one family: writers mix them (“no evidence"), so any
    closing-looking double mark closes the open quote and any opening-looking one starts a new
    quote, ending an unclosed one before it. Single marks count only as a balanced pair outside
    double quotes ('in their heads'), never as apostrophes.
    """
    spans: list[QuotedSpan] = []
    for para_start, para_end in paragraph_ranges(text):
        open_at: int | None = None
        i = para_start
        while (mark := _SCANNED_MARKS.search(text, i, para_end)) is not None:
            i = mark.start()
            c = text[i]
            if c in (DOUBLE_OPEN, DOUBLE_CLOSE, STRAIGHT):
                if c == DOUBLE_OPEN:
                    role = "open"
                elif c == DOUBLE_CLOSE:
                    role = "close"
                elif open_at is None:
                    role = (
                        "open"
                        if (_is_opener(text, i, para_start) or not _is_closer(text, i, para_start, para_end))
                        else "close"
                    )
                else:
                    role = (
                        "open"
                        if (_is_opener(text, i, para_start) and not _is_closer(text, i, para_start, para_end))
                        else "close"
                    )
                if role == "open":
                    if open_at is not None:  # the previous quote never closed: it ends here
                        spans.append(QuotedSpan(open_at + 1, _rstrip(text, open_at + 1, i), open_at, False))
                    open_at = i
                elif open_at is not None:
                    spans.append(QuotedSpan(open_at + 1, i, open_at, True))
                    open_at = None
            elif open_at is None and c in (SINGLE_OPEN, STRAIGHT_SINGLE):
                close = _single_quoted(text, i, para_start, para_end)
                if close is not None:
                    spans.append(QuotedSpan(i + 1, close, i, True))
                    i = close
            i += 1
        if open_at is not None:
            spans.append(QuotedSpan(open_at + 1, _rstrip(text, open_at + 1, para_end), open_at, False))
    return [
        s for s in spans if text[s.start : s.end].strip() and not (excluded and excluded.overlaps(s.open_at, s.end))
    ]


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


# --- attribution ----------------------------------------------------------------------------


class _DocIndex:
    """Token and sentence lookups by character offset (a view on the shared `DocIndex`)."""

    def __init__(self, doc: Doc):
        shared = doc_index(doc)
        self.doc = doc
        self.shared = shared
        self.starts = shared.starts
        self.sents: list[Span] = shared.sents
        self.sent_starts = shared.sent_starts

    def tokens(self, start: int, end: int) -> TokenRun:
        return self.shared.run(start, end)

    def sentence_at(self, offset: int) -> int:
        return self.shared.sentence_at(offset)


def _is_cue(token: Token, strong_only: bool = True, colon: bool = False) -> bool:
    lemma = token.lemma_.lower()
    if token.pos_ not in ("VERB", "AUX") or lemma not in SPEECH_VERBS:
        return False
    if lemma == "go":  # only "go on (about)"
        return any(c.dep_ == "prt" and c.lower_ == "on" for c in token.children)
    if lemma == "point":  # only "point out"
        return any(c.dep_ == "prt" and c.lower_ == "out" for c in token.children)
    if lemma in ("shoot", "fire"):  # only "shoot / fire back"
        return any(c.dep_ in ("prt", "advmod") and c.lower_ == "back" for c in token.children)
    if lemma in COLON_ONLY_CUES:
        return colon
    return not (strong_only and lemma in WEAK_CUES)


def _cue_text(verb: Token) -> str:
    particles = [
        c.text
        for c in verb.children
        if c.dep_ == "prt" or (c.dep_ == "prep" and c.lower_ == "on" and verb.lemma_ == "call")
    ]
    return " ".join([verb.text, *particles])


def _outside(token: Token, q: QuotedSpan) -> bool:
    return not (q.open_at <= token.idx <= q.end)


def _has_outside_subject(verb: Token, q: QuotedSpan) -> bool:
    # A weak cue ("continue", "go on") speaks only for a subject of its own outside the quote.
    subject = subject_of(verb)
    return subject is not None and _outside(subject, q)


# Nouns whose content clause reports someone else's words: "dismissed claims that his policy was
# “moving onto the turf”" quotes the claim's author, not the one who dismisses it.
CLAIM_NOUNS = {
    "claim",
    "allegation",
    "suggestion",
    "rumour",
    "rumor",
    "speculation",
    "accusation",
    "charge",
    "assertion",
    "notion",
    "idea",
    "criticism",
    "complaint",
    "warning",
    "report",
}


def _dependency_cues(inside: Span, q: QuotedSpan) -> tuple[list[Token], Token | None]:
    """Speech verbs governing the quote, nearest first, and a claim noun met on the way up.

    1a. Walk up from every token of the quote whose head lies outside it: each speech verb met
    (within five steps) is a candidate; the walk stops at a claim noun ("claims that ...").
    1b. A speech verb hanging off the quote ("“...,” said Caddell" parsed as parataxis/ccomp).
    """
    found: dict[int, tuple[int, Token]] = {}
    claim: Token | None = None
    for t in inside:
        head = t.head
        if inside.start <= head.i < inside.end and not _outside(head, q):
            # The walk from its head, also in `inside`, goes the same way a step shorter (a root
            # inside the quote leads nowhere).
            continue
        node = t
        for steps in range(1, 7):
            head = node.head
            if head is node:
                break
            node = head
            if not _outside(node, q):
                continue
            if node.pos_ == "NOUN" and node.lemma_.lower() in CLAIM_NOUNS and node.i < q.open_at_token(inside):
                claim = claim or node
                break
            if _is_cue(node, strong_only=False) and (_is_cue(node) or _has_outside_subject(node, q)):
                if node.i not in found or steps < found[node.i][0]:
                    found[node.i] = (steps, node)
            if node.dep_ == "ROOT":
                break
    cues = [t for _, t in sorted(found.values(), key=lambda st: (st[0], st[1].i))]
    if not cues and claim is None:
        for t in inside:
            for child in t.children:
                if _outside(child, q) and _is_cue(child) and child.dep_ in ("parataxis", "ccomp", "conj", "advcl"):
                    return [child], None
    return cues, claim


def _sentence_cue(index: _DocIndex, q: QuotedSpan, quoted: Ranges) -> Token | None:
    # 2. A speech verb elsewhere in the sentence(s) the quote sits in, nearest first (not one
    # inside another quote: “..., the FBI concluded ...,” said Cummings. “...”).
    first = index.sentence_at(q.open_at)
    last = index.sentence_at(max(q.end - 1, q.open_at))
    candidates = []
    for s in index.sents[first : last + 1]:
        for t in index.shared.words(s):
            if _outside(t, q) and not quoted.contains(t.idx) and _is_cue(t, strong_only=True):
                distance = q.open_at - t.idx if t.idx < q.open_at else t.idx - q.end
                candidates.append((distance, t.i, t))
    return min(candidates)[2] if candidates else None


def _according_to(index: _DocIndex, q: QuotedSpan) -> Token | None:
    s = index.sents[index.sentence_at(q.open_at)]
    for t in index.shared.words(s):
        if t.lower_ == "according" and _outside(t, q):
            for to in t.children:
                if to.lower_ == "to":
                    return next((c for c in to.children if c.dep_ == "pobj"), None)
    return None


def _colon_at(text: str, q: QuotedSpan) -> int | None:
    """Offset of a colon (or a dash: "embraced the technique -- “I think ...”") introducing the quote."""
    j = q.open_at - 1
    while j >= 0 and text[j].isspace():
        j -= 1
    if j >= 0 and text[j] == ":":
        return j
    if j >= 1 and (text[j] in "—–―" or text[j - 1 : j + 1] == "--"):
        return j
    return None


def _colon_cue(text: str, index: _DocIndex, q: QuotedSpan) -> Token | None:
    # 3. "Trump said: “...”" and "Caddell continued:\n\n“...”".
    j = _colon_at(text, q)
    if j is None:
        return None
    s = index.sents[index.sentence_at(j)]
    verbs = [t for t in index.shared.words(s) if t.idx < j and t.pos_ in ("VERB", "AUX") and subject_of(t) is not None]
    cues = [t for t in verbs if _is_cue(t, strong_only=False, colon=True)]
    return cues[-1] if cues else None


def _colon_speaker(
    text: str, index: _DocIndex, q: QuotedSpan, entities: ArticleEntities, quoted: Ranges
) -> tuple[Entity, str] | None:
    """A colon introducing the quote without a speech verb: "Jeffrey M. Jones: “...”", "Here's Clinton
    in 1992: “...”", "Clinton released the following statement: “...”". The name right before the
    colon, else the subject of the introducing clause, when it is a named person or body."""
    j = _colon_at(text, q)
    if j is None:
        return None
    before = index.tokens(max(0, j - 80), j)
    if len(before) and before[-1].idx + len(before[-1].text) == j:
        last = before[-1]
        entity = entities.for_token(last)
        line_start = text.rfind("\n", 0, j) + 1
        if entity is not None and entity.label in ("PERSON", "ORG") and j - line_start < 120:
            return entities.as_actor(entity, last), ":"
    s = index.sents[index.sentence_at(j)]
    verbs = [t for t in index.shared.words(s) if t.idx < j and t.pos_ in ("VERB", "AUX") and not quoted.contains(t.idx)]
    for verb in reversed(verbs):
        subject = subject_of(verb)
        if subject is None or quoted.contains(subject.idx):
            continue
        speaker = resolve(subject, entities, quoted)
        if speaker is not None and speaker.label in ("PERSON", "ORG", "GPE"):
            return speaker, verb.text
        break
    return None


_SPLIT_BEFORE = re.compile(r"""[,]\s*[”"]\s*[^.!?“”"]{1,80},\s*$""")


def _kind(text: str, q: QuotedSpan, inside: Span) -> str:
    body = text[q.start : q.end].lstrip()
    if body and body[0].islower() and _SPLIT_BEFORE.search(text[max(0, q.open_at - 100) : q.open_at]):
        return "full"  # “We will not give up,” she said, “and we will win.”: one sentence, split
    if not body or body[0].islower():
        return "partial"
    j = q.open_at - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    before = text[j] if j >= 0 else "\n"
    if before in "\n.!?:,;—–-" or before in '“”"':
        return "full"
    ends_sentence = body.rstrip().rstrip("”\"'’")[-1:] in (".", "!", "?", "…")
    has_verb = any(t.pos_ in ("VERB", "AUX") for t in inside)
    return "full" if ends_sentence and has_verb else "partial"


def extract_quotes(doc: Doc, entities: ArticleEntities, excluded: Ranges) -> list[Quote]:
    """Direct quotes of the body `doc`, ordered by start."""
    text = doc_index(doc).text
    spans = find_quoted_spans(text, excluded)
    index = _DocIndex(doc)
    quote_ranges = Ranges([(s.open_at, s.end + 1) for s in spans])
    quotes: list[Quote] = []
    previous: tuple[QuotedSpan, Quote] | None = None
    for q in spans:
        inside = index.tokens(q.start, q.end)
        if _is_title_like(text, q, inside):
            continue  # names of shows, books, operations: “Face the Nation”, “Shark Tank”
        speaker: Entity | None = None
        cue: Token | None = None
        cue_label: str | None = None
        found = False
        loose = False  # cue only found as the nearest speech verb of the sentence
        cues, claim = _dependency_cues(inside, q)
        cues = [c for c in cues if not excluded.contains(c.idx)]  # a verb of a related-story link speaks for nobody
        method = "none"
        if cues:
            cue, speaker = _first_speaking(cues, entities, quote_ranges)
            found, method = True, "governing"
        elif claim is not None:
            # "dismissed claims that his policy was “moving onto the turf”": the claim's author.
            owner = _owner(claim)
            speaker = resolve(owner, entities, quote_ranges) if owner is not None else None
            cue_label, found, method = claim.text, True, "claim"
        else:
            according = _according_to(index, q)
            if according is not None:
                speaker = resolve(according, entities, quote_ranges)
                cue_label, found, method = "according to", True, "according"
            else:
                cue = _colon_cue(text, index, q)
                if cue is None:
                    dashed = _dash_attribution(doc, index, q, entities)
                    if dashed is not None:
                        speaker, cue_label, found, method = dashed, "—", True, "dash"
                if cue is None and not found:
                    introduced = _colon_speaker(text, index, q, entities, quote_ranges)
                    if introduced is not None:
                        (speaker, cue_label), found, method = introduced, True, "colon_name"
                if cue is None and not found:
                    cue = _sentence_cue(index, q, quote_ranges)
                    loose = cue is not None
                if cue is not None:
                    speaker = _speaker(cue, entities, quote_ranges)
                    found, method = True, "sentence" if loose else "colon"
        continued = None
        if not found and previous is not None:
            # 4. Split quote or a quote going on after the previous one.
            prev_q, prev_quote = previous
            gap = text[prev_q.end + 1 : q.open_at]
            cue_in_gap = prev_quote.cue_i is not None and prev_q.end < doc[prev_quote.cue_i].idx < q.open_at
            # “A,” said X, a scholar at Y. “B.”: only the attribution lies between the two quotes.
            attribution_only = (
                cue_in_gap
                and len(gap) < 200
                and not any(c in gap for c in '“”"')
                and not text[index.sents[index.sentence_at(doc[prev_quote.cue_i].idx)].end_char : q.open_at].strip()
            )
            if attribution_only or not gap.strip():
                continued = prev_quote
            if attribution_only:
                found = True
        if not found:
            cue = _following_attribution(index, q)
            if cue is not None:
                speaker = _speaker(cue, entities, quote_ranges)
                found, method = True, "following"
                continued = None
        if continued is not None:
            quote = _make(text, q, inside, continued.speaker, continued.cue, continued.cue_i, index)
            quote.method = "continued"
            quote.cue_span = continued.cue_span
            quotes.append(quote)
            previous = (q, quote)
            continue
        if not found:
            cue = _previous_sentence_cue(text, index, q, inside)
            if cue is not None:
                speaker = _speaker(cue, entities, quote_ranges)
                found = speaker is not None
                method = "previous_sentence"
                if not found:
                    cue, method = None, "none"
        if not found and _looks_like_scare_quote(inside):
            continue
        short = len([t for t in inside if t.is_alpha]) <= 3
        if _named_by_reporter(text, q) or (speaker is None and short and (cue is None or loose) and cue_label is None):
            continue  # “reset”, so-called “special operation”: a term, not someone's words
        if cue is not None:
            cue_label = _cue_text(cue)
        quote = _make(text, q, inside, speaker, cue_label, cue.i if cue is not None else None, index)
        quote.method = method
        if cue is not None:
            quote.cue_span = cue_span(cue)
        quotes.append(quote)
        previous = (q, quote)
    return quotes


def _first_speaking(cues: list[Token], entities: ArticleEntities, quoted: Ranges) -> tuple[Token, Entity | None]:
    """The cue whose speaker is known, nearest first, strong cues before weak ones: "Brad Holm said
    that the ad “unmistakably” suggests ..." is Holm's (the ad speaks for nobody); "Straw told MPs
    the US had agreed to ... after “intensive discussions”" is Straw's."""
    ordered = [c for c in cues if _is_cue(c)] + [c for c in cues if not _is_cue(c)]
    fallback: tuple[Token, Entity | None] = (ordered[0], None)
    for cue in ordered:
        speaker = _speaker(cue, entities, quoted)
        if speaker is not None and speaker.label != "NORP":
            return cue, speaker
        if speaker is not None and fallback[1] is None:
            fallback = (cue, speaker)  # "Americans will say “no”": a people is a last resort
    return fallback


def _owner(noun: Token) -> Token | None:
    """Who a claim belongs to: "Griffin's claims", "claims by Griffin", "claims from the BNP"."""
    for child in noun.children:
        if child.dep_ == "poss":
            return child
        if child.dep_ in ("prep", "agent") and child.lower_ in ("by", "from", "of"):
            pobj = next((c for c in child.children if c.dep_ == "pobj"), None)
            if pobj is not None:
                return pobj
    return None


DASHES = ("―", "—", "–", "--", "-")


def _dash_attribution(doc: Doc, index: _DocIndex, q: QuotedSpan, entities: ArticleEntities) -> Entity | None:
    """“...” ― Sonya Herridge: a closed quote followed by a dash and a name that ends the line."""
    if not q.closed:
        return None
    text = index.shared.text
    j = q.end + 1
    while j < len(text) and text[j] in " \t\u00a0,.":
        j += 1
    dash = next((d for d in DASHES if text.startswith(d, j)), None)
    if dash is None:
        return None
    j += len(dash)
    while j < len(text) and text[j] in " \t\u00a0":
        j += 1
    tokens = index.tokens(j, min(len(text), j + 80))
    name: list[Token] = []
    for t in tokens:
        if t.is_space or t.text in (".", ",", ")", ";") or "\n" in t.text_with_ws and name and t.text[:1].isupper():
            if t.text[:1].isupper() and t.is_alpha:
                name.append(t)
            break
        if not (
            t.text[:1].isupper()
            or (
                t.is_alpha
                and len(t.text) <= 3
                and t.text.lower() in ("de", "da", "van", "von", "del", "la", "le", "bin")
            )
        ):
            return None
        name.append(t)
        if "\n" in t.whitespace_ or len(name) > 5:
            break
    if not name:
        return None
    end = name[-1].idx + len(name[-1].text)
    line_end = text.find("\n", end)
    rest = text[end : line_end if line_end >= 0 else len(text)].strip()
    if rest and rest[0] not in ".,;(":
        return None  # "— Trump says ..." goes on as a sentence: not an attribution line
    entity = entities.for_token(name[0]) or entities.for_token(name[-1])
    if entity is not None:
        return entities.as_actor(entity, name[0])
    return entities.for_name(name, create=True)


def _speaker(cue: Token, entities: ArticleEntities, quoted: Ranges) -> Entity | None:
    """Subject of the cue verb; when the parse gave it none, the name right beside the verb."""
    subject = subject_of(cue)
    if subject is not None and quoted.contains(subject.idx) and not quoted.contains(cue.idx):
        subject = None  # a misparse reached into the quote ("We" of “We will ...,” X said)
    if subject is not None and subject.ent_type_ in ("DATE", "TIME", "CARDINAL", "ORDINAL"):
        subject = None  # "Saturday ... Sen. Elizabeth Warren said": the date is no speaker
    if subject is not None:
        speaker = resolve(subject, entities, quoted)
        if speaker is not None or (subject.pos_ != "PROPN" and cue.dep_ not in ("conj", "advcl")):
            return speaker
    if cue.dep_ in ("conj", "advcl"):
        # "Zakharova said “...” were on ... but declared “...”", "X said Y could be “messy,” adding":
        # the parser hung the verb on the reported clause; the speech verb above it says who speaks.
        node = cue.head
        for _ in range(3):
            if _is_cue(node, strong_only=False) and node is not cue:
                head_subject = subject_of(node)
                if head_subject is not None and not quoted.contains(head_subject.idx):
                    return resolve(head_subject, entities, quoted)
            if node.head is node:
                break
            node = node.head
    if subject is not None:
        return None
    # "“...,” Tulsa police Chief Chuck Jordan said" misparsed; "Said Ellis: “...”".
    doc = cue.doc
    for step in (-1, 1):
        i = cue.i + step
        while 0 <= i < len(doc) and abs(i - cue.i) <= 10:
            t = doc[i]
            if (
                quoted.contains(t.idx)
                or t.is_sent_start
                and step == 1
                or t.pos_ == "VERB"
                or (t.is_punct and t.text not in (",", ".", "(", ")", "-"))
            ):
                break
            found = entities.for_token(t)
            if found is not None and t.dep_ in ("dobj", "dative", "pobj") and t.head.i >= cue.i:
                found = None  # "asking Mr Finegold if ...": the one spoken to
            if found is not None and t.dep_ in ("compound", "poss", "amod") and t.head.pos_ == "NOUN":
                found = None  # "Gene Sperling, a top Clinton adviser, said": Clinton only qualifies the adviser
            # A place beside the verb is where it was said ("said in Kentucky"), unless a country.
            if found is not None and (found.label in ("PERSON", "ORG") or found.place_kind == "country"):
                return entities.as_actor(found, t)
            if t.text == "." and step == 1:
                break
            i += step
    return None


def _following_attribution(index: _DocIndex, q: QuotedSpan) -> Token | None:
    # "“How many times ...?” Clinton said." when the parser split the attribution off.
    k = index.sentence_at(q.end + 1)
    if k + 1 < len(index.sents) and index.sents[k].end_char <= q.end + 2:
        k += 1
    sentence = index.sents[k]
    if not (q.end <= sentence.start_char <= q.end + 3):
        return None
    for t in index.shared.words(sentence)[:8]:
        if _is_cue(t, strong_only=False) and _outside(t, q) and _has_outside_subject(t, q):
            if any(c.dep_ in ("ccomp", "dobj", "xcomp") and not (q.open_at <= c.idx <= q.end) for c in t.children):
                return None  # "Rubio said he does support ...": a new statement, not this quote's attribution
            return t
    return None


def _previous_sentence_cue(text: str, index: _DocIndex, q: QuotedSpan, inside: Span) -> Token | None:
    # 5. A quote that is a sentence of its own, after a sentence naming who speaks.
    if not inside or _kind(text, q, inside) != "full":
        return None
    k = index.sentence_at(q.open_at)
    if k == 0:
        return None
    previous = index.sents[k - 1]
    previous_words = index.shared.words(previous)
    cues = [t for t in previous_words if _is_cue(t) and t.idx < q.open_at and subject_of(t) is not None]
    if not cues:
        # "Iowa State University's Dianne Bystrom agreed. “...”": a weak cue ending its sentence.
        words = [t for t in previous_words if not t.is_punct and not t.is_space]
        if words and _is_cue(words[-1], strong_only=False) and subject_of(words[-1]) is not None:
            cues = [words[-1]]
    return cues[0] if cues else None


FUNCTION_WORDS = {"a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "with", "by", "from", "&"}


def _is_title_like(text: str, q: QuotedSpan, inside: Span) -> bool:
    """A short Title Case span is the name of something, unless its whole line is Title Case (a headline)."""
    words = [t.text for t in inside if t.is_alpha]
    if not 2 <= len(words) <= 6:
        return False
    if not all(w[0].isupper() for w in words if w.lower() not in FUNCTION_WORDS) or not words[0][0].isupper():
        return False
    line_start = text.rfind("\n", 0, q.open_at) + 1
    line_end = text.find("\n", q.end)
    line_end = len(text) if line_end < 0 else line_end
    outside = [
        w
        for w in (text[line_start : q.open_at] + " " + text[q.end + 1 : line_end]).split()
        if w[:1].isalpha() and w.lower() not in FUNCTION_WORDS
    ]
    headline = bool(outside) and sum(w[0].isupper() for w in outside) >= 0.8 * len(outside)
    return not headline


SCARE_MARKERS = (
    "so-called",
    "so called",
    "dubbed",
    "nicknamed",
    "known as",
    "termed",
    "the word",
    "the term",
    "the phrase",
)


def _named_by_reporter(text: str, q: QuotedSpan) -> bool:
    before = text[max(0, q.open_at - 20) : q.open_at].lower().rstrip()
    return before.endswith(SCARE_MARKERS)


def _looks_like_scare_quote(inside: Span) -> bool:
    words = [t for t in inside if t.is_alpha]
    has_verb = any(t.pos_ in ("VERB", "AUX") for t in inside)
    return len(words) <= 5 or not has_verb


def _make(
    text: str, q: QuotedSpan, inside: Span, speaker: Entity | None, cue: str | None, cue_i: int | None, index: _DocIndex
) -> Quote:
    first = index.sents[index.sentence_at(q.open_at)]
    last = index.sents[index.sentence_at(max(q.end - 1, q.open_at))]
    sentence = text[first.start_char : last.end_char].strip()
    return Quote(text[q.start : q.end], q.start, q.end, speaker, cue, _kind(text, q, inside), sentence, cue_i)


# --- indirect quotes ------------------------------------------------------------------------

# A clause this long is no clear case of reported speech, and reading every verb's clause of a
# sentence without end ("said X said X said X ...", 50,000 characters) took minutes (`newswire fuzz`).
MAX_INDIRECT_TOKENS = 250


def extract_indirect_quotes(doc: Doc, entities: ArticleEntities, excluded: Ranges, direct: list[Quote]) -> list[Quote]:
    """Reported speech: a named speaker as subject of a communication verb with a clause complement.

    Only clear cases (GUIDELINE): the complement is a `ccomp` clause not mostly in quotation marks,
    and the speaker resolves to an entity. `text` is the clause without its "that".
    """
    quoted = Ranges([(q.start, q.end) for q in direct])
    quote_marks = Ranges([(q.start - 1, q.end + 1) for q in direct])
    index = _DocIndex(doc)  # token.sent walks all sentences on each call; look them up instead
    found: list[Quote] = []
    for verb in index.shared.tokens:
        if verb.pos_ != "VERB" or verb.lemma_.lower() not in INDIRECT_VERBS or excluded.contains(verb.idx):
            continue
        if quoted.contains(verb.idx):
            continue
        complement = next((c for c in verb.children if c.dep_ == "ccomp" and c.i > verb.i), None)
        if complement is None or complement.right_edge.i - complement.left_edge.i >= MAX_INDIRECT_TOKENS:
            continue
        tokens = [t for t in complement.subtree]
        start_tok = tokens[0]
        if start_tok.dep_ == "mark" and start_tok.lower_ in ("that", "whether", "if"):
            tokens = tokens[1:]
        # Cut a trailing non-restrictive clause: "..., which is facing turmoil".
        for k, t in enumerate(tokens):
            if t.lower_ in ("which", "who") and k > 0 and tokens[k - 1].text == "," and t.head.dep_ == "relcl":
                tokens = tokens[: k - 1]
                break
        while tokens and (tokens[-1].is_punct or tokens[-1].is_space):
            tokens = tokens[:-1]
        if len(tokens) < 3:
            continue
        start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
        inside_quotes = sum(1 for t in tokens if quoted.contains(t.idx))
        if inside_quotes * 2 >= len(tokens) or quote_marks.overlaps(start, end) and inside_quotes:
            continue
        speaker = resolve(subject_of(verb), entities, quote_marks)
        if speaker is None:
            continue
        s = index.sents[index.sentence_at(verb.idx)]
        sentence = index.shared.text[s.start_char : s.end_char].strip()
        found.append(Quote(index.shared.text[start:end], start, end, speaker, verb.text, "indirect", sentence, verb.i))
    return found
