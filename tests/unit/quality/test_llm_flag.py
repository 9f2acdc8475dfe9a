"""The LLM-answer flag without a server: text artefacts and style, the text model file, page
telemetry as evidence, similarity, and the combined probability, band and reasons."""

import numpy as np
import pandas as pd
import pytest

from quality.llm import (
    BEHAVIOUR,
    AnswerContext,
    TextModel,
    artefacts,
    behaviour_evidence,
    default_model,
    flag_many,
    score_frame,
    similarity,
    train,
)
from quality.llm.text import STYLE_NAMES, style, style_drift

LLM_ANSWER = ("Certainly! Watermelon seeds are generally safe to eat. When swallowed, they typically pass "
              "through the digestive system without causing harm. Additionally, they contain nutrients such "
              "as protein and healthy fats. However, it is important to note that eating a large amount may "
              "cause discomfort. I hope this helps!")
HUMAN_ANSWER = "nothing really, they just go through you. my gran used to say a melon would grow lol"


def test_artefacts_name_llm_phrases_and_formatting_a_plain_field_would_not_have():
    text = "**Summary**\n- first point\n- second point\nIt's worth noting this \u2014 as an AI, I can't."
    found = artefacts(text)
    assert {"Markdown bold or headings", "a bulleted or numbered list", "typographic dashes", "as an ai",
            "it is important to note"} <= set(found)
    assert artefacts(HUMAN_ANSWER) == []


def test_style_measures_are_rates_not_length():
    short, doubled = style(HUMAN_ANSWER), style(HUMAN_ANSWER + " " + HUMAN_ANSWER)
    assert len(short) == len(STYLE_NAMES)
    rates = [i for i, name in enumerate(STYLE_NAMES) if "per" in name]
    assert np.allclose(short[rates], doubled[rates], atol=0.02)


def test_style_drift_needs_three_earlier_answers_and_grows_with_a_change_of_voice():
    earlier = ["ok its fine i guess", "meh not great tbh", "its alright, bit slow", "nah didnt like it much"]
    assert style_drift(LLM_ANSWER, earlier[:2]) is None
    assert style_drift(LLM_ANSWER, earlier).distance > style_drift("its ok, kinda slow", earlier).distance


def test_similarity_is_1_for_the_same_text_and_low_for_unrelated_ones():
    assert similarity("The Cat sat.", "the  cat sat.") == pytest.approx(1.0)
    assert similarity(LLM_ANSWER, HUMAN_ANSWER) < 0.5
    assert similarity("", "anything") == 0.0


def _signals(**values):
    return {"pastes": 0, "pasted_chars": 0, "pastes_from_page": 0, "pasted_chars_from_page": 0,
            "typed_chars": 0, "active_typing_ms": 0, "deletions": 0, "pastes_after_return": 0} | values


def test_pasting_from_outside_the_page_is_evidence_and_quoting_the_page_is_not():
    length = len(LLM_ANSWER)
    outside = behaviour_evidence(LLM_ANSWER, _signals(pastes=1, pasted_chars=length))
    quoted = behaviour_evidence(LLM_ANSWER, _signals(pastes=1, pasted_chars=length, pastes_from_page=1,
                                                      pasted_chars_from_page=length))
    assert [(e.log_odds, e.reason) for e in outside] == \
        [(BEHAVIOUR["pasted_outside_most"], f"{length:,} of {length:,} characters pasted from outside the page")]
    assert quoted == []


def test_version_1_signals_apportion_pasted_characters_by_pastes():
    evidence = behaviour_evidence("x" * 100, {"pastes": 2, "pastes_from_page": 1, "pasted_chars": 100})
    assert evidence[0].reason == "50 of 100 characters pasted from outside the page"


def test_typing_faster_than_a_person_and_typing_by_hand_are_told_apart():
    fast = behaviour_evidence("y" * 300, _signals(typed_chars=300, active_typing_ms=10_000))
    hand = behaviour_evidence("y" * 300, _signals(typed_chars=310, active_typing_ms=60_000, deletions=12))
    assert [e.reason for e in fast] == ["typed at 1,800 characters a minute"]
    assert [(e.log_odds, e.reason) for e in hand] == \
        [(BEHAVIOUR["typed_by_hand"], "typed by hand at 310 characters a minute with 12 corrections")]


def test_text_that_appears_without_typing_or_pasting_is_evidence():
    (evidence,) = behaviour_evidence("z" * 200, _signals(typed_chars=3, time_on_page_ms=9000))
    assert evidence.reason == "197 characters appeared without typing or pasting"
    assert behaviour_evidence("z" * 200, {"pastes": 0}) == []  # an API client that recorded no typing


def test_shipped_model_loads_and_separates_an_llm_answer_from_a_crowd_answer():
    model = default_model()
    llm, human = model.probability([LLM_ANSWER, HUMAN_ANSWER])
    assert llm > 0.9 and human < 0.1
    assert 0.5 < model.threshold < 1.0 and "reference_logit" in model.metadata


