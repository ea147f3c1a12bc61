"""Features of cue, source and content candidates: numbers and small categories, nothing hidden.

Each function returns one row (a list of numbers) per candidate, in the column order of its
`*_COLUMNS`; categorical columns hold codes of a `Vocab` that is saved with the model, so the
same word gets the same code at training and at run time (unknown words share code 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy
from spacy.attrs import DEP, ENT_TYPE, HEAD, IDX, IS_TITLE, LEMMA, LOWER, ORTH, POS, SENT_START, TAG
from spacy.tokens import Token

from ..text import doc_index
from .candidates import QUOTE_MARKS, Candidate

# Nouns that name someone's role or a body's voice ("the senator", "a spokesman", "the report").
ROLE_WORDS = {
    "president",
    "senator",
    "governor",
    "mayor",
    "minister",
    "secretary",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "official",
    "officials",
    "chairman",
    "chairwoman",
    "chair",
    "leader",
    "director",
    "chief",
    "candidate",
    "nominee",
    "judge",
    "lawyer",
    "attorney",
    "analyst",
    "expert",
    "economist",
    "professor",
    "researcher",
    "aide",
    "adviser",
    "advisor",
    "executive",
    "source",
    "sources",
    "police",
    "statement",
    "report",
    "study",
    "survey",
    "poll",
    "campaign",
    "committee",
    "government",
    "administration",
    "ministry",
    "company",
}


@dataclass
class Vocab:
    """Category codes for one column: code 0 is "unknown", the rest were seen at training."""

    codes: dict[str, int] = field(default_factory=dict)
    frozen: bool = False

    def __call__(self, value: str) -> int:
        code = self.codes.get(value)
        if code is None:
            if self.frozen:
                return 0
            code = self.codes[value] = len(self.codes) + 1
        return code


@dataclass
class Vocabs:
    lemma: Vocab = field(default_factory=Vocab)
    pos: Vocab = field(default_factory=Vocab)
    tag: Vocab = field(default_factory=Vocab)
    dep: Vocab = field(default_factory=Vocab)
    ent: Vocab = field(default_factory=Vocab)
    origin: Vocab = field(default_factory=Vocab)

    def freeze(self) -> Vocabs:
        for v in vars(self).values():
            v.frozen = True
        return self

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {name: v.codes for name, v in vars(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, dict[str, int]]) -> Vocabs:
        return cls(**{name: Vocab(dict(codes), frozen=True) for name, codes in data.items()}).freeze()


@dataclass
class Context:
    """What the features of one document share: its quotes, the learned cue rates, token arrays."""

    quotes: list[tuple[int, int]]  # quotation spans with their marks, in text order
    lemma_rates: dict[str, float]  # lemma -> smoothed share of its tokens that were cue heads
    prior_rate: float
    vocabs: Vocabs
    arrays: DocArrays | None = None

    def rate(self, lemma: str) -> float:
        return self.lemma_rates.get(lemma, self.prior_rate)

    def quoted(self, i: int) -> bool:
        return bool(self.arrays.quoted[i])

    def quoted_share(self, start: int, end: int) -> float:
        """Share of the tokens of token range [start, end) inside quotation marks."""
        if end <= start:
            return 0.0
        prefix = self.arrays.quoted_prefix
        return float(prefix[end] - prefix[start]) / (end - start)


class DocArrays:
    """Per-token arrays of one parsed text, for features computed a whole document at a time."""

    def __init__(self, doc, quotes: list[tuple[int, int]]):
        n = len(doc)
        attrs = doc.to_array([HEAD, SENT_START, IDX, LEMMA, POS, TAG, DEP, ENT_TYPE, ORTH, IS_TITLE, LOWER])
        signed = attrs.astype(numpy.int64)
        self.n = n
        self.head = numpy.arange(n, dtype=numpy.int64) + signed[:, 0]
        sent_start = signed[:, 1] == 1
        if n:
            sent_start[0] = True
        self.sentence = numpy.cumsum(sent_start) - 1
        starts = numpy.flatnonzero(sent_start)
        ends = numpy.append(starts[1:], n)
        self.sentence_start = starts[self.sentence] if n else starts
        self.sentence_len = (ends - starts)[self.sentence] if n else starts
        self.idx = signed[:, 2]
        strings = doc.vocab.strings
        self._strings = strings
        self.lemma = attrs[:, 3]
        self.pos = attrs[:, 4]
        self.tag = attrs[:, 5]
        self.dep = attrs[:, 6]
        self.ent = attrs[:, 7]
        self.orth = attrs[:, 8]
        self.title = attrs[:, 9].astype(bool)
        self.lower = attrs[:, 10]
        self.children: dict[str, numpy.ndarray] = {}
        for label in CHILD_DEPS:
            mask = self.dep == strings[label]
            self.children[label] = numpy.bincount(self.head[mask], minlength=n)
        quoted = numpy.zeros(n, dtype=bool)
        if quotes and n:
            q = numpy.asarray(quotes)
            a = numpy.searchsorted(self.idx, q[:, 0], side="left")
            b = numpy.searchsorted(self.idx, q[:, 1], side="left")
            for x, y in zip(a, b, strict=False):
                quoted[x:y] = True
        self.quoted = quoted
        self.quoted_prefix = numpy.concatenate([[0], numpy.cumsum(quoted)])
        self.quote_starts = numpy.asarray([s for s, _ in quotes], dtype=numpy.int64)
        self.quote_ends = numpy.asarray(sorted(e for _, e in quotes), dtype=numpy.int64)

    def names(self, hashes: numpy.ndarray) -> numpy.ndarray:
        """The strings of a hash column, looked up once per distinct value."""
        values, inverse = numpy.unique(hashes, return_inverse=True)
        names = numpy.asarray([self._strings[int(h)] if h else "" for h in values], dtype=object)
        return names[inverse] if len(values) else numpy.asarray([], dtype=object)

    def is_dep(self, *labels: str) -> numpy.ndarray:
        return numpy.isin(self.dep, [self._strings[label] for label in labels])

    def codes(self, hashes: numpy.ndarray, vocab: Vocab, lower: bool = False) -> numpy.ndarray:
        values, inverse = numpy.unique(hashes, return_inverse=True)
        codes = numpy.asarray(
            [
                vocab((self._strings[int(h)] if h else "").lower() if lower else (self._strings[int(h)] if h else ""))
                for h in values
            ],
            dtype=numpy.float64,
        )
        return codes[inverse] if len(values) else numpy.zeros(0)

    def rates_of(self, hashes: numpy.ndarray, ctx: Context) -> numpy.ndarray:
        values, inverse = numpy.unique(hashes, return_inverse=True)
        rates = numpy.asarray([ctx.rate((self._strings[int(h)] if h else "").lower()) for h in values])
        return rates[inverse] if len(values) else numpy.zeros(0)


CHILD_DEPS = (
    "ccomp",
    "xcomp",
    "dobj",
    "nsubj",
    "nsubjpass",
    "agent",
    "prep",
    "aux",
    "neg",
    "prt",
    "parataxis",
    "dative",
    "conj",
    "csubj",
)


def document_context(doc, quotes, lemma_rates, prior_rate, vocabs) -> Context:
    """The features' context of `doc`; its token arrays are made once per document and kept."""
    ctx = Context(sorted(quotes), lemma_rates, prior_rate, vocabs)
    key = ("newswire.arrays", tuple(ctx.quotes))
    arrays = doc.user_data.get(key)
    if arrays is None:
        arrays = DocArrays(doc, ctx.quotes)
        doc.user_data[key] = arrays
    ctx.arrays = arrays
    return ctx


