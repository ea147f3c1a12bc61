"""Who said it: a learned choice among a quote's candidate speakers, with a calibrated confidence.

For every quote (direct or reported) the candidates are the people, organisations and countries
of the article named or referred to near it — in its sentence, the paragraphs before it, just
after it — and "nobody named". Each is described by what the rules said (quotes.py: the subject
of the cue that governs the quote, a colon, "according to", a dash line, the quote before it), by
what the attribution model said (the source of the attribution whose content holds the quote),
and by where and how it is mentioned (distance in sentences and paragraphs, subject of a speech
verb, inside the quote, how often the article names it). A LightGBM model scores each candidate
alone; the best one is the speaker unless "nobody" wins. Its share of the scores, mapped through
an isotonic calibration fitted on predictions for articles held out of training, is the quote's
`confidence` that the speaker is right.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy
from spacy.tokens import Doc

from ..country_names import load_gazetteer
from ..entities import ArticleEntities, Entity
from ..gender import PRONOUN_GENDER
from ..reference import resolve
from ..text import Ranges, doc_index, paragraph_ranges
from .extract import Attribution

SPEAKER_LABELS = ("PERSON", "ORG", "GPE", "NORP")
MAX_CANDIDATES = 12
WINDOW_PARAGRAPHS = 3  # candidates are named from this many paragraphs before the quote's on
AFTER_CHARS = 300  # ... to this far after it ("“...,” said X, a scholar at Y")
# Speech verbs whose subject is a speaker (the rules' list lives in quotes.py; features only).
SPEECH_LEMMAS = {
    "say",
    "tell",
    "add",
    "state",
    "write",
    "note",
    "explain",
    "insist",
    "argue",
    "claim",
    "warn",
    "urge",
    "ask",
    "announce",
    "acknowledge",
    "admit",
    "reply",
    "respond",
    "conclude",
    "suggest",
    "predict",
    "promise",
    "vow",
    "stress",
    "recall",
    "report",
    "tweet",
    "post",
    "complain",
    "demand",
    "deny",
    "confirm",
    "observe",
    "concede",
    "assert",
    "maintain",
    "contend",
    "testify",
    "reveal",
    "repeat",
    "reiterate",
    "continue",
    "agree",
    "describe",
    "speak",
    "comment",
    "call",
    "recount",
    "quote",
    "cite",
}

SPEAKER_COLUMNS = [
    "is_none",
    "is_rule",
    "is_learned",
    "rule_method",
    "has_rule_speaker",
    "has_learned",
    "learned_source_conf",
    "learned_cue_conf",
    "label",
    "chars_before_log",
    "sentences_back",
    "paragraphs_back",
    "after_same_sentence",
    "chars_after_log",
    "last_is_subject",
    "last_subject_of_speech",
    "last_is_reference",
    "in_quote",
    "mentions_before",
    "mentions_total",
    "rank_by_mentions",
    "rank_by_recency",
    "is_previous_speaker",
    "previous_gap_paragraphs",
    "kind",
    "quote_tokens_log",
    "starts_paragraph",
    "whole_paragraph",
    "candidates",
    "title_only",
    "mentions_in_paragraph",
    "is_object_near",
    "rule_quotes_share",
    "speech_subject_mentions",
    "is_place",
    "is_demonym",
    "name_words",
    "name_capitalised",
    "source_is_pronoun",
    "gender_agrees",
    "share_of_person_mentions",
]
SPEAKER_CATEGORICAL = ["rule_method", "label", "kind"]
METHODS = (
    "none",
    "governing",
    "claim",
    "according",
    "dash",
    "colon_name",
    "colon",
    "sentence",
    "following",
    "continued",
    "previous_sentence",
    "learned",
)
KINDS = ("full", "partial", "indirect")
LABELS = ("none", "PERSON", "ORG", "GPE", "NORP", "other")


@dataclass
class _Mention:
    start: int
    end: int
    token: int
    subject: bool
    speech_subject: bool
    reference: bool  # a pronoun or description resolved to the entity, not its name
    object_: bool
    sentence: int = 0
    paragraph: int = 0


@dataclass
class SpeakerContext:
    """One article's lookups for speaker features, made once and shared by all its quotes."""

    doc: Doc
    entities: ArticleEntities
    quoted: Ranges
    attributions: list[Attribution]
    rule_counts: dict[str, int] = field(default_factory=dict)  # entity id -> quotes the rules gave it
    quotes_total: int = 0
    mentions: dict[str, list[_Mention]] = field(default_factory=dict)  # entity id -> body mentions in order
    starts: dict[str, list[int]] = field(default_factory=dict)  # entity id -> its mentions' starts
    speech_subjects: dict[str, int] = field(default_factory=dict)  # entity id -> mentions subject of speech
    person_mentions: int = 1
    by_id: dict[str, Entity] = field(default_factory=dict)
    paragraphs: list[int] = field(default_factory=list)  # paragraph start offsets
    paragraph_ends: list[int] = field(default_factory=list)
    title_ids: set[str] = field(default_factory=set)

    @classmethod
    def build(
        cls, doc: Doc, entities: ArticleEntities, quoted: Ranges, attributions: list[Attribution]
    ) -> SpeakerContext:
        ctx = cls(doc, entities, quoted, attributions)
        tokens = doc_index(doc).tokens
        paragraphs = paragraph_ranges(doc_index(doc).text)
        ctx.paragraphs = [s for s, _ in paragraphs] or [0]
        ctx.paragraph_ends = [e for _, e in paragraphs] or [len(doc_index(doc).text)]

        def mention(token_i: int, start: int, end: int, reference: bool) -> _Mention:
            t = tokens[token_i]
            root = t
            subject = root.dep_ in ("nsubj", "nsubjpass") or (
                root.dep_ in ("compound", "appos") and root.head.dep_ in ("nsubj", "nsubjpass")
            )
            head = root.head if root.dep_ in ("nsubj", "nsubjpass") else root.head.head
            speech = subject and head.lemma_.lower() in SPEECH_LEMMAS
            object_ = root.dep_ in ("dobj", "dative", "pobj") and root.head.lemma_.lower() in SPEECH_LEMMAS | {"to"}
            return _Mention(start, end, token_i, subject, speech, reference, object_)

        for e in list(entities.entities):
            if e.label not in SPEAKER_LABELS:
                continue
            # A capital or seat of government speaking is its country ("Beijing argued").
            actor = entities.as_actor(e) if e.place_kind in ("capital", "seat") else e
            ctx.by_id[actor.id] = actor
            found = ctx.mentions.setdefault(actor.id, [])
            for m in e.mentions:
                if m.field != "text":
                    ctx.title_ids.add(actor.id)
                    continue
                if m.token_end <= m.token_start:
                    continue
                span = doc[m.token_start : m.token_end]
                found.append(mention(span.root.i, m.start, m.end, False))
        for token_i, e in entities.links.items():
            if e is None:
                continue
            actor = entities.as_actor(e) if e.place_kind in ("capital", "seat") else e
            if actor.id not in ctx.mentions:
                continue
            t = tokens[token_i]
            ctx.mentions[actor.id].append(mention(token_i, t.idx, t.idx + len(t.text), True))
        for eid, found in ctx.mentions.items():
            found.sort(key=lambda m: m.start)
            for m in found:
                m.sentence, m.paragraph = ctx.sentence_of(m.start), ctx.paragraph_of(m.start)
            ctx.starts[eid] = [m.start for m in found]
            ctx.speech_subjects[eid] = sum(1 for m in found if m.speech_subject)
        ctx.person_mentions = sum(len(f) for eid, f in ctx.mentions.items() if ctx.by_id[eid].label == "PERSON") or 1
        return ctx

    def last_before(self, entity_id: str, offset: int) -> tuple[_Mention | None, int]:
        """The entity's last mention ending at or before `offset`, and how many end there."""
        found = self.mentions.get(entity_id, [])
        k = bisect.bisect_left(self.starts.get(entity_id, []), offset)
        count = k
        while k > 0 and found[k - 1].end > offset:
            k -= 1
        # mentions starting before `offset` but ending after it do not count as before
        count = sum(1 for m in found[:count] if m.end <= offset)
        return (found[k - 1] if k > 0 else None), count

    def between(self, entity_id: str, start: int, end: int) -> list[_Mention]:
        found = self.mentions.get(entity_id, [])
        starts = self.starts.get(entity_id, [])
        return found[bisect.bisect_left(starts, start) : bisect.bisect_left(starts, end)]

    def paragraph_of(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self.paragraphs, offset) - 1)

    def sentence_of(self, offset: int) -> int:
        return doc_index(self.doc).sentence_at(offset)