def test_flag_combines_families_into_a_band_with_reasons_strongest_first():
    model = default_model()
    paste = {"pastes": 1, "pasted_chars": len(LLM_ANSWER)}
    pasted, typed, copied = flag_many([
        AnswerContext(LLM_ANSWER, signals=paste),
        AnswerContext(HUMAN_ANSWER, signals={"typed_chars": 90, "active_typing_ms": 20_000, "deletions": 5}),
        AnswerContext(HUMAN_ANSWER + " and that is all", others=[HUMAN_ANSWER + " and that is all."]),
    ], model)
    assert pasted.band == "high" and pasted.reasons[0].startswith("wording typical of LLM output")
    assert f"{len(LLM_ANSWER)} of {len(LLM_ANSWER)} characters pasted from outside the page" in pasted.reasons
    assert any(r.startswith('uses the LLM phrase "') for r in pasted.reasons) and len(pasted.reasons) == 4
    assert typed.band == "low" and typed.probability < 0.1
    assert any("similar to another worker's answer" in e.reason for e in copied.evidence)


def test_reference_llm_answers_raise_the_probability_of_a_close_paraphrase():
    model = default_model()
    reference = LLM_ANSWER.replace("Certainly! ", "").replace(" I hope this helps!", "")
    with_ref, without = flag_many([AnswerContext(reference, references=[LLM_ANSWER]), AnswerContext(reference)],
                                  model)
    assert with_ref.probability > without.probability
    assert any("similar to a reference LLM answer" in r for r in with_ref.reasons)


def _corpus(n=60, seed=0):
    rng = np.random.default_rng(seed)
    human = ["i think its " + w + " tbh" for w in rng.choice(["fine", "ok", "bad", "slow", "great"], n)]
    llm = ["Certainly! It is generally " + w + ". However, it is important to note the details."
           for w in rng.choice(["beneficial", "adequate", "suboptimal", "efficient"], n)]
    return human + llm, [0] * n + [1] * n, [f"p{i % n}" for i in range(2 * n)], ["toy"] * (2 * n)


def test_trained_model_round_trips_through_its_file(tmp_path):
    texts, labels, groups, sets = _corpus()
    model = train(texts, labels, groups, sets, folds=3)
    path = tmp_path / "model.npz"
    model.save(path)
    again = TextModel.load(path)
    assert np.allclose(again.probability(texts[:5] + texts[-5:]), model.probability(texts[:5] + texts[-5:]),
                       atol=1e-5)
    assert again.threshold == model.threshold and again.metadata["texts"] == 120
    assert (model.probability(texts[-5:]) > model.probability(texts[:5]).max()).all()


def test_a_missing_or_foreign_model_file_is_named(tmp_path):
    with pytest.raises(ValueError, match="nothing.npz: cannot be read"):
        TextModel.load(tmp_path / "nothing.npz")
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match="other.npz"):
        TextModel.load(tmp_path / "other.npz")


def test_score_frame_uses_tasks_workers_references_and_telemetry():
    frame = pd.DataFrame({
        "text": [LLM_ANSWER, HUMAN_ANSWER, LLM_ANSWER],
        "task": ["t1", "t1", "t2"], "worker": ["w1", "w2", "w1"], "reference": ["", "", LLM_ANSWER],
        "pasted_chars": [str(len(LLM_ANSWER)), "0", ""], "pastes": ["1", "0", ""]})
    scored = score_frame(frame)
    assert list(scored.columns[-3:]) == ["llm_probability", "band", "reasons"]
    assert scored["band"].tolist()[:2] == ["high", "low"]
    assert "pasted from outside the page" in scored["reasons"][0]
    assert "similar to a reference LLM answer" in scored["reasons"][2]


@pytest.mark.parametrize(("column", "value", "message"), [
    ("pasted_chars", "many", "line 2: pasted_chars must be a number, got 'many'"),
    ("typed_chars", "-4", "line 2: typed_chars must not be negative"),
])
def test_score_frame_names_a_bad_telemetry_value(column, value, message):
    with pytest.raises(ValueError, match=message):
        score_frame(pd.DataFrame({"text": ["hello"], column: [value]}))


def test_score_frame_needs_a_text_column():
    with pytest.raises(ValueError, match="missing column text"):
        score_frame(pd.DataFrame({"answer": ["hello"]}))


def test_training_is_reproducible():
    texts, labels, groups, sets = _corpus(n=30, seed=3)
    first, second = train(texts, labels, groups, sets, folds=3), train(texts, labels, groups, sets, folds=3)
    assert np.array_equal(first.char_coef, second.char_coef) and np.array_equal(first.style_coef, second.style_coef)
    assert (first.intercept, first.calibration, first.threshold) == (second.intercept, second.calibration,
                                                                     second.threshold)