def _subject(token: Token) -> Token | None:
    for c in token.children:
        if c.dep_ in ("nsubj", "nsubjpass", "csubj"):
            return c
    return None


def _kind(token: Token | None) -> str:
    if token is None:
        return "none"
    if token.ent_type_:
        return token.ent_type_
    if token.pos_ == "PRON":
        return "PRON:" + token.lower_
    if token.lower_ in ROLE_WORDS:
        return "ROLE"
    return token.pos_


CUE_COLUMNS = [
    "lemma",
    "lemma_rate",
    "pos",
    "tag",
    "dep",
    "head_pos",
    "head_dep",
    "head_lemma_rate",
    "has_ccomp",
    "has_xcomp",
    "has_dobj",
    "has_subject",
    "has_passive_subject",
    "has_agent",
    "has_prep",
    "has_that",
    "has_aux",
    "has_neg",
    "has_prt",
    "has_parataxis",
    "has_dative",
    "has_conj",
    "subject_kind",
    "in_quote",
    "quote_before",
    "quote_after",
    "quote_child",
    "colon_after",
    "sentence_tokens",
    "position_in_sentence",
    "quotes_in_sentence",
    "is_title_case",
]
CUE_CATEGORICAL = ["lemma", "pos", "tag", "dep", "head_pos", "head_dep", "subject_kind"]
_MARKS = {"that", "whether", "if"}
_QUOTE_CHILD_DEPS = {"ccomp", "parataxis", "dobj", "xcomp"}


