"""The NLP layer: pure functions from article text to entities, quotes, stances and country counts.

No Kafka, no asyncio: the Faust agents call `analyze_articles` on a batch; tests and benchmarks
call it directly. Load the model once with `load_pipeline(settings.model)`.
"""

from .analyze import analyze_article, analyze_articles, analyze_doc, article_id_for
from .pipeline import DEFAULT_MODEL, EXTRACTOR_VERSION, ModelNotInstalled, load_pipeline

__all__ = [
    "DEFAULT_MODEL",
    "EXTRACTOR_VERSION",
    "ModelNotInstalled",
    "analyze_article",
    "analyze_articles",
    "analyze_doc",
    "article_id_for",
    "load_pipeline",
]
