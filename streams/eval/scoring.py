"""Scoring one article's extraction against its gold, for every figure of the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .gold import POLNEAR, GoldArticle, GoldQuote, speaker_key
from .matching import Accuracy, Calibration, CountError, Errors, Score, pair_up, same_actor, spans_match


@dataclass
class Scores:
    """The figures of one system over some articles; None: this gold does not annotate it."""

    articles: int = 0
    quotes: Score = field(default_factory=Score)
    quotes_speaker: Score = field(default_factory=Score)
    speaker_accuracy: Accuracy = field(default_factory=Accuracy)
    kind_accuracy: Accuracy = field(default_factory=Accuracy)
    indirect: Score | None = None
    indirect_speaker: Score | None = None
    stances: Score | None = None
    country_presence: Score | None = None
    country_counts: CountError | None = None
    # PolNeAR, attributions of every kind, exact spans (as CofeNet reports them).
    attribution_source: Score | None = None
    attribution_cue: Score | None = None
    attribution_content: Score | None = None
    # Confidence of every predicted quote (that its speaker is right) and stance (that it is right).
    quote_confidence: Calibration = field(default_factory=Calibration)
    stance_confidence: Calibration = field(default_factory=Calibration)

    OPTIONAL = (
        "indirect",
        "indirect_speaker",
        "stances",
        "country_presence",
        "country_counts",
        "attribution_source",
        "attribution_cue",
        "attribution_content",
    )

    def add(self, other: Scores) -> None:
        self.articles += other.articles
        for name in (
            "quotes",
            "quotes_speaker",
            "speaker_accuracy",
            "kind_accuracy",
            "quote_confidence",
            "stance_confidence",
        ):
            getattr(self, name).add(getattr(other, name))
        for name in self.OPTIONAL:
            theirs = getattr(other, name)
            if theirs is None:
                continue
            mine = getattr(self, name)
            if mine is None:
                mine = type(theirs)()
                setattr(self, name, mine)
            mine.add(theirs)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"articles": self.articles}
        for name in (
            "quotes",
            "quotes_speaker",
            "speaker_accuracy",
            "kind_accuracy",
            *self.OPTIONAL,
            "quote_confidence",
            "stance_confidence",
        ):
            value = getattr(self, name)
            out[name] = value.as_dict() if value is not None else None
        return out


def _gold_speaker(article: GoldArticle, q: GoldQuote) -> str | None:
    if article.format == POLNEAR and q.speaker:
        return speaker_key(q.speaker)
    return q.speaker


def _score_quotes(
    article: GoldArticle,
    gold: list[GoldQuote],
    predicted: list[dict[str, Any]],
    scores: Scores,
    text_score: Score,
    speaker_score: Score,
    errors: Errors | None,
    what: str,
    accuracy: bool,
) -> None:
    pairs = pair_up(
        gold, predicted, lambda g, p: spans_match(g.text, (g.start, g.end), p["text"], (p["start"], p["end"]))
    )
    matched_gold = {i: j for i, j in pairs}
    matched_pred = {j: i for i, j in pairs}
    text_score.tp += len(pairs)
    text_score.fp += len(predicted) - len(pairs)
    text_score.fn += len(gold) - len(pairs)
    for j, p in enumerate(predicted):
        confidence = p.get("confidence")
        if confidence is None:
            continue
        i = matched_pred.get(j)
        if i is None:
            scores.quote_confidence.points.append((float(confidence), False))  # not a quote of the gold
        elif gold[i].checkable:
            scores.quote_confidence.points.append(
                (float(confidence), same_actor(_gold_speaker(article, gold[i]), p.get("speaker")))
            )
    for i, g in enumerate(gold):
        j = matched_gold.get(i)
        if not g.checkable:
            continue
        expected = _gold_speaker(article, g)
        if j is None:
            speaker_score.fn += 1
            if errors is not None:
                errors.add(
                    article=article.id,
                    what=what,
                    error="missed",
                    text=g.text[:160],
                    start=g.start,
                    gold_speaker=g.speaker,
                )
            continue
        p = predicted[j]
        right = same_actor(expected, p.get("speaker"))
        if accuracy:
            scores.speaker_accuracy.total += 1
            scores.speaker_accuracy.correct += right
        if right:
            speaker_score.tp += 1
        else:
            speaker_score.fn += 1
            speaker_score.fp += 1
            if errors is not None:
                errors.add(
                    article=article.id,
                    what=what,
                    error="wrong speaker",
                    text=g.text[:160],
                    start=g.start,
                    gold_speaker=g.speaker,
                    speaker=p.get("speaker"),
                    cue=p.get("cue"),
                )
        if accuracy and g.kind and p.get("kind"):
            scores.kind_accuracy.total += 1
            scores.kind_accuracy.correct += g.kind == p.get("kind")
    for j, p in enumerate(predicted):
        if j not in matched_pred:
            speaker_score.fp += 1
            if errors is not None:
                errors.add(
                    article=article.id,
                    what=what,
                    error="spurious",
                    text=p["text"][:160],
                    start=p["start"],
                    speaker=p.get("speaker"),
                    cue=p.get("cue"),
                )


def score_article(article: GoldArticle, prediction: dict[str, Any], errors: Errors | None = None) -> Scores:
    """The figures of one prediction (the `analyze` result shape, or the baseline's) on one article."""
    scores = Scores(articles=1)
    direct = [q for q in prediction.get("quotes", []) if q.get("kind") != "indirect"]
    _score_quotes(
        article, article.quotes, direct, scores, scores.quotes, scores.quotes_speaker, errors, "quote", accuracy=True
    )

    if article.indirect is not None:
        scores.indirect, scores.indirect_speaker = Score(), Score()
        indirect = [q for q in prediction.get("quotes", []) if q.get("kind") == "indirect"]
        _score_quotes(
            article,
            article.indirect,
            indirect,
            scores,
            scores.indirect,
            scores.indirect_speaker,
            errors,
            "indirect",
            accuracy=False,
        )

    if article.stances is not None:
        scores.stances = Score()
        seen: set[tuple] = set()
        predicted = []
        for s in prediction.get("stances", []):
            key = (s["actor"], s["target"], s["polarity"])
            if key not in seen:
                seen.add(key)
                predicted.append(s)
        gold = article.stances
        pairs = pair_up(
            gold,
            predicted,
            lambda g, p: float(
                g.polarity == p["polarity"] and same_actor(g.actor, p["actor"]) and same_actor(g.target, p["target"])
            ),
        )
        scores.stances.tp = len(pairs)
        scores.stances.fp = len(predicted) - len(pairs)
        scores.stances.fn = len(gold) - len(pairs)
        right = {j for _, j in pairs}
        for j, p in enumerate(predicted):
            if p.get("confidence") is not None:
                scores.stance_confidence.points.append((float(p["confidence"]), j in right))
        if errors is not None:
            got_g = {i for i, _ in pairs}
            got_p = {j for _, j in pairs}
            for i, g in enumerate(gold):
                if i not in got_g:
                    errors.add(
                        article=article.id,
                        what="stance",
                        error="missed",
                        actor=g.actor,
                        target=g.target,
                        polarity=g.polarity,
                        evidence=(g.evidence or "")[:200],
                    )
            for j, p in enumerate(predicted):
                if j not in got_p:
                    errors.add(
                        article=article.id,
                        what="stance",
                        error="spurious",
                        actor=p["actor"],
                        target=p["target"],
                        polarity=p["polarity"],
                        cue=p.get("cue"),
                        evidence=(p.get("evidence") or "")[:200],
                    )

    if article.attributions is not None and "attributions" in prediction:
        for part, k in (("cue", 0), ("source", 1), ("content", 2)):
            gold_spans = {tuple(a[k]) for a in article.attributions if a[k] is not None}
            predicted_spans = {tuple(a[part]) for a in prediction["attributions"] if a.get(part) is not None}
            setattr(
                scores,
                f"attribution_{part}",
                Score(
                    tp=len(gold_spans & predicted_spans),
                    fp=len(predicted_spans - gold_spans),
                    fn=len(gold_spans - predicted_spans),
                ),
            )

    if article.countries is not None:
        gold_counts = {c: n for c, n in article.countries.items() if n > 0}
        predicted_counts = {c: n for c, n in prediction.get("countries", {}).items() if n > 0}
        scores.country_presence = Score(
            tp=len(gold_counts.keys() & predicted_counts.keys()),
            fp=len(predicted_counts.keys() - gold_counts.keys()),
            fn=len(gold_counts.keys() - predicted_counts.keys()),
        )
        codes = gold_counts.keys() | predicted_counts.keys()
        scores.country_counts = CountError(
            absolute=sum(abs(predicted_counts.get(c, 0) - gold_counts.get(c, 0)) for c in codes),
            gold_total=sum(gold_counts.values()),
            predicted_total=sum(predicted_counts.values()),
        )
        if errors is not None:
            for c in sorted(codes):
                if predicted_counts.get(c, 0) != gold_counts.get(c, 0):
                    errors.add(
                        article=article.id,
                        what="country",
                        code=c,
                        gold=gold_counts.get(c, 0),
                        predicted=predicted_counts.get(c, 0),
                        surfaces=[m["text"] for m in prediction.get("country_mentions", {}).get(c, [])],
                    )
    return scores