def covering_attribution(attributions: list[Attribution], open_at: int, end: int) -> Attribution | None:
    """The attribution whose content holds the span [open_at, end), the most confident first; not
    one whose cue lies inside the span (it speaks for someone the quote itself quotes)."""
    best: tuple[float, Attribution] | None = None
    for a in attributions:
        if a.content is None or not (a.content[0] <= open_at + 1 and end <= a.content[1]):
            continue
        if a.cue[0] >= open_at and a.cue[1] <= end:
            continue
        score = a.cue_confidence * a.content_confidence
        if best is None or score > best[0]:
            best = (score, a)
    return best[1] if best else None


@dataclass
class Evidence:
    """What is known of one quote before its speaker is chosen."""

    start: int  # the quote's text, marks excluded
    end: int
    open_at: int  # its opening mark (start for reported speech)
    close_at: int  # after its closing mark
    kind: str
    method: str  # the rule that found the rules' speaker
    rule_speaker: Entity | None
    attribution: Attribution | None
    learned_speaker: Entity | None
    previous_speaker: Entity | None  # the rules' speaker of the quote before
    previous_gap: int  # paragraphs since the quote before (99: none)


def evidence_for(
    ctx: SpeakerContext,
    start: int,
    end: int,
    open_at: int,
    close_at: int,
    kind: str,
    method: str,
    rule_speaker: Entity | None,
    previous_speaker: Entity | None,
    previous_gap: int,
    attribution: Attribution | None = None,
) -> Evidence:
    if attribution is None:
        attribution = covering_attribution(ctx.attributions, open_at, close_at)
    learned = None
    if attribution is not None and attribution.source_i is not None:
        learned = resolve(doc_index(ctx.doc).tokens[attribution.source_i], ctx.entities, ctx.quoted)
    return Evidence(
        start, end, open_at, close_at, kind, method, rule_speaker, attribution, learned, previous_speaker, previous_gap
    )


