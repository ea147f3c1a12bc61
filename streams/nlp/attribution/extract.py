"""Attributions of one parsed text: cue, source and content, each with the model's confidence."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc

from ..text import doc_index
from .candidates import (
    Candidate,
    content_candidates,
    cue_candidate_indices,
    cue_span,
    source_candidates,
    source_span_variants,
)
from .features import Context, content_rows, cue_matrix, document_context, source_rows
from .model import AttributionModel

# Source origins trusted enough to be taken out of the sentence when its rest is a content candidate.
ATTRIBUTING_ORIGINS = ("nsubj", "agent", "according", "poss", "inherited", "colon_name")


@dataclass(frozen=True)
class Attribution:
    cue_i: int  # token index of the cue's head
    cue: tuple[int, int]  # character span of the cue words
    cue_confidence: float
    source_i: int | None  # token index of the source phrase's head, None: no source in the text
    source: tuple[int, int] | None
    source_confidence: float  # that the source (or its absence) is right
    content: tuple[int, int] | None
    content_confidence: float
    content_origin: str | None

    def covers(self, start: int, end: int) -> bool:
        return self.content is not None and self.content[0] <= start and end <= self.content[1]


def _attributing_heads(candidates: list[Candidate]) -> set[int]:
    return {c.head for c in candidates if c.origin in ATTRIBUTING_ORIGINS}


def _context(doc: Doc, quotes: list[tuple[int, int]], model: AttributionModel) -> Context:
    return document_context(doc, quotes, model.lemma_rates, model.prior_rate, model.vocabs)


def find_attributions(doc: Doc, quotes: list[tuple[int, int]], model: AttributionModel) -> list[Attribution]:
    """Every attribution the model finds in `doc`, in text order.

    `quotes` are the quotation spans of the text, marks included. A cue is kept when the cue model
    gives it at least the trained threshold; its source is the best candidate (or none), its
    content the best candidate span. Each model runs once over all rows of the document (a call
    costs far more than a row).
    """
    ctx = _context(doc, quotes, model)
    candidates = cue_candidate_indices(doc, model.noun_cues)
    probs = model.predict("cue", cue_matrix(doc, candidates, ctx))
    tokens = doc_index(doc).tokens
    chosen = sorted(
        ((float(p), tokens[i]) for p, i in zip(probs, candidates, strict=False) if p >= model.cue_threshold),
        key=lambda pt: (-pt[0], pt[1].i),
    )
    taken: list[tuple[int, int]] = []
    cues = []
    for p, cue in chosen:
        span = cue_span(cue)
        if any(s <= cue.idx < e for s, e in taken):
            continue  # "has" of "has said": inside a stronger cue's words
        taken.append(span)
        cues.append((cue, p, span))
    sources = [source_candidates(cue) for cue, _, _ in cues]
    contents = [
        content_candidates(cue, _attributing_heads(s), quotes) for (cue, _, _), s in zip(cues, sources, strict=False)
    ]
    source_p = _grouped(
        model, "source", [source_rows(cue, s, ctx) for (cue, _, _), s in zip(cues, sources, strict=False)]
    )
    content_p = _grouped(
        model, "content", [content_rows(cue, c, ctx) for (cue, _, _), c in zip(cues, contents, strict=False)]
    )
    heads: list[int | None] = []
    for s, p in zip(sources, source_p, strict=False):
        best = int(p.argmax())
        heads.append(s[best].head if best < len(s) else None)
    variants = [source_span_variants(doc[h]) if h is not None else [] for h in heads]
    span_p = _grouped(
        model,
        "source_span",
        [span_rows(doc[h], v, ctx) if h is not None else [] for h, v in zip(heads, variants, strict=False)],
    )
    out: list[Attribution] = []
    for k, (cue, p, span) in enumerate(cues):
        sp = source_p[k]
        best = int(sp.argmax())
        source_span = None
        if heads[k] is not None:
            v = variants[k][int(span_p[k].argmax())]
            source_span = (v.start, v.end)
        content, origin, content_conf = None, None, 0.0
        if contents[k]:
            cp = content_p[k]
            j = int(cp.argmax())
            content, origin = (contents[k][j].start, contents[k][j].end), contents[k][j].origin
            content_conf = float(cp[j] / (float(cp.sum()) or 1.0))
        # Each candidate is scored alone: normalised over the group, the best one's share.
        out.append(
            Attribution(
                cue.i,
                span,
                p,
                heads[k],
                source_span,
                float(sp[best] / (float(sp.sum()) or 1.0)),
                content,
                content_conf,
                origin,
            )
        )
    out.sort(key=lambda a: a.cue[0])
    return out


def _grouped(model: AttributionModel, name: str, groups: list[list[list[float]]]):
    """Score several groups of rows in one call; the scores come back split by group."""
    flat = [row for g in groups for row in g]
    scores = model.predict(name, flat)
    out, k = [], 0
    for g in groups:
        out.append(scores[k : k + len(g)])
        k += len(g)
    return out


SPAN_COLUMNS = [
    "variant",
    "tokens",
    "share_of_subtree",
    "head_kind",
    "has_comma",
    "has_relcl",
    "has_appos",
    "ends_with_paren",
    "first_pos",
    "is_name",
]
SPAN_CATEGORICAL = ["variant", "head_kind", "first_pos"]


def span_rows(head, variants: list[Candidate], ctx: Context) -> list[list[float]]:
    """Features of each way the source phrase headed by `head` may be cut."""
    from .features import _kind

    v = ctx.vocabs
    doc = head.doc
    subtree = doc_index(doc).tokens[head.left_edge.i : head.right_edge.i + 1]
    n_sub = max(1, len(subtree))
    rows = []
    for c in variants:
        toks = [t for t in subtree if c.start <= t.idx < c.end]
        n = len(toks)
        rows.append(
            [
                v.origin("span:" + c.origin),
                float(n),
                n / n_sub,
                v.ent(_kind(head)),
                float(any(t.text == "," for t in toks)),
                float(any(t.dep_ in ("relcl", "acl") for t in toks)),
                float(any(t.dep_ == "appos" for t in toks)),
                float(doc_index(doc).text[c.end - 1] == ")"),
                v.pos(toks[0].pos_ if toks else ""),
                float(all(t.pos_ == "PROPN" for t in toks)),
            ]
        )
    return rows
