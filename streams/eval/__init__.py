"""Evaluation against annotated news: gold files (gold.py), matching and scores (matching.py,
scoring.py), the off-the-shelf baseline (baseline.py), and the `newswire eval` report (report.py)."""

from .gold import DEFAULT_CORPUS, Corpus, GoldArticle, GoldError, load_gold
from .report import format_report, run_eval

__all__ = ["DEFAULT_CORPUS", "Corpus", "GoldArticle", "GoldError", "format_report", "load_gold", "run_eval"]
