// Pairwise comparison: which of A and B (or a tie, when allowed).
//
// DOM (pairwise.html): root [data-annotator="pairwise"]; .ann-candidate[data-side="a"|"b"] each holding
//   input[name="_ann_choice"][value="a"|"b"]; input[value="tie"] when ties are allowed.
// Keys: 1 = A, 2 = B, 3 = tie; ← / → pick A / B.
// Answer: {"choice": "a" | "b" | "tie"}.

import { autoMount, connect } from "./common.js";

export function mount(root) {
  const inputs = [...root.querySelectorAll('input[name="_ann_choice"]')];

  const collect = () => {
    const chosen = inputs.find((input) => input.checked);
    const problem = chosen ? null : { message: "Choose one first (1 or 2).", focus: inputs[0] };
    return { answer: chosen ? { choice: chosen.value } : {}, problem };
  };

  const pick = (input) => {
    input.checked = true;
    input.focus({ preventScroll: true });
    controller.update();
    return true;
  };

  const controller = connect(root, {
    collect,
    onKey(event, index) {
      if (inputs[index]) return pick(inputs[index]);
      if (event.target.type === "radio") return false; // radios move with the arrow keys themselves
      if (event.key === "ArrowLeft") return pick(inputs[0]);
      if (event.key === "ArrowRight") return pick(inputs[1]);
      return false;
    },
  });
  return controller;
}

autoMount("pairwise", mount);
