"""Rebuild the stance verifier (`stance-verifier.json.gz`) from gold files, reproducibly.

    .venv/bin/python -m streams.nlp.stances.train GOLD.jsonl... [--seed 883] [--out PATH]

e.g. `python -m streams.nlp.stances.train eval/fundus-dev.jsonl ../shared/eval/seed-gold.jsonl` (the dev
half of the multi-outlet set and the seed, as the shipped file).

1. Every gold article is parsed and analysed as the worker does (`analyze_doc`), with the stance
   step handing over its candidates (extract.COLLECTOR) instead of scoring them.
2. A candidate is right when the article's gold has a stance with its polarity whose actor and
   target are the same actors (`streams.eval.matching.same_actor`, as `newswire eval` scores).
3. Out-of-fold scores: articles are split into `FOLDS` folds (seeded); each fold is scored by a
   LightGBM model trained on the others. An isotonic map (sklearn) from those scores to the
   labels is the calibration; its expected calibration error is measured out of fold too (each
   fold calibrated by the map fitted on the other folds' scores).
4. The threshold is the confidence with the best out-of-fold F1 (per article, on (actor, target,
   polarity), as `newswire eval` counts), at least `MIN_THRESHOLD`.
5. The final model is trained on all candidates; with the calibration it is written with its
   figures (`meta`). Same data and seed, same file.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy

from .extract import COLLECTOR
from .verifier import CATEGORICAL, FEATURES, VERIFIER_PATH, Isotonic, Verifier, expected_calibration_error, feature_rows

SEED = 883
FOLDS = 5
MIN_THRESHOLD = 0.2
# Small on purpose: a few hundred candidates at most. On the dev gold of this build (89 candidates)
# larger trees scored worse than the base rate out of fold (their calibration error 0.08-0.17).
PARAMS = dict(
    objective="binary",
    learning_rate=0.05,
    num_leaves=2,
    min_data_in_leaf=10,
    feature_fraction=0.8,
    bagging_fraction=0.8,
    bagging_freq=1,
    lambda_l2=5.0,
    min_data_per_group=5,
    cat_smooth=10.0,
    verbose=-1,
    num_threads=1,
    deterministic=True,
    force_row_wise=True,
)
ROUNDS = 40


def collect(paths: Sequence[Path], nlp, corpus: Path | None = None, log=print) -> list[dict[str, Any]]:
    """Per gold article: its id, its candidates' feature rows, their labels and keys."""
    from ...eval.gold import Corpus, load_gold
    from ...eval.matching import same_actor
    from ..analyze import ArticleMeta, analyze_doc

    shared = Corpus(corpus)
    articles = []
    for path in paths:
        gold = [a for a in load_gold(path, shared) if a.stances is not None]
        log(f"  {path}: {len(gold)} articles, {sum(len(a.stances) for a in gold)} stances")
        texts = []
        for a in gold:
            if a.title:
                texts.append(a.title)
            texts.append(a.text)
        docs = iter(nlp.pipe(texts, batch_size=16))
        for a in gold:
            title = next(docs) if a.title else None
            body = next(docs)
            found: list = []
            token = COLLECTOR.set(found)
            try:
                analyze_doc(body, title, article_id=a.id, meta=ArticleMeta.of(a.as_input()))
            finally:
                COLLECTOR.reset(token)
            rows, labels, keys = [], [], []
            for doc, entities, candidates in found:
                rows += feature_rows(candidates, doc, entities)
                for c in candidates:
                    right = any(
                        g.polarity == c.cue.polarity
                        and same_actor(g.actor, c.actor.canonical)
                        and same_actor(g.target, c.target.canonical)
                        for g in a.stances
                    )
                    labels.append(int(right))
                    keys.append((c.actor.canonical, c.target.canonical, c.cue.polarity))
            articles.append(
                {
                    "id": a.id,
                    "file": path.name,
                    "rows": rows,
                    "labels": labels,
                    "keys": keys,
                    "gold": [(g.actor, g.target, g.polarity) for g in a.stances],
                }
            )
    return articles


def _train(rows, labels, seed: int):
    import lightgbm

    data = lightgbm.Dataset(
        numpy.asarray(rows, dtype=numpy.float64),
        label=numpy.asarray(labels),
        feature_name=FEATURES,
        categorical_feature=CATEGORICAL,
        free_raw_data=False,
    )
    return lightgbm.train(dict(PARAMS, seed=seed), data, num_boost_round=ROUNDS)


def _isotonic(scores, labels) -> Isotonic:
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True)
    iso.fit(numpy.asarray(scores, dtype=float), numpy.asarray(labels, dtype=float))
    return Isotonic([float(x) for x in iso.X_thresholds_], [float(y) for y in iso.y_thresholds_])


def _article_prf(articles, confidences, threshold: float) -> tuple[float, float, int, int, int]:
    """Precision and recall as `newswire eval` counts them, keeping candidates >= threshold."""
    from ...eval.matching import pair_up, same_actor

    tp = fp = fn = 0
    k = 0
    for a in articles:
        predicted = []
        for key in a["keys"]:
            if confidences[k] >= threshold and key not in predicted:
                predicted.append(key)
            k += 1
        matches = a.get("_matches")
        if matches is None:  # which gold stance each distinct key matches: names compared once
            matches = a["_matches"] = {
                key: [
                    float(g[2] == key[2] and same_actor(g[0], key[0]) and same_actor(g[1], key[1])) for g in a["gold"]
                ]
                for key in set(a["keys"])
            }
        pairs = pair_up(range(len(a["gold"])), predicted, lambda i, p, matches=matches: matches[p][i])
        tp += len(pairs)
        fp += len(predicted) - len(pairs)
        fn += len(a["gold"]) - len(pairs)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, tp, fp, fn


