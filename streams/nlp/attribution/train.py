"""Training the attribution model from PolNeAR's source–cue–content annotations.

`newswire train` (cli.py) runs `train_attribution`: it parses the training articles with the
worker's own pipeline, turns every gold attribution into labelled candidates (candidates.py,
features.py) and fits four LightGBM models with a fixed seed, early-stopped on a tenth of the
training articles kept aside (never on PolNeAR dev or our gold halves, which report the figures).
The same inputs and seed give the same model file.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.tokens import Doc

from ...domain.jsonl import read_jsonl
from ..quotes import find_quoted_spans
from .candidates import (
    content_candidates,
    cue_candidates,
    source_candidates,
    source_span_variants,
    trimmed,
)
from .extract import SPAN_CATEGORICAL, SPAN_COLUMNS, _attributing_heads, span_rows
from .features import (
    CONTENT_CATEGORICAL,
    CONTENT_COLUMNS,
    CUE_CATEGORICAL,
    CUE_COLUMNS,
    SOURCE_CATEGORICAL,
    SOURCE_COLUMNS,
    Vocabs,
    content_rows,
    cue_matrix,
    document_context,
    source_rows,
)
from .model import MODEL_PATH, AttributionModel

SEED = 13
FOLDS = 5
RATE_PRIOR_WEIGHT = 10.0  # a lemma seen n times: (cues + w * prior) / (n + w)
MIN_NOUN_CUE = 2  # a noun is a cue candidate once it was a cue this often in training
PARAMS = {
    "objective": "binary",
    "learning_rate": 0.2,
    "num_leaves": 7,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "num_threads": 2,
    "deterministic": True,
    "force_row_wise": True,
    "max_cat_to_onehot": 8,
    "cat_smooth": 10.0,
}
# Small ensembles: a prediction costs about 40 ns per tree and row, and a long article has ~200
# cue candidates. Measured on the kept-aside tenth: 600 trees of 31 leaves at rate 0.05 gain
# <= 0.01 in cue F1 and in source and content accuracy over these.
ROUNDS = {"cue": 80, "source": 60, "source_span": 60, "content": 60}
OVERRIDES = {
    "cue": {"learning_rate": 0.35},
    "source": {"learning_rate": 0.35},
    "source_span": {"learning_rate": 0.35},
    "content": {"learning_rate": 0.4, "num_leaves": 15},
}


@dataclass
class GoldAttribution:
    cue: tuple[int, int]
    source: tuple[int, int] | None
    content: tuple[int, int]


@dataclass
class TrainingArticle:
    id: str
    doc: Doc
    attributions: list[GoldAttribution]


def read_polnear(path: Path | str) -> list[dict[str, Any]]:
    return [row for _, row in read_jsonl(Path(path), ValueError)]


def gold_attributions(record: dict[str, Any]) -> list[GoldAttribution]:
    text = record["text"]
    out = []
    for a in record.get("attributions") or []:
        cue, content, source = a.get("cue"), a.get("content"), a.get("source")
        if not cue or not content:
            continue
        if not (0 <= cue["start"] < cue["end"] <= len(text) and 0 <= content["start"] < content["end"] <= len(text)):
            continue
        src = trimmed(text, source["start"], source["end"]) if source and source["end"] > source["start"] else None
        out.append(
            GoldAttribution(
                trimmed(text, cue["start"], cue["end"]), src, trimmed(text, content["start"], content["end"])
            )
        )
    return out


def cue_head(doc: Doc, span: tuple[int, int]):
    """The token of a cue span whose head lies outside it (its syntactic head)."""
    words = doc.char_span(span[0], span[1], alignment_mode="expand")
    if words is None or not len(words):
        return None
    outside = [t for t in words if not (words.start <= t.head.i < words.end) or t.head is t]
    return outside[0] if outside else words.root


def quote_spans(text: str) -> list[tuple[int, int]]:
    return [(q.open_at, q.end + 1 if q.closed else q.end) for q in find_quoted_spans(text)]


@dataclass
class Rows:
    X: list[list[float]] = field(default_factory=list)
    y: list[int] = field(default_factory=list)
    group: list[int] = field(default_factory=list)  # one id per decision (cue tokens: per article)
    article: list[int] = field(default_factory=list)

    def add(self, rows: list[list[float]], labels: list[int], group: int, article: int) -> None:
        self.X.extend(rows)
        self.y.extend(labels)
        self.group.extend([group] * len(rows))
        self.article.extend([article] * len(rows))


def lemma_rates(
    articles: Sequence[TrainingArticle], noun_cues: frozenset[str], skip: set[int] | None = None
) -> tuple[dict[str, float], float]:
    seen: Counter = Counter()
    cues: Counter = Counter()
    for k, a in enumerate(articles):
        if skip and k in skip:
            continue
        heads = {h.i for h in (cue_head(a.doc, g.cue) for g in a.attributions) if h is not None}
        for t in cue_candidates(a.doc, noun_cues):
            lemma = t.lemma_.lower()
            seen[lemma] += 1
            cues[lemma] += t.i in heads
    prior = (sum(cues.values()) + 1) / (sum(seen.values()) + 2)
    rates = {lemma: (cues[lemma] + RATE_PRIOR_WEIGHT * prior) / (n + RATE_PRIOR_WEIGHT) for lemma, n in seen.items()}
    return rates, prior


def build_rows(
    articles: Sequence[TrainingArticle],
    vocabs: Vocabs,
    noun_cues: frozenset[str],
    rates_for: dict[int, tuple[dict[str, float], float]],
) -> dict[str, Rows]:
    rows = {name: Rows() for name in ROUNDS}
    decision = 0
    for k, a in enumerate(articles):
        doc = a.doc
        text = doc.text
        quotes = quote_spans(text)
        rates, prior = rates_for[k % FOLDS]
        ctx = document_context(doc, quotes, rates, prior, vocabs)
        by_head: dict[int, GoldAttribution] = {}
        for g in a.attributions:
            head = cue_head(doc, g.cue)
            if head is not None:
                by_head.setdefault(head.i, g)
        candidates = cue_candidates(doc, noun_cues)
        rows["cue"].add(
            cue_matrix(doc, [t.i for t in candidates], ctx).tolist(), [int(t.i in by_head) for t in candidates], k, k
        )
        for t in candidates:
            g = by_head.get(t.i)
            if g is None:
                continue
            sources = source_candidates(t)
            labels = [0] * (len(sources) + 1)
            hits = [j for j, s in enumerate(sources) if g.source and g.source[0] <= s.start and s.end <= g.source[1]]
            if g.source is None:
                labels[-1] = 1
            elif hits:
                labels[hits[0]] = 1
            if any(labels):
                decision += 1
                rows["source"].add(source_rows(t, sources, ctx), labels, decision, k)
            if hits:
                head = doc[sources[hits[0]].head]
                variants = source_span_variants(head)
                span_labels = [int((v.start, v.end) == g.source) for v in variants]
                if any(span_labels):
                    decision += 1
                    rows["source_span"].add(span_rows(head, variants, ctx), span_labels, decision, k)
            contents = content_candidates(t, _attributing_heads(sources), quotes)
            content_labels = [int((c.start, c.end) == g.content) for c in contents]
            if any(content_labels):
                decision += 1
                rows["content"].add(content_rows(t, contents, ctx), content_labels, decision, k)
    return rows


COLUMNS = {
    "cue": (CUE_COLUMNS, CUE_CATEGORICAL),
    "source": (SOURCE_COLUMNS, SOURCE_CATEGORICAL),
    "source_span": (SPAN_COLUMNS, SPAN_CATEGORICAL),
    "content": (CONTENT_COLUMNS, CONTENT_CATEGORICAL),
}


def _fit(name: str, train: Rows, valid: Rows, seed: int):
    import lightgbm
    import numpy

    columns, categorical = COLUMNS[name]
    params = dict(
        PARAMS,
        **OVERRIDES.get(name, {}),
        seed=seed,
        bagging_seed=seed,
        feature_fraction_seed=seed,
        data_random_seed=seed,
    )
    dtrain = lightgbm.Dataset(
        numpy.asarray(train.X),
        label=numpy.asarray(train.y),
        feature_name=columns,
        categorical_feature=categorical,
        free_raw_data=False,
    )
    dvalid = lightgbm.Dataset(numpy.asarray(valid.X), label=numpy.asarray(valid.y), reference=dtrain)
    booster = lightgbm.train(
        params,
        dtrain,
        num_boost_round=ROUNDS[name],
        valid_sets=[dvalid],
        callbacks=[lightgbm.early_stopping(40, verbose=False)],
    )
    best = booster.best_iteration or ROUNDS[name]
    # Keep only the trees early stopping chose: the file stays small.
    return lightgbm.Booster(model_str=booster.model_to_string(num_iteration=best))


def _group_accuracy(rows: Rows, scores) -> float:
    best: dict[int, tuple[float, int]] = {}
    for g, s, y in zip(rows.group, scores, rows.y, strict=False):
        if g not in best or s > best[g][0]:
            best[g] = (s, y)
    return sum(y for _, y in best.values()) / max(1, len(best))


def _threshold(rows: Rows, scores) -> tuple[float, float]:
    """The cue threshold with the best F1 on the kept-aside articles."""
    pairs = sorted(zip(scores, rows.y, strict=False), reverse=True)
    positives = sum(rows.y)
    tp = 0
    best = (0.0, 0.5)
    for k, (s, y) in enumerate(pairs, 1):
        tp += y
        f1 = 2 * tp / (k + positives) if positives else 0.0
        if f1 > best[0]:
            best = (f1, float(s))
    return best[1], best[0]


def _split(rows: Rows, articles: set[int]) -> tuple[Rows, Rows]:
    a, b = Rows(), Rows()
    for x, y, g, art in zip(rows.X, rows.y, rows.group, rows.article, strict=False):
        target = b if art in articles else a
        target.X.append(x)
        target.y.append(y)
        target.group.append(g)
        target.article.append(art)
    return a, b


def train_attribution(
    articles: Sequence[TrainingArticle], seed: int = SEED, trained_on: Iterable[str] = (), log=print
) -> AttributionModel:
    started = time.monotonic()
    cue_counts: Counter = Counter()
    for a in articles:
        for g in a.attributions:
            head = cue_head(a.doc, g.cue)
            if head is not None and head.pos_ in ("NOUN", "ADJ", "PROPN"):
                cue_counts[head.lemma_.lower()] += 1
    noun_cues = frozenset(lemma for lemma, n in cue_counts.items() if n >= MIN_NOUN_CUE)
    # Out-of-fold cue rates: an article's features never use its own labels.
    rates_for = {
        f: lemma_rates(articles, noun_cues, skip={k for k in range(len(articles)) if k % FOLDS == f})
        for f in range(FOLDS)
    }
    vocabs = Vocabs()
    rows = build_rows(articles, vocabs, noun_cues, rates_for)
    vocabs.freeze()
    rnd = random.Random(seed)
    kept_aside = set(rnd.sample(range(len(articles)), max(1, len(articles) // 10)))
    boosters = {}
    report: dict[str, Any] = {}
    for name in ROUNDS:
        train_rows, valid_rows = _split(rows[name], kept_aside)
        booster = _fit(name, train_rows, valid_rows, seed)
        boosters[name] = booster
        import numpy

        scores = booster.predict(numpy.asarray(valid_rows.X))
        if name == "cue":
            threshold, f1 = _threshold(valid_rows, scores)
            report[name] = {
                "rows": len(train_rows.y),
                "valid_f1": round(f1, 4),
                "threshold": round(threshold, 4),
                "trees": booster.num_trees(),
            }
        else:
            report[name] = {
                "rows": len(train_rows.y),
                "valid_accuracy": round(_group_accuracy(valid_rows, scores), 4),
                "trees": booster.num_trees(),
            }
        log(f"  {name}: {report[name]}")
    rates, prior = lemma_rates(articles, noun_cues)
    log(f"  trained in {time.monotonic() - started:.1f} s")
    meta = {  # no timings: the same input and seed give the same file, byte for byte
        "trained_on": list(trained_on),
        "articles": len(articles),
        "seed": seed,
        "attributions": sum(len(a.attributions) for a in articles),
        "validation": report,
    }
    return AttributionModel(
        meta=meta,
        vocabs=vocabs,
        lemma_rates=rates,
        prior_rate=prior,
        noun_cues=noun_cues,
        cue_threshold=report["cue"]["threshold"],
        boosters=boosters,
    )


def polnear_articles(records: Sequence[dict[str, Any]], docs: Sequence[Doc]) -> list[TrainingArticle]:
    return [TrainingArticle(str(r["id"]), d, gold_attributions(r)) for r, d in zip(records, docs, strict=False)]


def main(
    polnear: Path, out: Path = MODEL_PATH, seed: int = SEED, docs: Sequence[Doc] | None = None, nlp=None
) -> dict[str, Any]:
    records = read_polnear(polnear)
    if docs is None:
        docs = list(nlp.pipe([r["text"] for r in records], batch_size=32))
    model = train_attribution(polnear_articles(records, docs), seed=seed, trained_on=[polnear.name])
    model.save(out)
    return json.loads(json.dumps(model.meta))
