"""What an attribution could be made of: cue, source and content candidates read off the parse.

An attribution (PolNeAR's source–cue–content) is found in three choices, each made by a learned
model over the candidates here (model.py): which tokens are cues; for each cue, which noun
phrase is its source (or none); which span is its content. The candidates are plain functions
of the parse and of the quotation marks, so everything a model sees can be shown.

Spans are character ranges [start, end) of the field's text, with no surrounding whitespace.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy
from spacy.attrs import LEMMA, LOWER, POS
from spacy.tokens import Doc, Span, Token

from ..text import doc_index

# Dependency relations whose subtree may be a cue's content ("said [that ...]", "called for [X]").
CONTENT_DEPS = (
    "ccomp",
    "xcomp",
    "dobj",
    "advcl",
    "parataxis",
    "attr",
    "oprd",
    "acomp",
    "conj",
    "csubj",
    "nsubjpass",
    "dep",
    "npadvmod",
)
# Prepositions whose object may be a cue's content ("talked about [X]", "called for [X]").
CONTENT_PREPS = {
    "about",
    "on",
    "for",
    "of",
    "to",
    "over",
    "with",
    "that",
    "against",
    "into",
    "as",
    "at",
    "regarding",
    "from",
    "in",
}
# Nouns in the source's own phrase that say it is a document or a voice of a body ("a statement").
EDGE_PUNCT = set(",.;:!?—–-")
QUOTE_MARKS = set("“”\"‘’'")


@dataclass(frozen=True)
class Candidate:
    """One candidate span with how it was found (`origin`), for the models' features."""

    start: int
    end: int
    origin: str
    head: int  # token index of its head (the token the origin names)


def char_span(tokens: Span | list[Token]) -> tuple[int, int] | None:
    """[start, end) of a token run, whitespace tokens at either end left out."""
    a, b = 0, len(tokens)
    while a < b and tokens[a].is_space:
        a += 1
    while b > a and tokens[b - 1].is_space:
        b -= 1
    if a == b:
        return None
    last = tokens[b - 1]
    return tokens[a].idx, last.idx + len(last.text)


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# --- cues ------------------------------------------------------------------------------------


def cue_candidates(doc: Doc, noun_cues: frozenset[str]) -> list[Token]:
    tokens = doc_index(doc).tokens
    return [tokens[i] for i in cue_candidate_indices(doc, noun_cues)]


def cue_candidate_indices(doc: Doc, noun_cues: frozenset[str]) -> list[int]:
    """Tokens that may head a cue: every verb, "according", a colon, and the nouns and adjectives
    whose lemma was a cue in the training data (`noun_cues`: "claim", "statement").

    Auxiliaries are left out: they head 2 % of PolNeAR's cues ("the message is that ...") and are a
    third of all verb-like tokens, which the cue model would otherwise have to score.
    """
    if not len(doc):
        return []
    strings = doc.vocab.strings
    attrs = doc.to_array([POS, LOWER, LEMMA])
    pos, lower, lemma = attrs[:, 0], attrs[:, 1], attrs[:, 2]
    wanted = (pos == strings["VERB"]) | (lower == strings["according"]) | (lower == strings[":"])
    nominal = numpy.isin(pos, [strings["NOUN"], strings["ADJ"], strings["PROPN"]])
    if nominal.any():
        values = numpy.unique(lemma[nominal])
        cue_lemmas = [h for h in values if strings[int(h)].lower() in noun_cues]
        wanted |= nominal & numpy.isin(lemma, cue_lemmas)
    return numpy.flatnonzero(wanted).tolist()


def cue_span(cue: Token) -> tuple[int, int]:
    """The words of a cue as PolNeAR marks them: the head with its auxiliaries, negation, "also"
    and particles ("has also said", "pointed out", "according to"), and a colon right after it."""
    doc = doc_index(cue.doc).tokens  # a plain list: indexing a Doc makes a new Token each time
    left = cue.i
    while (
        left > 0
        and doc[left - 1].head.i == cue.i
        and doc[left - 1].dep_ in ("aux", "auxpass", "neg", "advmod")
        and (doc[left - 1].dep_ != "advmod" or doc[left - 1].lower_ in ("also", "not", "never", "repeatedly"))
    ):
        left -= 1
    right = cue.i + 1
    while (
        right < len(doc)
        and doc[right].head.i == cue.i
        and (doc[right].dep_ == "prt" or (cue.lower_ == "according" and doc[right].lower_ == "to"))
    ):
        right += 1
    if right < len(doc) and doc[right].text == ":" and cue.text != ":":
        right += 1
    span = char_span(doc[left:right])
    assert span is not None
    return span


