"""Quotes and their speakers, from the rules' findings and the learned attributions together.

1. Reported speech the rules missed or cut differently: a learned attribution whose cue is a
   verb outside quotation marks, with a content not mostly quoted, is a candidate indirect quote
   (the reported-speech check, reported.py, decides which verbs report speech).
2. Every quote's evidence (speakers.Evidence): the rules' speaker and how they found it, the
   attribution holding it and its source, the quote before.
3. One learned choice per quote (speakers.choose, then `apply_choices`); reported speech nobody
   named is dropped (the guideline keeps only named speakers there).
"""

from __future__ import annotations

from spacy.tokens import Doc

from ..quotes import Quote
from ..text import Ranges, doc_index
from .extract import Attribution
from .reported import keep_reported, reported_row
from .speakers import Choice, Evidence, SpeakerContext, evidence_for

_LEADING = ("that ", "whether ", "if ")


def _content_text(text: str, start: int, end: int) -> tuple[int, int]:
    """A content span as the guideline writes reported speech: no "that", no closing punctuation."""
    lowered = text[start : start + 8].lower()
    for word in _LEADING:
        if lowered.startswith(word):
            start += len(word)
            break
    while end > start and (text[end - 1] in ".,;:!? \n\t"):
        end -= 1
    while start < end and text[start].isspace():
        start += 1
    return start, end


def _cut_tail(index, start: int, end: int) -> int:
    """End reported speech before a trailing clause of the reporter's: ", pointing to ...",
    ", which ...", ", according to ..."."""
    a, b = index.token_range(start, end)
    tokens = index.tokens
    for k in range(a + 3, b - 1):
        t, nxt = tokens[k], tokens[k + 1]
        if t.text != ",":
            continue
        if (
            (nxt.tag_ == "VBG" and nxt.dep_ in ("advcl", "acl", "conj", "xcomp"))
            or nxt.lower_ in ("which", "according")
            or (nxt.lower_ == "who" and nxt.head.dep_ == "relcl")
        ):
            return t.idx
    return end


def learned_indirect(
    doc: Doc,
    attributions: list[Attribution],
    quoted: Ranges,
    excluded: Ranges,
    existing: list[Quote],
    direct: list[Quote],
) -> list[Quote]:
    """Reported speech found by the attribution model that no rule found (see the module doc)."""
    index = doc_index(doc)
    text = index.text
    taken = {(q.start, q.end) for q in existing}
    out = []
    for a in attributions:
        cue = index.tokens[a.cue_i]
        if a.content is None or cue.pos_ != "VERB":
            continue
        if quoted.contains(cue.idx) or excluded.contains(cue.idx):
            continue
        start, end = _content_text(text, *a.content)
        end = _content_text(text, start, _cut_tail(index, start, end))[1]
        if end - start < 8 or text[start] in "“”\"‘'":
            continue
        first, last = index.token_range(start, end)
        inside = sum(1 for t in index.tokens[first:last] if quoted.contains(t.idx))
        if last - first < 3 or inside * 2 >= last - first:
            continue
        if (start, end) in taken:
            continue
        s = index.sents[index.sentence_at(cue.idx)]
        sentence = text[s.start_char : s.end_char].strip()
        quote = Quote(text[start:end], start, end, None, text[a.cue[0] : a.cue[1]], "indirect", sentence, a.cue_i)
        quote.method, quote.cue_span = "learned", a.cue
        out.append(quote)
    return out


def gather_evidence(ctx: SpeakerContext, direct: list[Quote], indirect: list[Quote]) -> list[Evidence]:
    """The evidence of each direct quote (in order: the quote before matters) and reported speech."""
    out = []
    previous = None
    for q in direct:
        gap = 99 if previous is None else ctx.paragraph_of(q.start) - ctx.paragraph_of(previous.start)
        out.append(
            evidence_for(
                ctx,
                q.start,
                q.end,
                q.start - 1,
                q.end + 1,
                q.kind,
                q.method,
                q.rule_speaker,
                previous.rule_speaker if previous is not None else None,
                gap,
            )
        )
        previous = q
    for q in indirect:
        att = next((a for a in ctx.attributions if a.cue_i == q.cue_i), None)
        out.append(
            evidence_for(
                ctx, q.start, q.end, q.start, q.end, "indirect", q.method, q.rule_speaker, None, 99, attribution=att
            )
        )
    return out


def apply_choices(found, choices: list[Choice], model) -> tuple[list[Quote], list[Quote]]:
    """Direct quotes and reported speech with their chosen speakers, confidences and evidence.

    Reported speech is kept when the reported-speech check (reported.py) passes it and somebody
    named is its speaker; its confidence is the check's times the speaker's.
    """
    direct, indirect = found.direct, found.indirect
    for q, c in zip(direct + indirect, choices, strict=False):
        q.speaker, q.confidence, q.speaker_span = c.speaker, c.confidence, c.mention
        if c.cue is not None and (q.cue_span is None or q.method == "learned"):
            q.cue_span = c.cue
    reported_choices = choices[len(direct) :]
    evidence = found.evidence[len(direct) :]
    rows = [
        reported_row(found.context, q, ev, model, c.share, c.speaker is None)
        for q, ev, c in zip(indirect, evidence, reported_choices, strict=False)
    ]
    threshold = model.meta.get("reported_threshold", 0.5)
    passed = []
    for q, p in zip(indirect, keep_reported(rows, model), strict=False):
        if q.speaker is None or p < threshold:
            continue
        q.confidence = (q.confidence if q.confidence is not None else 1.0) * p
        passed.append((p, q))
    # The rules and the model may cut the same reported speech differently: the likelier stays.
    kept: list[Quote] = []
    for _, q in sorted(passed, key=lambda pq: (-pq[0], pq[1].start)):
        if not any(q.start < k.end and k.start < q.end for k in kept):
            kept.append(q)
    return direct, sorted(kept, key=lambda q: q.start)
