"""The LLM-answer flag: every family of evidence as log-odds, summed into a probability, a band and
the reasons in plain words.

The combiner is a sum of log-odds (naive Bayes over families, which are close to independent):

- text: the text model's calibrated logit (``quality.llm.model``); artefacts it found are named;
- similarity to the reference LLM answers of the item: a logistic fitted when the model was trained
  (character-trigram cosine; AUROC 0.96 alone on HC3, see benchmarks/README.md);
- behaviour (page telemetry), similarity to other workers' answers and drift from the worker's own
  earlier answers: fixed log-likelihood ratios, set by judgement because no labelled telemetry
  exists to fit them on (their values are in ``BEHAVIOUR``), documented here so a requester can
  read exactly what moves a score. Pasting most of an answer from outside the page is the
  strongest; pasting text that is on the task page (quoting) counts for nothing.

With text alone the probability is the calibrated text model's; the other families only move it.
An answer is flagged (band "high") at or above the model's threshold, chosen so that at most 1%
of human answers are flagged (``quality.llm.model``); "medium" starts at 0.5.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from quality.llm.model import TextModel
from quality.llm.text import BOILERPLATE as BOILERPLATE_PHRASES
from quality.llm.text import artefacts, similarity, style_drift

BEHAVIOUR = {
    "pasted_outside_most": 5.0,  # >= 80% of the answer pasted from outside the task page
    "pasted_outside_half": 2.5,  # >= 50%
    "pasted_outside_some": 1.0,  # >= 25%
    "typed_too_fast": 3.0,  # >= 1,200 typed characters a minute of typing: a script, not a person
    "appeared_untyped": 2.0,  # the text arrived without typing or pasting (an extension or a script)
    "paste_after_return": 1.0,  # pasted within 10 s of coming back to the page
    "typed_by_hand": -1.0,  # >= 90% typed at 100-700 characters a minute with corrections
    "like_another_answer": 2.5,  # >= 0.8 similar to another worker's answer on the same item
    "near_another_answer": 1.0,  # >= 0.6
    "style_drift": 1.0,  # written unlike the worker's earlier answers (mean |z| >= 3)
}
FAST_TYPING_CPM = 1200  # 240 words a minute: past the fastest typists, so a script or an autotyper
HUMAN_TYPING_CPM = (100, 700)
MIN_CHARS_FOR_SIMILARITY = 80
MEDIUM = 0.5


@dataclass(frozen=True)
class Evidence:
    family: str  # "text", "behaviour", "reference", "others", "drift"
    log_odds: float
    reason: str


@dataclass(frozen=True)
class AnswerContext:
    """One answer and what surrounds it: the page signals (``annotators.signals`` fields), other
    workers' answers to the same item, the requester's reference LLM answers for the item and the
    worker's earlier answers."""

    text: str
    signals: Mapping[str, int | None] | None = None
    others: Sequence[str] = ()
    references: Sequence[str] = ()
    earlier: Sequence[str] = ()


@dataclass(frozen=True)
class Flag:
    probability: float
    band: str  # "low", "medium" or "high" (flagged)
    reasons: list[str]
    evidence: list[Evidence] = field(default_factory=list)


def _count(signals: Mapping[str, int | None], name: str) -> int:
    return int(signals.get(name) or 0)


def _outside_chars(signals: Mapping[str, int | None]) -> int:
    """Pasted characters whose text is not on the task page (version 1 signals count pastes from
    the page but not their characters: those are apportioned by the number of pastes)."""
    pasted = _count(signals, "pasted_chars")
    if "pasted_chars_from_page" in signals:
        return max(pasted - _count(signals, "pasted_chars_from_page"), 0)
    pastes = _count(signals, "pastes")
    return pasted if pastes == 0 else round(pasted * (pastes - _count(signals, "pastes_from_page")) / pastes)