def cue_matrix(doc, indices: list[int], ctx: Context) -> numpy.ndarray:
    """The cue features of the tokens at `indices`, one row each (columns: CUE_COLUMNS).

    Computed over the whole document's arrays at once: a long article has hundreds of candidates.
    """
    a = ctx.arrays
    v = ctx.vocabs
    idx = numpy.asarray(indices, dtype=numpy.int64)
    if not len(idx):
        return numpy.zeros((0, len(CUE_COLUMNS)))
    n = a.n
    head = a.head
    # Codes and rates only where they are read: the candidates and their heads.
    both = numpy.concatenate([idx, head[idx]])
    lemma = a.codes(a.lemma[idx], v.lemma, lower=True)
    rate_both = a.rates_of(a.lemma[both], ctx)
    rate, head_rate = rate_both[: len(idx)], rate_both[len(idx) :]
    pos_both = a.codes(a.pos[both], v.pos)
    dep_both = a.codes(a.dep[both], v.dep)
    pos, head_pos = pos_both[: len(idx)], pos_both[len(idx) :]
    dep, head_dep = dep_both[: len(idx)], dep_both[len(idx) :]
    tag = a.codes(a.tag[idx], v.tag)
    ch = a.children
    strings = doc.vocab.strings
    # "said that ...": a ccomp child that has a complementiser of its own.
    mark = a.is_dep("mark") & numpy.isin(a.lower, [strings[m] for m in _MARKS])
    with_mark = numpy.zeros(n, dtype=bool)
    with_mark[head[mark]] = True
    that = numpy.zeros(n, dtype=bool)
    that[head[a.is_dep("ccomp") & with_mark]] = True
    # The kind of each token's subject: its entity type, a pronoun, a role word, or its POS.
    subject_kind = numpy.zeros(n)
    subjects = numpy.flatnonzero(a.is_dep("nsubj", "nsubjpass", "csubj"))
    for i in subjects[::-1]:  # the first subject of a verb wins, as in `_subject`
        subject_kind[head[i]] = v.ent(_kind(doc[int(i)]))
    none_kind = v.ent("none")
    has_subject_any = (ch["nsubj"] + ch["nsubjpass"] + ch["csubj"]) > 0
    subject_kind[~has_subject_any] = none_kind
    # Quotes around: distances (in hundreds of characters) to the nearest one before and after.
    at = a.idx[idx]
    qe, qs = a.quote_ends, a.quote_starts
    k = numpy.searchsorted(qe, at, side="right") - 1
    before = numpy.where(k >= 0, at - qe[numpy.clip(k, 0, None)] if len(qe) else 999, 999)
    j = numpy.searchsorted(qs, at, side="left")
    after = numpy.where(j < len(qs), (qs[numpy.clip(j, 0, len(qs) - 1)] - at) if len(qs) else 999, 999)
    before = numpy.minimum(before, 999) / 100.0
    after = numpy.minimum(after, 999) / 100.0
    # A complement that is, or holds, a quote: quoted tokens and their heads, one level up.
    quoted = a.quoted
    grand = numpy.zeros(n, dtype=bool)
    grand[head[quoted]] = True
    child_quoted = (quoted | grand) & a.is_dep(*_QUOTE_CHILD_DEPS)
    quote_child = numpy.zeros(n, dtype=bool)
    quote_child[head[child_quoted & (head != numpy.arange(n))]] = True
    colon = numpy.zeros(n, dtype=bool)
    colon_hash = doc.vocab.strings[":"]
    colon[:-1] = a.orth[1:] == colon_hash
    sentence_char_starts = a.idx[numpy.unique(a.sentence_start)]
    per_sentence = (
        numpy.bincount(
            numpy.searchsorted(sentence_char_starts, a.quote_starts, side="right") - 1,
            minlength=len(sentence_char_starts),
        )
        if len(a.quote_starts)
        else numpy.zeros(len(sentence_char_starts))
    )
    quotes_in = per_sentence[a.sentence[idx]]
    position = (idx - a.sentence_start[idx]) / numpy.maximum(1, a.sentence_len[idx])
    title = a.title[idx] & (idx > a.sentence_start[idx])
    cols = [
        lemma,
        rate,
        pos,
        tag,
        dep,
        head_pos,
        head_dep,
        numpy.where(head[idx] != idx, head_rate, 0.0),
        ch["ccomp"][idx] > 0,
        ch["xcomp"][idx] > 0,
        ch["dobj"][idx] > 0,
        ch["nsubj"][idx] > 0,
        ch["nsubjpass"][idx] > 0,
        ch["agent"][idx] > 0,
        ch["prep"][idx] > 0,
        that[idx],
        ch["aux"][idx] > 0,
        ch["neg"][idx] > 0,
        ch["prt"][idx] > 0,
        ch["parataxis"][idx] > 0,
        ch["dative"][idx] > 0,
        ch["conj"][idx] > 0,
        subject_kind[idx],
        quoted[idx],
        before,
        after,
        quote_child[idx],
        colon[idx],
        a.sentence_len[idx],
        position,
        quotes_in,
        title,
    ]
    return numpy.column_stack([numpy.asarray(c, dtype=numpy.float64) for c in cols])


