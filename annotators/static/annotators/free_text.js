// Free-text response: answer a question, summarise a text or transcribe an image.
//
// DOM (free_text.html): root [data-annotator="free_text"] data-mode, data-min-length, data-max-length;
//   [data-role="input"] the textarea (or input[type=text]) named _ann_text; [data-role="counter"] the
//   character count. Ctrl/Cmd+Enter submits from the textarea, Enter from a one-line input.
// Answer: {"text": "..."} trimmed; lengths count code points, as the server does.

import { autoMount, connect } from "./common.js";

export function mount(root) {
  const input = root.querySelector('[data-role="input"]');
  const counter = root.querySelector('[data-role="counter"]');
  const least = Number(root.dataset.minLength || 0), most = Number(root.dataset.maxLength || 5000);

  const collect = () => {
    const text = input.value.replace(/\r\n?/g, "\n").trim();
    const length = [...text].length;
    let problem = null;
    if (length < least) problem = { message: `Write at least ${least} characters (${length} so far).`, focus: input };
    else if (length > most) problem = { message: `Write at most ${most} characters (${length} now).`, focus: input };
    counter.textContent = `${length} / ${most} characters${least > 1 ? ` (at least ${least})` : ""}`;
    counter.dataset.state = problem && length > 0 ? "bad" : "ok";
    return { answer: { text }, problem };
  };

  return connect(root, { collect });
}

autoMount("free_text", mount);
