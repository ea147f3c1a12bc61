"""One article in, one JSON-ready analysis out: entities, quotes, stances, country counts.

`analyze_articles` parses every title and body of a batch in one `nlp.pipe` call (spaCy's
batching is where the throughput is), then runs the pure extractors on each parsed article.

The batch runs in one spaCy memory zone (`Language.memory_zone`): the words, lexemes and strings
its texts bring are freed when it ends, so a long-running worker's vocabulary does not grow with
every new word it reads. Nothing of a Doc leaves the zone: the analyses are plain Python values.
Each Doc is freed as soon as its article is done (the indexes the extractors keep in its user_data
refer back to it: a cycle only a full garbage collection would break, rare in a process holding the
gazetteer's millions of objects), and after the batch the heap memory it freed goes back to the OS
(`pipeline.release_free_memory`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from streams.domain.ids import article_id_for

from .attribution.attribute import apply_choices, gather_evidence, learned_indirect
from .attribution.extract import Attribution, find_attributions
from .attribution.model import AttributionModel, load_model
from .attribution.speakers import Evidence, SpeakerContext, choose
from .countries import count_countries, find_country_mentions
from .entities import ArticleEntities, extract_entities
from .pipeline import EXTRACTOR_VERSION, prepare_pipeline, release_free_memory
from .quotes import Quote, extract_indirect_quotes, extract_quotes, find_quoted_spans
from .reference import link_references
from .stances import extract_stances
from .text import Ranges, boilerplate_ranges, doc_index


def _normalise(article: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(article, str):
        return {"text": article}
    if not isinstance(article, dict) or not isinstance(article.get("text"), str):
        raise ValueError("an article is a str or a dict with a str 'text'")
    title = article.get("title")
    if title is not None and not isinstance(title, str):
        raise ValueError("'title' must be a string or null")
    return article


def analyze_articles(
    articles: Sequence[dict[str, Any] | str], nlp: Language, batch_size: int = 16
) -> list[dict[str, Any]]:
    """Analyse a batch: one `nlp.pipe` over all titles and bodies, then the extractors per article.

    Each article is `{"id"?: str, "title"?: str | None, "text": str, ...}` (or a plain body string).
    Results come back in input order, one dict per article (see `analyze_doc` for the shape).
    A pipeline not made by `load_pipeline` gets its newline sentence-boundary rule added here.
    """
    prepare_pipeline(nlp)
    normalised = [_normalise(a) for a in articles]
    texts: list[str] = []
    for a in normalised:
        if a.get("title"):
            texts.append(a["title"])
        texts.append(a["text"])
    results = []
    with memory_zone(nlp):
        docs = iter(nlp.pipe(texts, batch_size=batch_size))
        for a in normalised:
            title_doc = next(docs) if a.get("title") else None
            body_doc = next(docs)
            article_id = a.get("id") or article_id_for(a["text"], a.get("title"))
            results.append(analyze_doc(body_doc, title_doc, article_id=str(article_id), meta=ArticleMeta.of(a)))
            for doc in (title_doc, body_doc):
                if doc is not None:
                    doc.user_data.clear()  # its indexes point back at it: freed now, not at a full gc
    release_free_memory()
    return results


@contextmanager
def memory_zone(nlp: Language) -> Iterator[None]:
    """`nlp.memory_zone()`, unless the caller is in one already (zones do not nest)."""
    with nullcontext() if nlp.vocab.in_memory_zone else nlp.memory_zone():
        yield


def analyze_article(article: dict[str, Any] | str, nlp: Language) -> dict[str, Any]:
    """Convenience for one article; same result as `analyze_articles([article], nlp)[0]`."""
    return analyze_articles([article], nlp)[0]


@dataclass(frozen=True)
class ArticleMeta:
    """What an article says about itself besides its text: where it was published. The extraction
    reads places against it (a town in a Namibian paper is most likely Namibian)."""

    source: str | None = None
    url: str | None = None

    @classmethod
    def of(cls, article: dict[str, Any]) -> ArticleMeta:
        def text(key: str) -> str | None:
            value = article.get(key)
            return value if isinstance(value, str) and value.strip() else None

        return cls(source=text("source"), url=text("url"))


@dataclass
class Parsed:
    """One article's parsed fields and what every extractor shares: places, entities, quotes."""

    body: Doc
    title: Doc | None
    body_text: str
    body_skip: Ranges
    fields: list[tuple[Doc, str, Ranges]]
    places: list
    entities: ArticleEntities
    quote_spans: list[tuple[int, int]]  # quotation spans of the body, marks included
    quoted_text: Ranges


