// Survey: Likert scales, multiple choice and free text, one fieldset per question.
//
// DOM (survey.html): root [data-annotator="survey"]; fieldset[data-question-id][data-kind] per question
//   (data-kind is likert, multiple_choice or free_text; data-required, data-number, data-multiple,
//   data-min-choices, data-max-choices, data-min-length, data-max-length), holding input[name="_ann_q_<n>"]
//   radios / check boxes (value = the option, or the Likert point) or [data-role="input"] for text.
// Keys: number keys answer the question holding the focus (else the first unanswered one); after a
//   single choice the focus moves on to the next question.
// Answer: {"answers": {question id: value}}; unanswered optional questions are left out.

import { autoMount, connect } from "./common.js";

export function mount(root) {
  const questions = [...root.querySelectorAll("fieldset[data-question-id]")];

  const read = (fieldset) => {
    const { kind, multiple } = fieldset.dataset;
    if (kind === "free_text") {
      const text = fieldset.querySelector('[data-role="input"]').value.replace(/\r\n?/g, "\n").trim();
      return text === "" ? undefined : text;
    }
    const checked = [...fieldset.querySelectorAll("input:checked")].map((input) => input.value);
    if (kind === "likert") return checked.length ? Number(checked[0]) : undefined;
    if (multiple === "true") return checked.length ? checked : undefined;
    return checked[0];
  };

  const problemOf = (fieldset, value) => {
    const data = fieldset.dataset, label = `Question ${data.number}`;
    if (value === undefined) return data.required === "true" ? `${label} needs an answer.` : null;
    if (data.kind === "free_text") {
      const length = [...value].length;
      if (length < Number(data.minLength)) return `${label}: write at least ${data.minLength} characters.`;
      if (length > Number(data.maxLength)) return `${label}: write at most ${data.maxLength} characters.`;
    }
    if (data.multiple === "true") {
      if (value.length < Number(data.minChoices)) return `${label}: choose at least ${data.minChoices}.`;
      if (value.length > Number(data.maxChoices)) return `${label}: choose at most ${data.maxChoices}.`;
    }
    return null;
  };

  const firstControl = (fieldset) =>
    fieldset.querySelector("input:checked") || fieldset.querySelector("input, textarea");

  const collect = () => {
    const answers = {};
    let problem = null;
    for (const fieldset of questions) {
      const value = read(fieldset);
      if (value !== undefined) answers[fieldset.dataset.questionId] = value;
      const message = problemOf(fieldset, value);
      if (message && !problem) problem = { message, focus: firstControl(fieldset) };
    }
    return { answer: { answers }, problem };
  };

  const controller = connect(root, {
    collect,
    onKey(event, index) {
      if (index < 0) return false;
      const current = event.target.closest?.("fieldset[data-question-id]")
        || questions.find((fieldset) => read(fieldset) === undefined && fieldset.dataset.kind !== "free_text");
      const input = current?.querySelectorAll("input")[index];
      if (!input || current.dataset.kind === "free_text") return false;
      input.checked = input.type === "checkbox" ? !input.checked : true;
      controller.update();
      const next = questions[questions.indexOf(current) + 1];
      (input.type === "radio" && next ? firstControl(next) : input).focus();
      return true;
    },
  });
  return controller;
}

autoMount("survey", mount);
