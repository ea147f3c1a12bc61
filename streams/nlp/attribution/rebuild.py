"""`newswire train`: rebuild the shipped attribution and speaker model from its data, reproducibly.

1. Parse PolNeAR's training articles and the gold files with the worker's pipeline (cached by the
   input's hash when `cache` is given: a second run skips the parse).
2. Train the attribution model on all PolNeAR training articles (train.py), and two more on each
   half, so each article's quotes can be found by a model that never saw it.
3. Train the speaker model and its calibration (train_speakers.py), calibrated on the gold files
   that hold several outlets.
4. Write `attribution-model.json.gz` with what it was trained on and its validation figures.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, DocBin

from ...eval.gold import Corpus, load_gold
from ..analyze import ArticleMeta
from .model import MODEL_PATH
from .train import SEED, TrainingArticle, gold_attributions, read_polnear, train_attribution
from .train_speakers import LabelledArticle, train_speakers


def _parse(nlp: Language, texts: list[str], cache: Path | None, log) -> list[Doc]:
    if not texts:
        return []
    key = hashlib.sha256("\x1e".join(texts).encode("utf-8")).hexdigest()[:20]
    path = cache / f"parse-{key}.spacy" if cache else None
    if path is not None and path.is_file():
        return list(DocBin().from_disk(path).get_docs(nlp.vocab))
    log(f"  parsing {len(texts)} texts")
    docs = list(nlp.pipe(texts, batch_size=32))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        bin_ = DocBin(store_user_data=False)
        for d in docs:
            bin_.add(d)
        bin_.to_disk(path)
        docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))  # the same docs either way
    return docs


def rebuild(
    nlp: Language,
    polnear: Path,
    gold: Sequence[Path] = (),
    out: Path = MODEL_PATH,
    seed: int = SEED,
    cache: Path | None = None,
    corpus: Path | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    records = read_polnear(polnear)
    log(f"newswire train: {len(records)} PolNeAR articles from {polnear}, gold {', '.join(map(str, gold)) or 'none'}")
    docs = _parse(nlp, [r["text"] for r in records], cache, log)
    articles = [TrainingArticle(str(r["id"]), d, gold_attributions(r)) for r, d in zip(records, docs, strict=False)]
    log("attribution model, all articles:")
    model = train_attribution(articles, seed=seed, trained_on=[polnear.name])
    rnd = random.Random(seed)
    order = list(range(len(articles)))
    rnd.shuffle(order)
    halves = [set(order[: len(order) // 2]), set(order[len(order) // 2 :])]
    half_models = []
    for h, half in enumerate(halves):
        log(f"attribution model, half {h + 1} (for the speaker model's training data):")
        half_models.append(train_attribution([a for k, a in enumerate(articles) if k in half], seed=seed, log=log))
    polnear_labelled = []
    for k, (r, d) in enumerate(zip(records, docs, strict=False)):
        other = half_models[1] if k in halves[0] else half_models[0]
        polnear_labelled.append(
            (LabelledArticle(str(r["id"]), d, None, ArticleMeta(), "polnear", attributions=gold_attributions(r)), other)
        )
    gold_articles = []
    multi_outlet: set[str] = set()
    shared = Corpus(corpus)
    for path in gold:
        found = [a for a in load_gold(path, shared) if a.format == "guideline"]
        if len({a.source for a in found if a.source}) > 1:
            multi_outlet.update(a.id for a in found)  # the speaker confidences are calibrated on these
        gold_articles.extend(found)
    texts = []
    for a in gold_articles:
        if a.title:
            texts.append(a.title)
        texts.append(a.text)
    gold_docs = iter(_parse(nlp, texts, cache, log))
    labelled = []
    for a in gold_articles:
        title = next(gold_docs) if a.title else None
        body = next(gold_docs)
        labelled.append(
            LabelledArticle(
                a.id,
                body,
                title,
                ArticleMeta(source=a.source, url=a.url),
                "gold",
                gold_quotes=[(q.start, q.end, q.text, q.speaker) for q in a.quotes],
                gold_indirect=[(q.start, q.end, q.text, q.speaker) for q in a.indirect or []],
                calibrate=a.id in multi_outlet,
            )
        )
    log("speaker model:")
    report = train_speakers(polnear_labelled, labelled, model, seed, log=log)
    model.meta["trained_on"] = [polnear.name, *[Path(p).name for p in gold]]
    model.meta["gold_articles"] = len(labelled)
    model.meta["validation"]["speaker"] = report
    model.save(out)
    log(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")
    return model.meta
