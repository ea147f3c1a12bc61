"""`newswire_morphology`: the model's attribute_ruler and rule lemmatizer, memoised per word.

The two components set POS, morphology and lemma token by token in Python (a Matcher match,
a Span and an attribute write per token for the ruler; a token walk for the lemmatizer): about
a sixth of en_core_web_sm's time. Yet what they give a token depends only on its form, its tag
and its dependency label, apart from the ruler's few multi-token patterns ("gon na", "there
is"). So this component looks each (form, tag, dependency) up in a table, filled on first sight
by running the real ruler and lemmatizer on a one-token scratch Doc, and writes the whole Doc
with one `Doc.from_array`. Tokens a multi-token pattern matches are done one by one with the
ruler's own rules, in the ruler's order. The result is the same annotation, checked token for
token against the two components (tests/nlp/test_nlp.py).

The table outlives spaCy's memory zones (`analyze_articles` runs each batch in one): a word's
strings are dropped from the StringStore when its zone ends, so an entry keeps its lemma as text
and puts it back in the store when a later Doc uses the entry (the form is the Doc's own, the tag,
dependency and morphology strings are permanent). The lemmatizer's own per-word cache is emptied
at the end of each zone: with the table in front of it, it only serves the table's misses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy
from spacy.attrs import DEP, LEMMA, MORPH, ORTH, POS, TAG
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc
from spacy.tokens._retokenize import set_token_attrs

MORPHOLOGY_COMPONENT = "newswire_morphology"
_OUT = [TAG, POS, MORPH, LEMMA, DEP]
# (form, tag, dep) keys, in two generations: when the newer holds _GENERATION keys it becomes the
# older and a new one starts; a key found in the older is carried over, so the words in use stay and
# the rest go. At most 2 x 20,000 entries, ~14 MiB, full within the first few hundred articles: a
# bound of 200,000 (~100 MiB, cleared when full) took hours to fill and was most of a soak's RSS
# growth. Measured on 1,000 BBC articles (441,000 tokens, 59,000 distinct keys): 16 % of tokens miss
# against 13 % for an unbounded table, ~0.8 ms more an article at ~60 us a miss.
_GENERATION = 20_000
#: an entry: (tag, pos, morph, lemma, dep) ids, the ruler patterns that matched, and the lemma's text
#: when it is not the form itself (None then: the Doc holds the form's string)
_Entry = tuple[tuple[int, ...], tuple[int, ...], str | None]


class Morphology:
    """Stands in for `attribute_ruler` followed by `lemmatizer` (rule mode), which stay in the
    pipeline, disabled, as the source of the rules."""

    def __init__(self, ruler, lemmatizer) -> None:
        self.ruler = ruler
        self.lemmatizer = lemmatizer
        self.vocab = ruler.vocab
        self._cache: dict[tuple[int, int, int], _Entry] = {}  # the newer generation
        self._older: dict[tuple[int, int, int], _Entry] = {}
        self._multi = Matcher(self.vocab)
        for key in range(len(ruler.attrs)):
            found = ruler.matcher.get(str(key))
            if found is None:
                continue
            patterns = [p for p in found[1] if len(p) > 1]
            if patterns:
                self._multi.add(str(key), patterns)

    def _entry(self, orth: int, tag: int, dep: int) -> _Entry:
        """(tag, pos, morph, lemma, dep) the ruler and lemmatizer give a lone token, the ids of the
        ruler's patterns that matched it, and the lemma's text unless it is the form."""
        scratch = Doc(self.vocab, words=[self.vocab.strings[orth]], spaces=[False])
        token = scratch[0]
        token.tag = tag
        if dep:
            token.dep = dep
        matches = self.ruler.match(scratch)
        self.ruler.set_annotations(scratch, matches)
        if token.lemma == 0:
            token.lemma_ = self.lemmatizer.lemmatize(token)[0]
        lemma = token.lemma_ if token.lemma != orth else None
        return (token.tag, token.pos, token.morph.key, token.lemma, token.dep), tuple(m[0] for m in matches), lemma

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if n == 0:
            return doc
        if len(self._cache) >= _GENERATION:
            self._older, self._cache = self._cache, {}
        keys = doc.to_array([ORTH, TAG, DEP])
        cache, older = self._cache, self._older
        intern = self.vocab.strings.add
        entries = []
        for orth, tag, dep in keys.tolist():
            key = (orth, tag, dep)
            entry = cache.get(key)
            if entry is None:
                entry = cache[key] = older.get(key) or self._entry(orth, tag, dep)
            if entry[2] is not None:
                intern(entry[2])  # a no-op unless a memory zone ended since the entry was made
            entries.append(entry)
        values = numpy.array([e[0] for e in entries], dtype="uint64")
        multi = self._multi(doc, allow_missing=True) if len(self._multi) else []
        by_token: dict[int, list[int]] = {}
        for match_id, start, end in multi:
            attr_id = int(self.vocab.strings[match_id])
            i = start + self.ruler.indices[attr_id]
            if start <= i < end:
                by_token.setdefault(i, []).append(attr_id)
        for i in by_token:  # left as the tagger and parser gave them; done one by one below
            values[i] = (keys[i, 1], 0, 0, 0, keys[i, 2])
        doc.from_array(_OUT, values)
        for i, extra in by_token.items():
            token = doc[i]
            for attr_id in sorted(set(entries[i][1]) | set(extra)):
                set_token_attrs(token, self.ruler.attrs[attr_id])
            if token.lemma == 0:
                token.lemma_ = self.lemmatizer.lemmatize(token)[0]
        return doc

    @contextmanager
    def memory_zone(self, mem=None) -> Iterator[None]:
        """Called by `Language.memory_zone`: the table stays valid (see the module's docstring); the
        lemmatizer's cache, which would grow with every new word, is emptied."""
        try:
            yield
        finally:
            self.lemmatizer.cache.clear()

    def pipe(self, docs, batch_size: int = 128):
        for doc in docs:
            yield self(doc)


@Language.factory(MORPHOLOGY_COMPONENT, default_config={"ruler": "attribute_ruler", "lemmatizer": "lemmatizer"})
def make_morphology(nlp: Language, name: str, ruler: str, lemmatizer: str) -> Morphology:
    return Morphology(nlp.get_pipe(ruler), nlp.get_pipe(lemmatizer))