def behaviour_evidence(text: str, signals: Mapping[str, int | None] | None) -> list[Evidence]:
    """What the page telemetry says about how ``text`` got into the field."""
    length = len(text.strip())
    if not signals or length == 0:
        return []
    found: list[Evidence] = []
    outside = min(_outside_chars(signals), length)
    share = outside / length
    for key, floor in (("pasted_outside_most", 0.8), ("pasted_outside_half", 0.5), ("pasted_outside_some", 0.25)):
        if share >= floor:
            found.append(Evidence("behaviour", BEHAVIOUR[key],
                                  f"{outside:,} of {length:,} characters pasted from outside the page"))
            break
    typed = _count(signals, "typed_chars") if "typed_chars" in signals else _count(signals, "keystrokes")
    typing_ms = _count(signals, "active_typing_ms")
    speed = typed / (typing_ms / 60_000) if typing_ms >= 2000 else None
    if speed is not None and typed >= 50 and speed >= FAST_TYPING_CPM:
        found.append(Evidence("behaviour", BEHAVIOUR["typed_too_fast"], f"typed at {speed:,.0f} characters a minute"))
    if _count(signals, "pastes_after_return") and share >= 0.25:
        found.append(Evidence("behaviour", BEHAVIOUR["paste_after_return"],
                              "pasted right after coming back to the page"))
    recorded_typing = ("typed_chars" in signals or "keystrokes" in signals) and "time_on_page_ms" in signals
    if recorded_typing and _count(signals, "pasted_chars") == 0 and typed < 0.5 * length and length >= 50:
        found.append(Evidence("behaviour", BEHAVIOUR["appeared_untyped"],
                              f"{length - typed:,} characters appeared without typing or pasting"))
    low, high = HUMAN_TYPING_CPM
    deletions = _count(signals, "deletions")
    if speed is not None and typed >= 0.9 * length and deletions >= 3 and low <= speed <= high:
        found.append(Evidence("behaviour", BEHAVIOUR["typed_by_hand"],
                              f"typed by hand at {speed:,.0f} characters a minute with {deletions} corrections"))
    return found


def similarity_evidence(text: str, others: Sequence[str], references: Sequence[str],
                        model: TextModel) -> list[Evidence]:
    """How close the answer is to other workers' answers and to reference LLM answers."""
    found: list[Evidence] = []
    if references:
        closest = max(similarity(text, ref) for ref in references)
        a, b = model.metadata.get("reference_logit", (8.0, -5.0))
        found.append(Evidence("reference", float(np.clip(a * closest + b, -2.0, 4.0)),
                              f"{closest:.0%} similar to a reference LLM answer for this item"))
    if others and len(text) >= MIN_CHARS_FOR_SIMILARITY:
        closest = max(similarity(text, other) for other in others)
        for key, floor in (("like_another_answer", 0.8), ("near_another_answer", 0.6)):
            if closest >= floor:
                found.append(Evidence("others", BEHAVIOUR[key], f"{closest:.0%} similar to another worker's answer"))
                break
    return found


def _text_evidence(text: str, logit: float, model: TextModel) -> list[Evidence]:
    probability = 1.0 / (1.0 + math.exp(-logit))
    reason = f"wording typical of LLM output (text model {probability:.2f})" if logit > 0 else \
        f"wording typical of people (text model {probability:.2f})"
    found = [Evidence("text", logit, reason)]
    found += [Evidence("text", 0.0, f'uses the LLM phrase "{name}"' if name in BOILERPLATE_PHRASES
                       else f"{name} in a plain-text field") for name in artefacts(text)]
    if logit > 0:
        found += [Evidence("text", 0.0, f"style: {name} like LLM output")
                  for name, _ in model.style_contributions(text)[:1]]
    return found


def _band(probability: float, threshold: float) -> str:
    if probability >= threshold:
        return "high"
    return "medium" if probability >= MEDIUM else "low"


def flag_many(contexts: Sequence[AnswerContext], model: TextModel, *, max_reasons: int = 4) -> list[Flag]:
    """Flags for many answers (the text model runs once over all of them)."""
    logits = model.logit([c.text for c in contexts]) if contexts else np.zeros(0)
    flags = []
    for context, logit in zip(contexts, logits, strict=True):
        evidence = _text_evidence(context.text, float(logit), model)
        evidence += behaviour_evidence(context.text, context.signals)
        evidence += similarity_evidence(context.text, context.others, context.references, model)
        drift = style_drift(context.text, context.earlier)
        if drift is not None and drift.distance >= 3.0:
            evidence.append(Evidence("drift", BEHAVIOUR["style_drift"],
                                     f"written unlike the worker's {drift.earlier} earlier answers"))
        probability = 1.0 / (1.0 + math.exp(-sum(e.log_odds for e in evidence)))
        flags.append(Flag(probability, _band(probability, model.threshold),
                          _reasons(evidence, probability)[:max_reasons], evidence))
    return flags


def _reasons(evidence: list[Evidence], probability: float) -> list[str]:
    """For a suspect answer, what pushed it up, strongest first, then the artefacts the text shows;
    otherwise the strongest evidence either way."""
    ordered = sorted(evidence, key=lambda e: -abs(e.log_odds))
    if probability >= MEDIUM:
        return [e.reason for e in ordered if e.log_odds > 0] + [e.reason for e in evidence if e.log_odds == 0]
    return [e.reason for e in ordered if e.log_odds != 0]
