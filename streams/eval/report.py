"""`newswire eval`: run our extraction and the baseline over gold files, and print the figures.

Each article is parsed once (`nlp.pipe` over titles and bodies, the same pipeline the worker
uses); our extractors (`streams.nlp.analyze_doc`) and the baseline's (`baseline.py`) both read
that parse, so the comparison is of the extraction rules, not of two parses.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language

from streams.nlp import EXTRACTOR_VERSION, analyze_doc
from streams.nlp.analyze import ArticleMeta
from streams.nlp.country_names import load_gazetteer
from streams.nlp.pipeline import prepare_pipeline

from . import baseline as baseline_module
from .gold import Corpus, GoldArticle, load_gold
from .matching import Errors
from .scoring import Scores, score_article

OURS, BASELINE = "ours", "baseline"
BASELINE_NAME = "spaCy + textacy direct_quotations + country_converter"


@dataclass
class FileResult:
    path: str
    formats: list[str]
    systems: dict[str, Scores]
    seconds: dict[str, float] = field(default_factory=dict)  # parse, ours (extraction), baseline (extraction)
    outlets: dict[str, Scores] = field(default_factory=dict)  # ours, per outlet (guideline gold with sources)
    errors: Errors | None = None  # ours


def evaluate_articles(
    articles: Sequence[GoldArticle],
    nlp: Language,
    with_baseline: bool = True,
    batch_size: int = 16,
    errors: dict[str, Errors] | None = None,
    outlets: dict[str, Scores] | None = None,
) -> tuple[dict[str, Scores], dict]:
    """Scores of our extraction (and the baseline's) on parsed gold articles, plus timings; our
    scores per outlet go into `outlets` when given."""
    prepare_pipeline(nlp)
    load_gazetteer()  # one-off set-up costs stay out of the timings
    if with_baseline:
        baseline_module.warm_up()
    texts: list[str] = []
    for a in articles:
        if a.title:
            texts.append(a.title)
        texts.append(a.text)
    started = time.perf_counter()
    docs = iter(list(nlp.pipe(texts, batch_size=batch_size)))
    seconds = {"parse": time.perf_counter() - started, OURS: 0.0}
    systems = {OURS: Scores()}
    if with_baseline:
        systems[BASELINE] = Scores()
        seconds[BASELINE] = 0.0
    for a in articles:
        title = next(docs) if a.title else None
        body = next(docs)
        started = time.perf_counter()
        ours = analyze_doc(
            body,
            title,
            article_id=a.id,
            meta=ArticleMeta.of(a.as_input()),
            with_attributions=a.attributions is not None,
        )
        seconds[OURS] += time.perf_counter() - started
        scored = score_article(a, ours, errors.get(OURS) if errors else None)
        systems[OURS].add(scored)
        if outlets is not None and a.format == "guideline" and a.source:
            outlets.setdefault(a.source, Scores()).add(scored)
        if with_baseline:
            started = time.perf_counter()
            theirs = baseline_module.analyze_baseline(body, title)
            seconds[BASELINE] += time.perf_counter() - started
            systems[BASELINE].add(score_article(a, theirs, errors.get(BASELINE) if errors else None))
    return systems, seconds


def run_eval(
    paths: Sequence[Path | str],
    nlp: Language,
    corpus: Path | str | None = None,
    with_baseline: bool = True,
    batch_size: int = 16,
    limit: int | None = None,
    errors: dict[str, Errors] | None = None,
    show_errors: bool = True,
) -> dict[str, Any]:
    """Evaluate every gold file; the report as a JSON-ready dict (per file and, for several, overall).

    Each file's block has our figures per outlet, and (unless `show_errors` is false: a held-out
    set is scored without looking at its errors) our wrong speakers and missed stances.
    """
    if with_baseline:
        baseline_module._require()
    shared_corpus = Corpus(corpus)
    results: list[FileResult] = []
    for path in paths:
        articles = load_gold(path, shared_corpus, limit=limit)
        file_errors = {name: Errors() for name in (OURS, BASELINE)}
        outlets: dict[str, Scores] = {}
        systems, seconds = evaluate_articles(articles, nlp, with_baseline, batch_size, file_errors, outlets)
        if errors is not None:
            for name, found in file_errors.items():
                errors.setdefault(name, Errors()).items.extend(found.items)
        results.append(
            FileResult(
                str(path),
                sorted({a.format for a in articles}),
                systems,
                seconds,
                outlets,
                file_errors[OURS] if show_errors else None,
            )
        )
    files = [_file_dict(r) for r in results]
    report: dict[str, Any] = {
        "extractor_version": EXTRACTOR_VERSION,
        "baseline": BASELINE_NAME if with_baseline else None,
        "files": files,
    }
    if len(results) > 1:
        total: dict[str, Scores] = {}
        seconds: dict[str, float] = {}
        for r in results:
            for name, scores in r.systems.items():
                total.setdefault(name, Scores()).add(scores)
            for k, v in r.seconds.items():
                seconds[k] = seconds.get(k, 0.0) + v
        report["all"] = _file_dict(
            FileResult("all files", sorted({f for r in results for f in r.formats}), total, seconds)
        )
    return report


def _file_dict(r: FileResult) -> dict[str, Any]:
    n = r.systems[OURS].articles
    out = {
        "path": r.path,
        "formats": r.formats,
        "articles": n,
        "systems": {name: s.as_dict() for name, s in r.systems.items()},
        "seconds": {k: round(v, 3) for k, v in r.seconds.items()},
    }
    parse = r.seconds.get("parse", 0.0)
    out["articles_per_second"] = {
        name: round(n / (parse + r.seconds[name]), 2) if parse + r.seconds[name] > 0 else None for name in r.systems
    }
    if len(r.outlets) > 1:
        out["outlets"] = {name: scores.as_dict() for name, scores in sorted(r.outlets.items())}
    if r.errors is not None:
        out["wrong_speakers"] = [e for e in r.errors.items if e.get("error") == "wrong speaker"]
        out["missed_stances"] = [e for e in r.errors.items if e.get("what") == "stance" and e.get("error") == "missed"]
    return out


# --- text ------------------------------------------------------------------------------------


def _f(x: float | None, pct: bool = False) -> str:
    if x is None:
        return "n.a."
    return f"{100 * x:.1f}%" if pct else f"{x:.3f}"


def _prf(d: dict | None) -> tuple[str, str, str, str]:
    if d is None:
        return ("", "n.a.", "n.a.", "n.a.")
    return (f"{d['gold']}", _f(d["precision"]), _f(d["recall"]), _f(d["f1"]))


ROWS = [
    ("quotes (text)", "quotes", "prf"),
    ("quotes + right speaker", "quotes_speaker", "prf"),
    ("speaker accuracy (matched)", "speaker_accuracy", "acc"),
    ("quote kind accuracy", "kind_accuracy", "acc"),
    ("indirect quotes (text)", "indirect", "prf"),
    ("indirect + right speaker", "indirect_speaker", "prf"),
    ("stances (actor,target,pol)", "stances", "prf"),
    ("country presence", "country_presence", "prf"),
    ("country count error", "country_counts", "err"),
    ("attributions: source (exact)", "attribution_source", "prf"),
    ("attributions: cue (exact)", "attribution_cue", "prf"),
    ("attributions: content (exact)", "attribution_content", "prf"),
    ("quote confidence ECE", "quote_confidence", "ece"),
    ("stance confidence ECE", "stance_confidence", "ece"),
]


def _cells(d: dict | None, kind: str) -> list[str]:
    if kind == "prf":
        return list(_prf(d))
    if kind == "ece":
        if d is None or not d["n"]:
            return ["", "n.a.", "", ""]
        return [f"{d['n']}", _f(d["ece"]), f"conf {d['mean_confidence']:.2f} right {d['share_right']:.2f}", ""]
    if kind == "acc":
        if d is None or not d["total"]:
            return ["", "n.a.", "", ""]
        return [f"{d['total']}", _f(d["accuracy"]), f"{d['correct']}/{d['total']}", ""]
    if d is None:
        return ["", "n.a.", "", ""]
    return [f"{d['gold_total']}", _f(d["error"], pct=True), f"{d['predicted_total']} vs {d['gold_total']}", ""]


def format_block(block: dict[str, Any]) -> str:
    systems = block["systems"]
    names = list(systems)
    head = f"{'':30}{'gold':>6}  " + "  ".join(f"{n:^26}" for n in names)
    sub = f"{'':30}{'':>6}  " + "  ".join(f"{'P/acc':>8}{'R':>9}{'F1':>9}" for _ in names)
    lines = [f"== {block['path']} — {block['articles']} articles ({', '.join(block['formats'])})", head, sub]
    for label, key, kind in ROWS:
        if all(
            systems[n][key] is None
            or (kind == "acc" and not systems[n][key]["total"])
            or (kind == "ece" and not systems[n][key]["n"])
            for n in names
        ):
            continue  # not annotated in this gold (countries and stances in PolNeAR, kinds)
        row = f"{label:30}"
        cells = [_cells(systems[n][key], kind) for n in names]
        gold = next((c[0] for c in cells if c[0]), "")
        row += f"{gold:>6}  "
        parts = []
        for c in cells:
            if kind == "prf":
                parts.append(f"{c[1]:>8}{c[2]:>9}{c[3]:>9}")
            else:
                parts.append(f"{c[1]:>8}  {c[2]:<16}")
        lines.append(row + "  ".join(parts))
    rates = block["articles_per_second"]
    lines.append(
        f"{'articles/s (shared parse + own)':30}{'':>6}  "
        + "  ".join(f"{(str(rates[n]) if rates[n] is not None else 'n.a.'):>8}{'':18}" for n in names)
    )
    if block.get("outlets"):
        lines.append("")
        lines.append(
            "per outlet (ours)             arts  quotes+speaker P/R  indirect+speaker P/R  stances P/R    country error"
        )
        for outlet, d in block["outlets"].items():

            def pr(key: str, d: dict = d) -> str:
                v = d.get(key)
                if v is None or not (v["gold"] or v["predicted"]):
                    return f"{'-':>9}"
                return f"{_f(v['precision'])[:5]:>5}/{_f(v['recall'])[:5]:<5}"

            err = d.get("country_counts")
            lines.append(
                f"  {outlet[:28]:28}{d['articles']:>4}  {pr('quotes_speaker'):>18}  "
                f"{pr('indirect_speaker'):>20}  {pr('stances'):>12}  "
                f"{_f(err['error'], pct=True) if err and err['gold_total'] else 'n.a.':>10}"
            )
    if block.get("wrong_speakers"):
        lines.append("")
        lines.append(f"wrong speakers (ours, {len(block['wrong_speakers'])}): gold -> ours | text")
        for e in block["wrong_speakers"]:
            lines.append(
                f"  {e['article']}: {e.get('gold_speaker')} -> {e.get('speaker')} | {e.get('text', '')[:70]!r}"
            )
    if block.get("missed_stances"):
        lines.append("")
        lines.append(f"missed stances (ours, {len(block['missed_stances'])}): actor polarity target | evidence")
        for e in block["missed_stances"]:
            lines.append(
                f"  {e['article']}: {e['actor']} {e['polarity']} {e['target']} | {e.get('evidence', '')[:80]!r}"
            )
    return "\n".join(lines)


def format_report(report: dict[str, Any]) -> str:
    lines = [
        f"newswire eval — extractor {report['extractor_version']}; columns: ours"
        + (f" | baseline ({report['baseline']})" if report.get("baseline") else "")
    ]
    for block in report["files"]:
        lines.append("")
        lines.append(format_block(block))
    if "all" in report:
        lines.append("")
        lines.append(format_block(report["all"]))
    lines.append("")
    lines.append(json.dumps(_summary(report), ensure_ascii=False, sort_keys=True))
    return "\n".join(lines)


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    """The machine-readable last line: the whole report."""
    return {"newswire_eval": report}