def rebuild(
    paths: Sequence[Path], nlp, out: Path = VERIFIER_PATH, seed: int = SEED, corpus: Path | None = None, log=print
) -> dict[str, Any]:
    log(f"stance verifier: candidates from {len(paths)} gold files")
    articles = collect(paths, nlp, corpus, log)
    rows = [r for a in articles for r in a["rows"]]
    labels = [y for a in articles for y in a["labels"]]
    log(f"  {len(articles)} articles, {len(rows)} candidates, {sum(labels)} right")
    order = list(range(len(articles)))
    random.Random(seed).shuffle(order)
    fold_of = {a: i % FOLDS for i, a in enumerate(order)}
    starts = numpy.cumsum([0] + [len(a["rows"]) for a in articles])
    row_fold = numpy.zeros(len(rows), dtype=int)
    for i in range(len(articles)):
        row_fold[starts[i] : starts[i + 1]] = fold_of[i]
    X, y = numpy.asarray(rows, dtype=numpy.float64), numpy.asarray(labels)
    oof = numpy.zeros(len(rows))
    for f in range(FOLDS):
        train, test = row_fold != f, row_fold == f
        if test.any() and y[train].sum() > 0:
            oof[test] = _train(X[train], y[train], seed).predict(X[test], num_threads=1)
    calibration = _isotonic(oof, y)
    # The calibration's own error, out of fold: each fold mapped by the isotonic fit on the others.
    honest = numpy.zeros(len(rows))
    for f in range(FOLDS):
        test = row_fold == f
        honest[test] = _isotonic(oof[~test], y[~test])(oof[test])
    ece = expected_calibration_error(honest, y)
    from sklearn.metrics import brier_score_loss, roc_auc_score

    auc = float(roc_auc_score(y, oof)) if 0 < y.sum() < len(y) else float("nan")
    brier, brier_base = float(brier_score_loss(y, honest)), float(brier_score_loss(y, numpy.full(len(y), y.mean())))
    ece_fitted = expected_calibration_error(calibration(oof), y)
    candidates = sorted({round(float(c), 4) for c in honest} | {0.0})
    if len(candidates) > 500:  # thousands of candidates: their percentiles find the best F1 as well, cheaply
        candidates = sorted({round(float(c), 4) for c in numpy.quantile(honest, numpy.linspace(0, 1, 501))} | {0.0})
    best = None
    for t in candidates:
        p, r, tp, fp, fn = _article_prf(articles, honest, t)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if best is None or f1 > best[4] + 1e-9:
            best = ("f1", t, p, r, f1)
    rule, threshold, p, r, f1 = best
    threshold = max(threshold, MIN_THRESHOLD)
    p, r, *_ = _article_prf(articles, honest, threshold)
    p_all, r_all, *_ = _article_prf(articles, honest, 0.0)
    log(
        f"  out of fold: AUC {auc:.3f}, Brier {brier:.3f} (base rate {brier_base:.3f}), ECE {ece:.3f} "
        f"(calibration fitted on all folds: {ece_fitted:.3f}); "
        f"threshold {threshold:.3f} ({rule}): P {p:.3f} R {r:.3f}; every candidate: P {p_all:.3f} R {r_all:.3f}"
    )
    per_file = {}
    for name in dict.fromkeys(a["file"] for a in articles):  # out of fold, per gold file
        mine = [i for i, a in enumerate(articles) if a["file"] == name]
        scores = numpy.concatenate([honest[starts[i] : starts[i + 1]] for i in mine])
        fp_, fr_, *_ = _article_prf([articles[i] for i in mine], scores, threshold)
        per_file[name] = [round(fp_, 4), round(fr_, 4)]
        log(f"    {name}: P {fp_:.3f} R {fr_:.3f}")
    model = _train(X, y, seed)
    importance = dict(zip(FEATURES, (int(v) for v in model.feature_importance("split")), strict=False))
    meta = {
        "trained_on": [Path(p_).name for p_ in paths],
        "articles": len(articles),
        "candidates": len(rows),
        "right": int(sum(labels)),
        "seed": seed,
        "folds": FOLDS,
        "rounds": ROUNDS,
        "oof_ece": round(ece, 4),
        "oof_ece_fitted": round(ece_fitted, 4),
        "oof_auc": round(auc, 4),
        "oof_brier": round(brier, 4),
        "base_rate_brier": round(brier_base, 4),
        "threshold_rule": rule,
        "oof_precision": round(p, 4),
        "oof_recall": round(r, 4),
        "oof_every_candidate": [round(p_all, 4), round(r_all, 4)],
        "oof_per_file": per_file,
        "split_importance": importance,
    }
    verifier = Verifier(model, calibration, float(threshold), meta)
    verifier.save(out)
    log(f"  -> {out}")
    return meta


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rebuild the stance verifier from gold files")
    parser.add_argument("gold", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=VERIFIER_PATH)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--corpus", type=Path, default=None, help="corpus of records without text (BBC gold)")
    args = parser.parse_args(argv)
    from ...settings import Settings
    from .. import load_pipeline

    rebuild(args.gold, load_pipeline(Settings().model), args.out, args.seed, args.corpus)


if __name__ == "__main__":
    main()