SOURCE_COLUMNS = [
    "origin",
    "origin_rank",
    "cue_lemma",
    "cue_pos",
    "cue_dep",
    "pos",
    "dep",
    "kind",
    "is_pronoun",
    "is_propn",
    "is_role",
    "distance",
    "abs_distance",
    "same_sentence",
    "in_quote",
    "candidates",
    "cue_has_subject",
    "cue_lemma_rate",
    "is_none",
    "entity_length",
    "is_possessive",
]
SOURCE_CATEGORICAL = ["origin", "cue_lemma", "cue_pos", "cue_dep", "pos", "dep", "kind"]


def source_rows(cue: Token, candidates: list[Candidate], ctx: Context) -> list[list[float]]:
    """One row per candidate, then one for "no source" (its `is_none` is 1)."""
    v = ctx.vocabs
    doc = cue.doc
    index = doc_index(doc)
    s_start, s_end = index.sentence_range(cue.i)
    lemma = cue.lemma_.lower()
    has_subject = float(_subject(cue) is not None)
    rows = []
    tokens = index.tokens
    for rank, c in enumerate(candidates):
        t = tokens[c.head]
        ent_len = 0
        if t.ent_type_:
            k = t.i
            while k > 0 and tokens[k].ent_iob_ == "I":
                k -= 1
            ent_len = t.i - k + 1
        rows.append(
            [
                v.origin(c.origin),
                float(rank),
                v.lemma(lemma),
                v.pos(cue.pos_),
                v.dep(cue.dep_),
                v.pos(t.pos_),
                v.dep(t.dep_),
                v.ent(_kind(t)),
                float(t.pos_ == "PRON"),
                float(t.pos_ == "PROPN"),
                float(t.lower_ in ROLE_WORDS),
                float(t.i - cue.i),
                float(abs(t.i - cue.i)),
                float(s_start <= t.i < s_end),
                float(ctx.quoted(t.i)),
                float(len(candidates)),
                has_subject,
                ctx.rate(lemma),
                0.0,
                float(ent_len),
                float(any(c2.dep_ == "case" for c2 in t.children)),
            ]
        )
    rows.append(
        [
            v.origin("none"),
            float(len(candidates)),
            v.lemma(lemma),
            v.pos(cue.pos_),
            v.dep(cue.dep_),
            0.0,
            0.0,
            v.ent("none"),
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            float(len(candidates)),
            has_subject,
            ctx.rate(lemma),
            1.0,
            0.0,
            0.0,
        ]
    )
    return rows


CONTENT_COLUMNS = [
    "origin",
    "variant_mark",
    "variant_punct",
    "variant_marks",
    "tokens_log",
    "chars_log",
    "before_cue",
    "contains_cue",
    "distance",
    "quoted_share",
    "starts_with_mark",
    "ends_with_mark",
    "sentences",
    "starts_with_that",
    "ends_with_punct",
    "cue_lemma",
    "cue_pos",
    "candidates",
    "origin_rank",
    "head_pos",
    "head_dep",
    "ends_sentence",
]
CONTENT_CATEGORICAL = ["origin", "cue_lemma", "cue_pos", "head_pos", "head_dep"]


def content_rows(cue: Token, candidates: list[Candidate], ctx: Context) -> list[list[float]]:
    v = ctx.vocabs
    doc = cue.doc
    text = doc_index(doc).text
    index = doc_index(doc)
    rows = []
    per_origin: dict[str, int] = {}
    for c in candidates:
        base = c.origin.split("-")[0]
        rank = per_origin.get(base, 0)
        per_origin[base] = rank + 1
        a, b = index.token_range(c.start, c.end)
        n = max(1, b - a)
        quoted = ctx.quoted_share(a, b)
        first_sentence = index.sentence_at(c.start)
        last_sentence = index.sentence_at(max(c.start, c.end - 1))
        sentence_end = index.sents[last_sentence].end_char
        head = index.tokens[c.head]
        rows.append(
            [
                v.origin(base),
                float("-mark" in c.origin),
                float("-punct" in c.origin),
                float("-marks" in c.origin),
                math.log1p(n),
                math.log1p(c.end - c.start),
                float(c.end <= cue.idx),
                float(c.start <= cue.idx < c.end),
                (c.start - cue.idx) / 100.0,
                quoted,
                float(text[c.start] in QUOTE_MARKS),
                float(text[c.end - 1] in QUOTE_MARKS),
                float(last_sentence - first_sentence + 1),
                float(text[c.start : c.start + 5].lower() == "that "),
                float(text[c.end - 1] in ".,;:!?"),
                v.lemma(cue.lemma_.lower()),
                v.pos(cue.pos_),
                float(len(candidates)),
                float(rank),
                v.pos(head.pos_),
                v.dep(head.dep_),
                float(text[c.end : sentence_end].strip() in ("", ".", "”", ".”", '."', '"')),
            ]
        )
    return rows
