"""Training the speaker model (speakers.py) and its calibration.

Labelled quotes come from two kinds of data:

* PolNeAR's training articles: a quote (or reported speech) our extraction finds is labelled by the
  gold attribution holding it: the candidate named inside its source phrase is right; a source
  with no name in it ("he", "officials") leaves the quote unlabelled; no source, "nobody".
  Their attributions come from an attribution model trained on the *other* half of the articles,
  so the speaker model learns how far to trust attributions it has not seen.
* Gold files by the guideline (our dev half of the multi-outlet set, the BBC set, the seed): a
  quote is labelled by the gold quote it matches, and a candidate is right when its name is the
  gold speaker's (`streams.eval.matching.same_actor`, as `newswire eval` scores it).

The calibration maps the model's share of the scores to the rate at which that share was right,
on predictions for gold articles held out of the model that made them (5 folds).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy

from ...eval.matching import overlap_ratio, same_actor, spans_match
from ..analyze import ArticleMeta, find_quotes, prepare
from .speakers import (
    EXACT_METHODS,
    METHODS,
    SPEAKER_CATEGORICAL,
    SPEAKER_COLUMNS,
    candidates,
    count_rule_speakers,
    rows_for,
)
from .train import PARAMS, GoldAttribution

# Out of fold on the gold, 100 trees at rate 0.2 are as right as 350 at 0.1 (0.817 against 0.809
# on direct quotes) and a row costs 3 us instead of 8: an article has ~400 speaker rows.
SPEAKER_PARAMS = dict(PARAMS, learning_rate=0.2, num_leaves=15, min_data_in_leaf=10)
SPEAKER_ROUNDS = 100
GOLD_WEIGHT = 1.0  # a quote of our own gold counts this many PolNeAR quotes (3 and 10 measured no better)
FOLDS = 5
REPORTED_PRECISION = 0.80  # the reported-speech check's precision the threshold aims at (out of fold)


@dataclass
class LabelledArticle:
    """A parsed article and how to label the speaker candidates of the quotes found in it."""

    id: str
    body: Any  # Doc
    title: Any  # Doc | None
    meta: ArticleMeta
    source: str  # "polnear" or "gold"
    gold_quotes: list[tuple[int, int, str, str | None]] | None = None  # start, end, text, speaker
    gold_indirect: list[tuple[int, int, str, str | None]] | None = None
    attributions: list[GoldAttribution] | None = None  # PolNeAR
    calibrate: bool = False  # a multi-outlet gold article: the confidences are calibrated on these


@dataclass
class Group:
    article: int
    source: str
    rows: list[list[float]]
    labels: list[int] | None  # None: the gold does not say who spoke (or holds no such quote)
    names: list[str | None]  # candidate canonical names, None for "nobody"
    gold: str | None
    kind: str
    reported: tuple | None = None  # gold reported-speech candidates: (context, quote, evidence, is it gold)


def _guideline_label(quote, kind: str, article: LabelledArticle) -> tuple[bool, str | None]:
    gold = article.gold_indirect if kind == "indirect" else article.gold_quotes
    best, found = 0.0, None
    for start, end, text, speaker in gold or []:
        quality = spans_match(text, (start, end), quote.text, (quote.start, quote.end))
        if quality > best:
            best, found = quality, speaker
    return best > 0, found


def _polnear_source(quote, kind: str, article: LabelledArticle) -> tuple[bool, tuple[int, int] | None]:
    """The source span of the gold attribution holding the quote: (found, span or None)."""
    best, found = 0.0, None
    for g in article.attributions or []:
        if kind == "indirect":
            quality = overlap_ratio(g.content, (quote.start, quote.end))
        else:
            quality = 1.0 if g.content[0] <= quote.start - 1 and quote.end <= g.content[1] + 1 else 0.0
        if quality > best:
            best, found = quality, g
    if found is None or best < 0.5:
        return False, None
    return True, found.source


def article_groups(k: int, article: LabelledArticle, model) -> list[Group]:
    p = prepare(article.body, article.title, article.meta)
    found = find_quotes(p, model)
    quotes = found.direct + found.indirect
    count_rule_speakers(found.context, found.evidence)
    out = []
    for q, ev in zip(quotes, found.evidence, strict=False):
        kind = "indirect" if q.kind == "indirect" else "direct"
        cands = candidates(found.context, ev)
        rows = rows_for(found.context, ev, cands)
        names = [e.canonical for e in cands] + [None]
        labels: list[int] | None = None
        speaker = None
        if article.source == "gold":
            matched, speaker = _guideline_label(q, kind, article)
            if matched:
                labels = [int(same_actor(speaker, n)) if n is not None else int(speaker is None) for n in names]
            reported = (found.context, q, ev, matched) if kind == "indirect" else None
            if labels is None and reported is None:
                continue
            out.append(Group(k, article.source, rows, labels, names, speaker, kind, reported))
            continue
        matched, source = _polnear_source(q, kind, article)
        if not matched:
            continue
        if source is None:
            labels = [0] * len(cands) + [1]
        else:
            labels = []
            for e in cands:
                named = any(m.field == "text" and m.start < source[1] and source[0] < m.end for m in e.mentions)
                labels.append(int(named))
            if not any(labels):
                continue  # "he", "officials": who it is, the gold does not say
            labels.append(0)
            speaker = cands[labels.index(1)].canonical
        out.append(Group(k, article.source, rows, labels, names, speaker, kind))
    return out


def _dataset(groups: Sequence[Group]):
    X, y, w = [], [], []
    for g in groups:
        if g.labels is None:
            continue
        X.extend(g.rows)
        y.extend(g.labels)
        w.extend([GOLD_WEIGHT if g.source == "gold" else 1.0] * len(g.rows))
    return numpy.asarray(X, dtype=numpy.float64), numpy.asarray(y), numpy.asarray(w)


def fit(groups: Sequence[Group], seed: int, valid: Sequence[Group] | None = None):
    import lightgbm

    X, y, w = _dataset(groups)
    params = dict(SPEAKER_PARAMS, seed=seed, bagging_seed=seed, feature_fraction_seed=seed, data_random_seed=seed)
    data = lightgbm.Dataset(
        X, label=y, weight=w, feature_name=SPEAKER_COLUMNS, categorical_feature=SPEAKER_CATEGORICAL, free_raw_data=False
    )
    if valid:
        vX, vy, vw = _dataset(valid)
        vdata = lightgbm.Dataset(vX, label=vy, weight=vw, reference=data)
        booster = lightgbm.train(
            params,
            data,
            num_boost_round=SPEAKER_ROUNDS,
            valid_sets=[vdata],
            callbacks=[lightgbm.early_stopping(40, verbose=False)],
        )
        rounds = booster.best_iteration or SPEAKER_ROUNDS
        return lightgbm.Booster(model_str=booster.model_to_string(num_iteration=rounds)), rounds
    booster = lightgbm.train(params, data, num_boost_round=SPEAKER_ROUNDS)
    return booster, SPEAKER_ROUNDS


def predictions(booster, groups: Sequence[Group]) -> list[tuple[float, bool | None, bool]]:
    """(share of the chosen candidate, is it right (None: unlabelled), is it "nobody") per group."""
    out = []
    for g in groups:
        s = booster.predict(numpy.asarray(g.rows, dtype=numpy.float64))
        best = int(s.argmax())
        right = bool(g.labels[best]) if g.labels is not None else None
        out.append((float(s[best] / (float(s.sum()) or 1.0)), right, best == len(g.rows) - 1))
    return out


def isotonic(points: Sequence[tuple[float, bool]], max_points: int = 40) -> dict[str, list[float]]:
    """An increasing map share -> rate right, as at most `max_points` knots for numpy.interp."""
    from sklearn.isotonic import IsotonicRegression

    x = numpy.asarray([p for p, _ in points])
    y = numpy.asarray([float(r) for _, r in points])
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip").fit(x, y)
    knots = numpy.unique(numpy.quantile(x, numpy.linspace(0, 1, max_points)))
    return {"x": [round(float(v), 5) for v in knots], "y": [round(float(v), 5) for v in iso.predict(knots)]}


def expected_calibration_error(points: Sequence[tuple[float, bool]], bins: int = 10) -> float:
    """Sum over equal-width confidence bins of |accuracy - mean confidence|, weighted by size."""
    if not points:
        return 0.0
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(c, r) for c, r in points if lo <= c < hi or (b == bins - 1 and c == 1.0)]
        if inside:
            total += len(inside) * abs(
                sum(r for _, r in inside) / len(inside) - sum(c for c, _ in inside) / len(inside)
            )
    return total / len(points)


def train_speakers(
    polnear: Sequence[tuple[LabelledArticle, Any]],
    gold: Sequence[LabelledArticle],
    model,
    seed: int,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Fit the speaker model into `model` (boosters["speaker"], calibration["speaker"]).

    `polnear` pairs each article with the attribution model to find its quotes with (one trained
    without it); `gold` articles use `model` itself.
    """
    groups: list[Group] = []
    for k, (article, fold_model) in enumerate(polnear):
        groups.extend(article_groups(k, article, fold_model))
    offset = len(polnear)
    for k, article in enumerate(gold):
        groups.extend(article_groups(offset + k, article, model))
    # Calibrated on the multi-outlet gold only: a single outlet's house style (the BBC set) makes
    # the model surer than it is on outlets it has not seen.
    calibrating = {offset + k for k, article in enumerate(gold) if article.calibrate}
    gold_articles = sorted({g.article for g in groups if g.source == "gold"})
    log(
        f"  speaker groups: {sum(g.source == 'polnear' for g in groups)} PolNeAR, "
        f"{sum(g.source == 'gold' for g in groups)} gold"
    )
    rnd = random.Random(seed)
    folds = {a: rnd.randrange(FOLDS) for a in gold_articles}
    polnear_ids = sorted({g.article for g in groups if g.source == "polnear"})
    kept = set(rnd.sample(polnear_ids, max(1, len(polnear_ids) // 10))) if polnear_ids else set()
    # The exact rules' own rate of being right on the gold, as their confidence (speakers.EXACT_METHODS).
    exact: dict[str, list[int]] = {}
    for g in groups:
        if g.source != "gold" or g.labels is None or g.kind == "indirect":
            continue
        method = (
            METHODS[int(g.rows[0][SPEAKER_COLUMNS.index("rule_method")])]
            if int(g.rows[0][SPEAKER_COLUMNS.index("rule_method")]) < len(METHODS)
            else None
        )
        if method in EXACT_METHODS:
            rule = [i for i in range(len(g.rows) - 1) if g.rows[i][SPEAKER_COLUMNS.index("is_rule")]]
            right = g.labels[rule[0]] if rule else g.labels[-1]
            exact.setdefault(method, []).append(int(right))
    # Out-of-fold predictions on the gold articles: the calibration's data, and an honest accuracy.
    oof: list[tuple[float, bool]] = []
    oof_by_group: dict[int, tuple[float, bool | None, bool]] = {}
    rounds_seen = []
    for f in range(FOLDS):
        train = [g for g in groups if not (g.source == "gold" and folds[g.article] == f) and g.article not in kept]
        valid = [g for g in groups if g.article in kept]
        held = [g for g in groups if g.source == "gold" and folds[g.article] == f]
        if not held:
            continue
        booster, rounds = fit(train, seed, valid)
        rounds_seen.append(rounds)
        for g, pred in zip(held, predictions(booster, held), strict=False):
            oof_by_group[id(g)] = pred
            if pred[1] is not None and (g.article in calibrating or not calibrating):
                oof.append((pred[0], pred[1]))
    rounds = int(numpy.median(rounds_seen)) if rounds_seen else SPEAKER_ROUNDS
    import lightgbm

    X, y, w = _dataset(groups)
    params = dict(SPEAKER_PARAMS, seed=seed, bagging_seed=seed, feature_fraction_seed=seed, data_random_seed=seed)
    data = lightgbm.Dataset(X, label=y, weight=w, feature_name=SPEAKER_COLUMNS, categorical_feature=SPEAKER_CATEGORICAL)
    booster = lightgbm.train(params, data, num_boost_round=rounds)
    model.boosters["speaker"] = booster
    model.calibration["speaker"] = isotonic(oof) if oof else {}
    # Laplace-smoothed: a method seen 3 times right of 3 is not certain.
    model.calibration["exact_rules"] = {m: round((sum(v) + 1) / (len(v) + 2), 4) for m, v in exact.items()}
    calibrated = (
        [
            (float(numpy.interp(c, model.calibration["speaker"]["x"], model.calibration["speaker"]["y"])), r)
            for c, r in oof
        ]
        if oof
        else []
    )
    report = {
        "groups": len(groups),
        "rounds": rounds,
        "gold_out_of_fold_accuracy": round(sum(r for _, r in oof) / len(oof), 4) if oof else None,
        "gold_out_of_fold_ece_raw": round(expected_calibration_error(oof), 4),
        "gold_out_of_fold_ece_calibrated": round(expected_calibration_error(calibrated), 4),
        "exact_rules": {m: {"quotes": len(v), "right": sum(v)} for m, v in sorted(exact.items())},
    }
    log(f"  speaker: {report}")
    report["reported"] = train_reported(groups, oof_by_group, folds, model, seed, log)
    return report


def train_reported(
    groups: Sequence[Group], oof_by_group: dict, folds: dict[int, int], model, seed: int, log: Callable[[str], None]
) -> dict[str, Any]:
    """The reported-speech check (reported.py) on the gold articles' candidates, with the speaker
    model's out-of-fold choice among its features, out-of-fold calibrated; and its threshold."""
    import lightgbm

    from .reported import REPORTED_CATEGORICAL, REPORTED_COLUMNS, reported_row

    rows, labels, articles = [], [], []
    for g in groups:
        if g.reported is None or id(g) not in oof_by_group:
            continue
        ctx, q, ev, matched = g.reported
        share, _, none_chosen = oof_by_group[id(g)]
        rows.append(reported_row(ctx, q, ev, model, share, none_chosen))
        labels.append(int(matched))
        articles.append(g.article)
    if not rows:
        return {}
    X, y = numpy.asarray(rows, dtype=numpy.float64), numpy.asarray(labels)
    params = dict(
        PARAMS,
        learning_rate=0.1,
        num_leaves=7,
        min_data_in_leaf=10,
        seed=seed,
        bagging_seed=seed,
        feature_fraction_seed=seed,
        data_random_seed=seed,
    )
    rounds = 150
    oof = numpy.zeros(len(y))
    for f in range(FOLDS):
        held = numpy.asarray([folds[a] == f for a in articles])
        if not held.any():
            continue
        d = lightgbm.Dataset(
            X[~held], label=y[~held], feature_name=REPORTED_COLUMNS, categorical_feature=REPORTED_CATEGORICAL
        )
        oof[held] = lightgbm.train(params, d, num_boost_round=rounds).predict(X[held])
    calibration = isotonic(list(zip(oof.tolist(), y.astype(bool).tolist(), strict=False)))
    calibrated = numpy.interp(oof, calibration["x"], calibration["y"])
    # The threshold with the best recall at a precision of at least REPORTED_PRECISION, out of
    # fold (speaker errors come on top: reported speech is useful only when it is right); the
    # best F1 when no threshold reaches it.
    best = (0.0, 0.5)
    best_f1 = (0.0, 0.5)
    positives = int(y.sum())
    for t in numpy.unique(calibrated):
        kept = calibrated >= t
        tp = int((kept & (y == 1)).sum())
        f1 = 2 * tp / (int(kept.sum()) + positives) if positives else 0.0
        precision = tp / max(1, int(kept.sum()))
        recall = tp / max(1, positives)
        if precision >= REPORTED_PRECISION and recall > best[0]:
            best = (recall, float(t))
        if f1 > best_f1[0]:
            best_f1 = (f1, float(t))
    if best[0] == 0.0:
        best = best_f1
    d = lightgbm.Dataset(X, label=y, feature_name=REPORTED_COLUMNS, categorical_feature=REPORTED_CATEGORICAL)
    model.boosters["reported"] = lightgbm.train(params, d, num_boost_round=rounds)
    model.calibration["reported"] = calibration
    model.meta["reported_threshold"] = round(best[1], 4)
    kept = calibrated >= best[1]
    report = {
        "candidates": len(y),
        "gold": positives,
        "threshold": round(best[1], 4),
        "out_of_fold_precision": round(float((kept & (y == 1)).sum() / max(1, kept.sum())), 4),
        "out_of_fold_recall": round(float((kept & (y == 1)).sum() / max(1, positives)), 4),
        "out_of_fold_ece": round(
            expected_calibration_error(list(zip(calibrated.tolist(), y.tolist(), strict=False))), 4
        ),
    }
    log(f"  reported speech: {report}")
    return report