# --- sources ---------------------------------------------------------------------------------


def _subject_chain(verb: Token, depth: int = 0) -> Token | None:
    """The subject a verb inherits through coordination, control and relative clauses."""
    if depth > 3:
        return None
    for child in verb.children:
        if child.dep_ in ("nsubj", "csubj", "nsubjpass"):
            return child
    if verb.dep_ == "relcl" or (verb.dep_ == "acl" and verb.tag_ == "VBG"):
        return verb.head
    if verb.dep_ in ("conj", "xcomp", "advcl", "ccomp", "pcomp") and verb.head is not verb:
        head = verb.head
        if head.dep_ == "prep" and head.head is not head:
            head = head.head
        return _subject_chain(head, depth + 1)
    return None


NEAR_LABELS = ("PERSON", "ORG", "GPE", "NORP")


def source_candidates(cue: Token, max_entities: int = 3) -> list[Candidate]:
    """Noun phrases that may be `cue`'s source, each by its head token, with how it was found.

    The same head found twice keeps its first origin (the list order is the order of trust);
    `Candidate.start/end` is the head's own character range (the span is chosen later).
    """
    doc = cue.doc
    found: list[tuple[Token, str]] = []
    for child in cue.children:
        if child.dep_ in ("nsubj", "csubj"):
            found.append((child, "nsubj"))
        elif child.dep_ == "nsubjpass":
            found.append((child, "nsubjpass"))
        elif child.dep_ == "agent":
            found.extend((p, "agent") for p in child.children if p.dep_ == "pobj")
        elif child.dep_ == "poss":
            found.append((child, "poss"))
        elif child.dep_ == "prep" and child.lower_ in ("by", "from", "of", "to") and cue.lower_ != "according":
            found.extend((p, f"prep_{child.lower_}") for p in child.children if p.dep_ == "pobj")
        elif child.dep_ == "prep" and child.lower_ == "to" and cue.lower_ == "according":
            found.extend((p, "according") for p in child.children if p.dep_ == "pobj")
        elif child.dep_ in ("compound", "nmod") and cue.pos_ in ("NOUN", "PROPN"):
            found.append((child, "compound"))
        elif child.dep_ in ("dobj", "dative"):
            found.append((child, "object"))
    inherited = _subject_chain(cue)
    if inherited is not None:
        found.append((inherited, "inherited"))
    if cue.dep_ in ("acl", "relcl", "appos") and cue.head is not cue:
        found.append((cue.head, "modified"))
    index = doc_index(doc)
    tokens = index.tokens
    s_start, s_end = index.sentence_range(cue.i)
    if cue.text == ":":
        before = tokens[cue.i - 1] if cue.i > 0 else None
        if before is not None and before.pos_ in ("PROPN", "NOUN", "PRON"):
            found.append((before, "colon_name"))
        verbs = [t for t in tokens[s_start : cue.i] if t.pos_ in ("VERB", "AUX")]
        if verbs:
            subject = _subject_chain(verbs[-1])
            if subject is not None:
                found.append((subject, "colon_subject"))
    # Names near the cue, for the parses that lost the subject: the nearest few people and bodies.
    near = sorted(
        (e for e in index.entity_heads if s_start <= e[0] < s_end and e[2] in NEAR_LABELS),
        key=lambda e: abs(e[0] - cue.i),
    )
    for _, last, _ in near[:max_entities]:
        found.append((tokens[last], "near_entity"))
    out: list[Candidate] = []
    seen: set[int] = set()
    for token, origin in found:
        if token.i in seen or token.i == cue.i or token.is_punct or token.is_space:
            continue
        seen.add(token.i)
        out.append(Candidate(token.idx, token.idx + len(token.text), origin, token.i))
    return out


