"""One article in, one JSON-ready analysis out: entities, quotes, stances, country counts.

`analyze_articles` parses every title and body of a batch in one `nlp.pipe` call (spaCy's
batching is where the throughput is), then runs the pure extractors on each parsed article.
"""

from __future__ import annotations

import hashlib
from typing import Any, Sequence

from spacy.language import Language
from spacy.tokens import Doc

from .countries import count_countries, find_country_mentions
from .entities import extract_entities
from .pipeline import EXTRACTOR_VERSION, prepare_pipeline
from .quotes import extract_indirect_quotes, extract_quotes, find_quoted_spans
from .reference import link_references
from .stances import extract_stances
from .text import Ranges, boilerplate_ranges, doc_index


def article_id_for(text: str, title: str | None = None) -> str:
    """Deterministic id for an article that came without one: sha256 of title and text, 16 hex chars."""
    payload = f"{title or ''}\n{text}".encode("utf-8")
    return hashlib.sha256(payload).hexdigest()[:16]


def _normalise(article: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(article, str):
        return {"text": article}
    if not isinstance(article, dict) or not isinstance(article.get("text"), str):
        raise ValueError("an article is a str or a dict with a str 'text'")
    title = article.get("title")
    if title is not None and not isinstance(title, str):
        raise ValueError("'title' must be a string or null")
    return article


def analyze_articles(articles: Sequence[dict[str, Any] | str], nlp: Language,
                     batch_size: int = 16) -> list[dict[str, Any]]:
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
    docs = iter(nlp.pipe(texts, batch_size=batch_size))
    results = []
    for a in normalised:
        title_doc = next(docs) if a.get("title") else None
        body_doc = next(docs)
        article_id = a.get("id") or article_id_for(a["text"], a.get("title"))
        results.append(analyze_doc(body_doc, title_doc, article_id=str(article_id)))
    return results


def analyze_article(article: dict[str, Any] | str, nlp: Language) -> dict[str, Any]:
    """Convenience for one article; same result as `analyze_articles([article], nlp)[0]`."""
    return analyze_articles([article], nlp)[0]


def analyze_doc(body: Doc, title: Doc | None = None, article_id: str | None = None) -> dict[str, Any]:
    """The extraction over already parsed fields. Offsets index the body unless field == "title"."""
    body_text = doc_index(body).text
    body_skip = boilerplate_ranges(body_text)
    fields: list[tuple[Doc, str, Ranges]] = []
    if title is not None:
        fields.append((title, "title", Ranges()))
    fields.append((body, "text", body_skip))

    places = find_country_mentions(fields)
    entities = extract_entities(fields, places)
    quoted_text = Ranges([(q.open_at, q.end + 1) for q in find_quoted_spans(body_text, body_skip)])
    link_references(body, entities, quoted_text, body_skip)
    direct = extract_quotes(body, entities, body_skip)
    indirect = extract_indirect_quotes(body, entities, body_skip, direct)
    quoted = Ranges([(q.start - 1, q.end + 1) for q in direct])
    stances = extract_stances(body, entities, body_skip, quoted)
    counts, by_country = count_countries(places)

    quotes = sorted(direct + indirect, key=lambda q: (q.start, q.end, q.kind))
    return {
        "article_id": article_id or article_id_for(body_text, title.text if title is not None else None),
        "extractor_version": EXTRACTOR_VERSION,
        # Built last: quote and stance resolution may add a country entity ("Moscow said" -> Russia).
        "entities": entities.as_dicts(),
        "quotes": [q.as_dict() for q in quotes],
        "stances": [s.as_dict() for s in sorted(stances, key=lambda s: (s.start, s.actor.id, s.target.id))],
        "countries": counts,
        "country_mentions": by_country,
    }
