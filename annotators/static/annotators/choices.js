// Label choice for image and text classification (single, multi-label or ordinal).
//
// DOM: root [data-annotator] with data-multi-label="true|false", data-min-labels, data-max-labels;
// [data-role="choices"] input[name="_ann_label"][data-index] (radio or checkbox, value = label).
// Answer: {"label": "..."} or {"labels": [...]} in the labels' order.

import { connect } from "./common.js";

export function mountChoices(root) {
  const multi = root.dataset.multiLabel === "true";
  const least = Number(root.dataset.minLabels || 1);
  const most = Number(root.dataset.maxLabels || 1);
  const inputs = [...root.querySelectorAll('[data-role="choices"] input')];

  const collect = () => {
    const chosen = inputs.filter((input) => input.checked).map((input) => input.value);
    if (!multi) {
      const problem = chosen.length ? null : { message: "Choose a label first (number keys pick one).", focus: inputs[0] };
      return { answer: chosen.length ? { label: chosen[0] } : {}, problem };
    }
    let problem = null;
    const labels = (n) => `${n} label${n === 1 ? "" : "s"}`;
    if (chosen.length < least) problem = { message: `Choose at least ${labels(least)}.`, focus: inputs[0] };
    if (chosen.length > most) problem = { message: `Choose at most ${labels(most)}.`, focus: inputs[0] };
    return { answer: { labels: chosen }, problem };
  };

  const controller = connect(root, {
    collect,
    onKey(event, index) {
      const input = inputs[index];
      if (!input) return false;
      input.checked = multi ? !input.checked : true;
      input.focus({ preventScroll: true });
      controller.update();
      return true;
    },
  });
  return controller;
}