def source_span_variants(head: Token) -> list[Candidate]:
    """Spans a source headed by `head` may have: the whole phrase, the phrase before any comma,
    relative clause or apposition after the head, the words up to the head, the name alone."""
    doc = head.doc
    tokens = doc_index(doc).tokens
    subtree = tokens[head.left_edge.i : head.right_edge.i + 1]
    variants: list[tuple[list[Token], str]] = [(subtree, "subtree")]
    cut = len(subtree)
    for k, t in enumerate(subtree):
        if t.i > head.i and (
            t.text in (",", "(", "—", "–") or (t.head.i == head.i and t.dep_ in ("relcl", "acl", "appos"))
        ):
            cut = k
            break
    variants.append((subtree[:cut], "before_comma"))
    variants.append(([t for t in subtree if t.i <= head.i], "to_head"))
    core = [head]
    k = head.i - 1
    while (
        k >= 0 and tokens[k].head.i == head.i and tokens[k].dep_ in ("compound", "flat") and tokens[k].pos_ == "PROPN"
    ):
        core.insert(0, tokens[k])
        k -= 1
    variants.append((core, "name"))
    out: list[Candidate] = []
    seen: set[tuple[int, int]] = set()
    for tokens, origin in variants:
        while tokens and (tokens[-1].is_punct and tokens[-1].text not in (")", ".") or tokens[-1].is_space):
            tokens = tokens[:-1]
        while tokens and (tokens[0].is_punct or tokens[0].is_space):
            tokens = tokens[1:]
        span = char_span(tokens)
        if span is None or span in seen:
            continue
        seen.add(span)
        out.append(Candidate(span[0], span[1], origin, head.i))
    return out


# --- contents --------------------------------------------------------------------------------


def _variants(tokens: list[Token], origin: str, head: int, out: list[Candidate], seen: set[tuple[int, int]]) -> None:
    """A content run as is, without its complementiser, without its closing punctuation, and
    reaching out to the quotation marks right around it (the parser often hangs a closing mark on
    the verb outside: “... a good night.”)."""
    a, b = 0, len(tokens)
    while a < b and tokens[a].is_space:
        a += 1
    while b > a and tokens[b - 1].is_space:
        b -= 1
    if a == b:
        return
    base = tokens[a:b]
    forms = [(base, origin)]
    every = doc_index(base[0].doc).tokens
    n = len(every)
    left, right = base[0].i, base[-1].i + 1
    while left > 0 and every[left - 1].text in QUOTE_MARKS:
        left -= 1
    while right < n and (
        every[right].text in QUOTE_MARKS
        or (every[right].text in ".,!?" and right + 1 < n and every[right + 1].text in QUOTE_MARKS)
    ):
        right += 1
    if (left, right) != (base[0].i, base[-1].i + 1):
        forms.append((every[left:right], origin + "-marks"))
    if base and base[0].dep_ == "mark" and base[0].lower_ in ("that", "whether", "if"):
        forms.append((base[1:], origin + "-mark"))
    for toks, name in list(forms):
        if toks and toks[-1].text in EDGE_PUNCT:
            forms.append((toks[:-1], name + "-punct"))
    for toks, name in forms:
        span = char_span(toks)
        if span is None or span in seen:
            continue
        seen.add(span)
        out.append(Candidate(span[0], span[1], name, head))