def count_rule_speakers(ctx: SpeakerContext, evidences: list[Evidence]) -> None:
    """How many of the article's quotes the rules give each entity: who the article quotes most."""
    ctx.quotes_total = len(evidences)
    ctx.rule_counts = {}
    for ev in evidences:
        if ev.rule_speaker is not None:
            ctx.rule_counts[ev.rule_speaker.id] = ctx.rule_counts.get(ev.rule_speaker.id, 0) + 1


def _source_pronoun(ctx: SpeakerContext, ev: Evidence) -> str | None:
    """The pronoun heading the quote's source, when it is one ("he said")."""
    att = ev.attribution
    if att is not None and att.source_i is not None:
        t = doc_index(ctx.doc).tokens[att.source_i]
        if t.pos_ == "PRON":
            return t.lower_
    return None


def candidates(ctx: SpeakerContext, ev: Evidence) -> list[Entity]:
    """The entities named or referred to from a few paragraphs before the quote to just after it,
    nearest first, and the rules' and the model's speakers in any case."""
    window_start = ctx.paragraphs[max(0, ctx.paragraph_of(ev.open_at) - WINDOW_PARAGRAPHS)]
    window_end = ev.close_at + AFTER_CHARS
    scored: list[tuple[int, Entity]] = []
    for entity_id in ctx.mentions:
        near = [
            m for m in ctx.between(entity_id, window_start, window_end) if not (ev.open_at <= m.start < ev.close_at)
        ]
        if not near:
            continue
        distance = min(abs(ev.open_at - m.end) if m.start < ev.open_at else m.start - ev.close_at for m in near)
        scored.append((distance, ctx.by_id[entity_id]))
    scored.sort(key=lambda de: (de[0], de[1].id))
    out = [e for _, e in scored if can_speak(e)][:MAX_CANDIDATES]
    for extra in (ev.rule_speaker, ev.learned_speaker, ev.previous_speaker):
        if extra is not None and extra not in out and can_speak(extra):
            out.append(extra)
    return out


def can_speak(entity: Entity) -> bool:
    """Towns and regions do not speak (the guideline's speakers are people, organisations and
    governments; "Moscow said" is Russia): "Police in Plymouth said" is the police's, not Plymouth's."""
    if entity.label != "GPE" or entity.place_kind in ("country", "capital", "seat"):
        return True
    if entity.place_kind == "city":
        return False
    return not (entity.place_kind is None and load_gazetteer().subdivision(entity.canonical))


def _code(value: str, choices: tuple[str, ...]) -> float:
    return float(choices.index(value)) if value in choices else float(len(choices))