def prepare(body: Doc, title: Doc | None = None, meta: ArticleMeta | None = None) -> Parsed:
    """Places, entities and references, and the quotation marks of the body."""
    meta = meta or ArticleMeta()
    body_text = doc_index(body).text
    body_skip = boilerplate_ranges(body_text)
    fields: list[tuple[Doc, str, Ranges]] = []
    if title is not None:
        fields.append((title, "title", Ranges()))
    fields.append((body, "text", body_skip))
    places = find_country_mentions(fields, meta)
    entities = extract_entities(fields, places)
    spans = find_quoted_spans(body_text, body_skip)
    quoted_text = Ranges([(q.open_at, q.end + 1) for q in spans])
    link_references(body, entities, quoted_text, body_skip)
    quote_spans = [(q.open_at, q.end + 1 if q.closed else q.end) for q in spans]
    return Parsed(body, title, body_text, body_skip, fields, places, entities, quote_spans, quoted_text)


@dataclass
class QuoteFindings:
    """The quotes of an article before their speakers are chosen, and the evidence for each."""

    attributions: list[Attribution]
    direct: list[Quote]
    indirect: list[Quote]
    context: SpeakerContext
    evidence: list[Evidence]


def find_quotes(p: Parsed, model: AttributionModel) -> QuoteFindings:
    """Attributions, the rules' quotes and reported speech, the learned reported speech."""
    attributions = find_attributions(p.body, p.quote_spans, model)
    direct = extract_quotes(p.body, p.entities, p.body_skip)
    indirect = extract_indirect_quotes(p.body, p.entities, p.body_skip, direct)
    indirect += learned_indirect(p.body, attributions, p.quoted_text, p.body_skip, indirect, direct)
    for q in direct + indirect:
        q.rule_speaker = q.speaker
    context = SpeakerContext.build(p.body, p.entities, p.quoted_text, attributions)
    return QuoteFindings(attributions, direct, indirect, context, gather_evidence(context, direct, indirect))


def analyze_doc(
    body: Doc,
    title: Doc | None = None,
    article_id: str | None = None,
    meta: ArticleMeta | None = None,
    with_attributions: bool = False,
) -> dict[str, Any]:
    """The extraction over already parsed fields. Offsets index the body unless field == "title".

    `with_attributions` adds every attribution the model found, of every kind (cue, source and
    content spans, as PolNeAR annotates them): `newswire eval` scores them; no event carries them.
    """
    p = prepare(body, title, meta)
    model = load_model()
    found = find_quotes(p, model)
    direct, indirect = apply_choices(found, choose(found.context, found.evidence, model), model)
    quoted = Ranges([(q.start - 1, q.end + 1) for q in direct])
    stances = extract_stances(body, p.entities, p.body_skip, quoted, direct + indirect)
    counts, by_country = count_countries(p.places)

    quotes = sorted(direct + indirect, key=lambda q: (q.start, q.end, q.kind))
    result = {
        "article_id": article_id or article_id_for(p.body_text, title.text if title is not None else None),
        "extractor_version": EXTRACTOR_VERSION,
        # Built last: quote and stance resolution may add a country entity ("Moscow said" -> Russia).
        "entities": p.entities.as_dicts(),
        "quotes": [q.as_dict() for q in quotes],
        "stances": [s.as_dict() for s in sorted(stances, key=lambda s: (s.start, s.actor.id, s.target.id))],
        "countries": counts,
        "country_mentions": by_country,
    }
    if with_attributions:
        result["attributions"] = [
            {
                "cue": list(a.cue),
                "source": list(a.source) if a.source else None,
                "content": list(a.content) if a.content else None,
                "confidence": round(a.cue_confidence, 3),
            }
            for a in found.attributions
        ]
    return result