def content_candidates(cue: Token, source_heads: set[int], quotes: list[tuple[int, int]]) -> list[Candidate]:
    """Spans that may be `cue`'s content: subtrees of its complements (and of their clauses),
    the quotes around it (alone, or the run of quotes it splits), the rest of its sentence
    once the attribution is taken out.

    `quotes` are the quotation spans of the text with their marks, (open mark, after close mark).
    """
    doc = cue.doc
    index = doc_index(doc)
    tokens = index.tokens

    def subtree(t: Token) -> list[Token]:  # projective parses: a subtree is a contiguous run
        return tokens[t.left_edge.i : t.right_edge.i + 1]

    out: list[Candidate] = []
    seen: set[tuple[int, int]] = set()
    children = list(cue.children)
    for k, child in enumerate(children):
        if child.dep_ in CONTENT_DEPS:
            _variants(subtree(child), child.dep_, child.i, out, seen)
            # "said that A, and B": the parser may hang the second clause on the cue.
            tail = [c for c in children[k + 1 :] if c.dep_ in ("cc", "conj", "punct")]
            conj = [c for c in tail if c.dep_ == "conj"]
            if child.dep_ == "ccomp" and conj:
                last = conj[-1].right_edge.i
                _variants(tokens[child.left_edge.i : last + 1], "ccomp+conj", child.i, out, seen)
            for grand in child.children:
                if grand.dep_ in ("ccomp", "acl", "relcl") and grand.i > child.i and child.dep_ in ("dobj", "attr"):
                    _variants(subtree(grand), f"{child.dep_}>{grand.dep_}", grand.i, out, seen)
        elif child.dep_ in ("prep", "agent") and child.lower_ in CONTENT_PREPS and cue.lower_ != "according":
            for grand in child.children:
                if grand.dep_ in ("pobj", "pcomp"):
                    _variants(subtree(grand), f"prep>{grand.dep_}", grand.i, out, seen)
                    _variants(subtree(child), "prep", child.i, out, seen)
    # The rest of the sentence: "Acts of protest, Mr. Obama said, are acts of patriotism",
    # "According to the poll, Trump leads", "“...,” he said."
    s_start, s_end = index.sentence_range(cue.i)
    attribution = {cue.i}
    for i in source_heads:
        attribution.update(range(tokens[i].left_edge.i, tokens[i].right_edge.i + 1))
    if cue.lower_ == "according":
        attribution.update(range(cue.left_edge.i, cue.right_edge.i + 1))
    else:
        attribution.update(t.i for t in children if t.dep_ in ("aux", "auxpass", "neg", "prt", "advmod", "npadvmod"))
        for c in children:
            if c.dep_ == "prep" and c.i > cue.i and c.lower_ not in CONTENT_PREPS:
                attribution.update(range(c.left_edge.i, c.right_edge.i + 1))
    rest = [t for t in tokens[s_start:s_end] if t.i not in attribution and not t.is_space]
    while rest and (rest[0].text in EDGE_PUNCT or rest[0].is_space):
        rest = rest[1:]
    while rest and rest[-1].text in (",", ";", ":", "—", "–"):
        rest = rest[:-1]
    if rest and len(rest) >= 2:
        _variants(rest, "rest", cue.i, out, seen)
    # Quotes: the nearest ones before and after the cue within its paragraph or the next one.
    cue_at = cue.idx
    near = [q for q in quotes if abs((q[0] if q[0] > cue_at else q[1]) - cue_at) < 600]
    before = [q for q in near if q[1] <= cue_at]
    after = [q for q in near if q[0] >= cue_at]
    inside = [q for q in near if q[0] < cue_at < q[1]]
    runs: list[tuple[tuple[int, int], str]] = []
    if before:
        runs.append((before[-1], "quote_before"))
    if after:
        runs.append((after[0], "quote_after"))
    if inside:
        runs.append((inside[0], "quote_around"))
    if before and after:
        runs.append(((before[-1][0], after[0][1]), "quote_split"))
    if after and len(after) > 1:
        run_end = after[0][1]
        for q in after[1:]:
            gap = doc_index(doc).text[run_end : q[0]]
            if gap.strip() and gap.strip() not in ("", ",") and "\n\n" not in gap and len(gap.strip()) > 3:
                break
            run_end = q[1]
        if run_end != after[0][1]:
            runs.append(((after[0][0], run_end), "quote_run"))
    for (start, end), origin in runs:
        start, end = trimmed(doc_index(doc).text, start, end)
        if (start, end) in seen or end <= start:
            continue
        seen.add((start, end))
        out.append(Candidate(start, end, origin, cue.i))
        # The same quote without a closing comma or period outside its marks is the quote itself;
        # PolNeAR keeps the comma that sits inside the marks, which the span above already has.
    return out