def rows_for(ctx: SpeakerContext, ev: Evidence, cands: list[Entity]) -> list[list[float]]:
    """One row per candidate (columns SPEAKER_COLUMNS), then one for "nobody named"."""
    text = doc_index(ctx.doc).text
    index = doc_index(ctx.doc)
    q_sentence = ctx.sentence_of(ev.open_at)
    q_last_sentence = ctx.sentence_of(max(ev.open_at, ev.close_at - 1))
    q_paragraph = ctx.paragraph_of(ev.open_at)
    p_start, p_end = ctx.paragraphs[q_paragraph], ctx.paragraph_ends[q_paragraph]
    starts_paragraph = float(not text[p_start : ev.open_at].strip())
    whole_paragraph = float(starts_paragraph and not text[ev.close_at : p_end].strip(" .,\n”\"'’"))
    a, b = index.token_range(ev.start, ev.end)
    quote_tokens = math.log1p(max(0, b - a))
    kind = _code(ev.kind, KINDS)
    method = _code(ev.method, METHODS)
    att = ev.attribution
    has_learned = float(att is not None)
    learned_conf = att.source_confidence if att is not None else 0.0
    cue_conf = att.cue_confidence if att is not None else 0.0
    has_rule = float(ev.rule_speaker is not None)
    # Rankings among the candidates: by how often the article names them, by how recently.
    counts = {e.id: len(ctx.mentions.get(e.id, [])) for e in cands}
    by_count = {eid: r for r, eid in enumerate(sorted(counts, key=lambda i: (-counts[i], i)))}
    last_before: dict[str, _Mention | None] = {}
    before_count: dict[str, int] = {}
    for e in cands:
        last_before[e.id], before_count[e.id] = ctx.last_before(e.id, ev.open_at)
    recency = sorted(cands, key=lambda e: -(last_before[e.id].start if last_before[e.id] else -1))
    by_recency = {e.id: r for r, e in enumerate(recency)}
    pronoun = _source_pronoun(ctx, ev)
    pronoun_gender = PRONOUN_GENDER.get(pronoun or "")
    person_mentions = ctx.person_mentions
    quotes_total = max(1, ctx.quotes_total)
    rows = []
    for e in cands:
        found = ctx.mentions.get(e.id, [])
        last = last_before[e.id]
        after = ctx.between(e.id, ev.close_at, ev.close_at + AFTER_CHARS)
        first_after = after[0] if after else None
        inside = bool(ctx.between(e.id, ev.open_at, ev.close_at))
        label = e.label if e.label in LABELS else "other"
        para_mentions = len(ctx.between(e.id, p_start, p_end))
        object_near = any(m.object_ and m.sentence in (q_sentence, q_sentence - 1) for m in found)
        rows.append(
            [
                0.0,
                float(ev.rule_speaker is e),
                float(ev.learned_speaker is e),
                method,
                has_rule,
                has_learned,
                learned_conf if ev.learned_speaker is e else 0.0,
                cue_conf,
                _code(label, LABELS),
                math.log1p(ev.open_at - last.end) if last else 10.0,
                float(q_sentence - last.sentence) if last else 99.0,
                float(q_paragraph - last.paragraph) if last else 99.0,
                float(first_after is not None and first_after.sentence == q_last_sentence),
                math.log1p(first_after.start - ev.close_at) if first_after else 10.0,
                float(last.subject) if last else 0.0,
                float(last.speech_subject) if last else 0.0,
                float(last.reference) if last else 0.0,
                float(inside),
                float(before_count[e.id]),
                float(len(found)),
                float(by_count[e.id]),
                float(by_recency[e.id]),
                float(ev.previous_speaker is e),
                float(ev.previous_gap),
                kind,
                quote_tokens,
                starts_paragraph,
                whole_paragraph,
                float(len(cands)),
                float(not found and e.id in ctx.title_ids),
                float(para_mentions),
                float(object_near),
                (ctx.rule_counts.get(e.id, 0) - float(ev.rule_speaker is e)) / quotes_total,
                float(ctx.speech_subjects.get(e.id, 0)),
                float(e.place_kind in ("city", "country", "capital", "seat") or e.label in ("LOC", "FAC")),
                float(e.label == "NORP" or e.place_kind == "demonym"),
                float(len(e.canonical.split())),
                float(all(w[:1].isupper() for w in e.canonical.split())),
                float(pronoun is not None),
                _gender_agreement(ctx, e, pronoun_gender),
                (len(found) / person_mentions) if e.label == "PERSON" else 0.0,
            ]
        )
    rows.append(
        [
            1.0,
            float(ev.rule_speaker is None),
            float(att is not None and ev.learned_speaker is None),
            method,
            has_rule,
            has_learned,
            learned_conf if ev.learned_speaker is None else 0.0,
            cue_conf,
            _code("none", LABELS),
            10.0,
            99.0,
            99.0,
            0.0,
            10.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            99.0,
            99.0,
            float(ev.previous_speaker is None),
            float(ev.previous_gap),
            kind,
            quote_tokens,
            starts_paragraph,
            whole_paragraph,
            float(len(cands)),
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            float(pronoun is not None),
            0.0,
            0.0,
        ]
    )
    return rows


def _gender_agreement(ctx: SpeakerContext, e: Entity, gender: str | None) -> float:
    """+1 when the source pronoun's gender is the one known for the candidate, -1 when it is not
    (a country or an organisation is never "he" or "she"), 0 when nothing is known."""
    if gender is None:
        return 0.0
    if e.label != "PERSON":
        return -1.0
    known = ctx.entities.gender.get(e.id)
    return 0.0 if known is None else (1.0 if known == gender else -1.0)


# Rules trusted over the model where they are exact and the data for learning them is thin:
# "according to X", a claim's author, a colon after a speech verb or a name, a dash line. On the
# gold's out-of-fold predictions the rules were right more often than the model on each of these.
EXACT_METHODS = ("according", "claim", "colon", "colon_name", "dash")


@dataclass
class Choice:
    speaker: Entity | None
    confidence: float  # calibrated: that the speaker (or "nobody named") is right
    share: float  # the model's own share of the scores, before calibration
    mention: tuple[int, int] | None  # the mention that attributes it
    cue: tuple[int, int] | None


def calibrate(share: float, calibration: dict | None) -> float:
    if not calibration:
        return share
    return float(numpy.interp(share, calibration["x"], calibration["y"]))


def choose(ctx: SpeakerContext, evidences: list[Evidence], model) -> list[Choice]:
    """The speaker of each quote; one model call for the whole article."""
    count_rule_speakers(ctx, evidences)
    groups = []
    cand_lists = []
    for ev in evidences:
        cands = candidates(ctx, ev)
        cand_lists.append(cands)
        groups.append(rows_for(ctx, ev, cands))
    flat = [r for g in groups for r in g]
    if "speaker" in model.boosters:
        scores = model.predict("speaker", flat) if flat else numpy.zeros(0)
    else:  # a model file from before the speaker model (training its first stage): the rules decide
        scores = numpy.asarray([r[SPEAKER_COLUMNS.index("is_rule")] + 0.5 * r[0] * (1 - r[4]) for r in flat])
    out = []
    k = 0
    calibration = model.calibration.get("speaker") if model.calibration else None
    exact = model.calibration.get("exact_rules", {}) if model.calibration else {}
    for ev, cands, g in zip(evidences, cand_lists, groups, strict=False):
        s = scores[k : k + len(g)]
        k += len(g)
        if ev.method in EXACT_METHODS and ev.kind != "indirect":
            speaker = ev.rule_speaker
            share = float(s[cands.index(speaker)] if speaker in cands else s[-1]) / (float(s.sum()) or 1.0)
            confidence = exact.get(ev.method, calibrate(share, calibration))
        else:
            best = int(s.argmax())
            share = float(s[best] / (float(s.sum()) or 1.0))
            speaker = cands[best] if best < len(cands) else None
            confidence = calibrate(share, calibration)
        out.append(Choice(speaker, confidence, share, _mention_of(ctx, ev, speaker), _cue_of(ev, speaker)))
    return out


def _mention_of(ctx: SpeakerContext, ev: Evidence, speaker: Entity | None) -> tuple[int, int] | None:
    """The source phrase the model found when it is this speaker's, else the speaker's mention
    nearest the quote (before it, or after it in its sentence)."""
    if speaker is None:
        return None
    att = ev.attribution
    if att is not None and att.source is not None and ev.learned_speaker is speaker:
        return att.source
    found = ctx.mentions.get(speaker.id, [])
    before = [m for m in found if m.end <= ev.open_at]
    after = [m for m in found if m.start >= ev.close_at]
    if before and (not after or ev.open_at - before[-1].end <= after[0].start - ev.close_at):
        return (before[-1].start, before[-1].end)
    if after:
        return (after[0].start, after[0].end)
    return None


def _cue_of(ev: Evidence, speaker: Entity | None) -> tuple[int, int] | None:
    att = ev.attribution
    if att is not None and (ev.learned_speaker is speaker or ev.rule_speaker is not speaker):
        return att.cue
    return None
