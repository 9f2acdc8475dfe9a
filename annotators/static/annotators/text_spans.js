// Text spans (named entities): select text with the mouse or the keyboard, give it a type, remove spans.
//
// DOM (text_spans.html):
//   root [data-annotator="text_spans"] data-allow-overlap, data-snap-to-words, data-min-spans, data-max-spans
//   [data-role="types"] button[data-label][data-index]   entity types (number keys 1-9, 0)
//   [data-role="source"]   the exact text as JSON (offsets refer to it, not to the HTML-normalised copy)
//   [data-role="text"]     the text, focusable, rebuilt as span.ann-seg[data-s][data-e] (UTF-16 offsets);
//                          labelled segments carry data-labels, the selection .is-pending
//   [data-role="selection"] what is selected;  [data-role="span-list"] > li[data-index] with
//                          button[data-action="remove"]
// Keys in the text: ← → move word by word, Shift extends, Home / End; anywhere: number keys type the
// selection, Delete removes the spans under it, Esc clears it.
// Answer: {"spans": [[start, end, label], ...]} in code points (Python's str indexing), end exclusive.

import { autoMount, connect, h } from "./common.js";

const WORD = /[\p{L}\p{N}\p{M}_]+|[^\s\p{L}\p{N}\p{M}_]/gu;

export function mount(root) {
  const $ = (role) => root.querySelector(`[data-role="${role}"]`);
  const textElement = $("text"), source = $("source"), status = $("selection");
  const list = $("span-list"), empty = $("no-spans");
  const typeButtons = [...root.querySelectorAll('[data-role="types"] button[data-label]')];
  const labels = typeButtons.map((button) => button.dataset.label);
  const allowOverlap = root.dataset.allowOverlap === "true", snap = root.dataset.snapToWords !== "false";
  const minSpans = Number(root.dataset.minSpans || 0), maxSpans = Number(root.dataset.maxSpans || 500);
  const text = source ? JSON.parse(source.textContent) : "";
  const codePoints = codePointIndex(text);
  const words = [...text.matchAll(WORD)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  const spans = []; // {start, end, label} in UTF-16 offsets
  let pending = null; // {start, end}
  let anchor = -1, focusWord = -1; // keyboard selection, as word indexes

  const collect = () => {
    const answer = { spans: spans.map((s) => [codePoints[s.start], codePoints[s.end], s.label]) };
    let problem = null;
    if (!textElement) problem = { message: "This HIT has no text to annotate; return it." };
    else if (spans.length < minSpans) {
      problem = { message: `Mark at least ${minSpans} span${minSpans === 1 ? "" : "s"}.`, focus: textElement };
    }
    else if (spans.length > maxSpans) problem = { message: `Mark at most ${maxSpans} spans.` };
    return { answer, problem };
  };

  // --- rendering ---------------------------------------------------------------------------------
  const quote = (start, end) => {
    const piece = text.slice(start, end);
    return `“${piece.length > 80 ? `${piece.slice(0, 77)}…` : piece}”`;
  };
  const colour = (label) => `ann-color-${labels.indexOf(label) % 10}`;

  const render = () => {
    if (!textElement) return;
    const cuts = new Set([0, text.length]);
    for (const w of words) cuts.add(w.start).add(w.end);
    for (const s of spans) cuts.add(s.start).add(s.end);
    const points = [...cuts].sort((a, b) => a - b);
    const segments = [];
    for (let i = 0; i + 1 < points.length; i += 1) {
      const [start, end] = [points[i], points[i + 1]];
      const covering = spans.filter((s) => s.start < end && s.end > start);
      const attributes = { class: "ann-seg", dataset: { s: start, e: end } };
      if (covering.length) {
        attributes.class += ` ${colour(covering[0].label)}`;
        attributes.dataset.labels = covering.map((s) => s.label).join(" ");
        attributes.title = covering.map((s) => s.label).join(", ");
        if (covering.length > 1) attributes.dataset.overlap = "";
      }
      segments.push(h("span", attributes, text.slice(start, end)));
    }
    textElement.replaceChildren(...segments);
    list.replaceChildren(...spans.map((span, index) => {
      const remove = h("button", { type: "button", class: "ann-button", dataset: { action: "remove" },
        "aria-label": `Remove ${span.label} ${quote(span.start, span.end)}`, text: "Remove" });
      remove.addEventListener("click", () => removeSpans([span]));
      return h("li", { class: colour(span.label), dataset: { index } },
        h("strong", { text: span.label }), h("span", { class: "ann-grow", text: quote(span.start, span.end) }), remove);
    }));
    empty.hidden = spans.length > 0;
    showPending();
    controller.update();
  };

  const showPending = () => {
    for (const segment of textElement?.children || []) {
      const inside = pending && Number(segment.dataset.s) >= pending.start && Number(segment.dataset.e) <= pending.end;
      segment.classList.toggle("is-pending", Boolean(inside));
    }
    status.textContent = pending
      ? `Selected ${quote(pending.start, pending.end)}: press a number key or click a type.`
      : "Select some text, then pick its type.";
  };

  // --- selection ---------------------------------------------------------------------------------
  const setPending = (start, end) => {
    while (start < end && /\s/.test(text[start])) start += 1;
    while (end > start && /\s/.test(text[end - 1])) end -= 1;
    if (snap) {
      const first = words.find((w) => w.start <= start && start < w.end);
      const last = words.find((w) => w.start < end && end <= w.end);
      if (first) start = first.start;
      if (last) end = last.end;
    }
    pending = start < end ? { start, end } : null;
    showPending();
  };

  const offsetOf = (node, offset) => {
    if (node.nodeType === Node.TEXT_NODE) return Number(node.parentElement.dataset.s) + offset;
    if (node === textElement) {
      const child = textElement.children[offset];
      return child ? Number(child.dataset.s) : text.length;
    }
    return offset === 0 ? Number(node.dataset.s) : Number(node.dataset.e);
  };

  const onSelectionChange = () => {
    const selection = window.getSelection();
    if (!selection.rangeCount) return;
    if (selection.isCollapsed) {
      // A click in the text drops a mouse selection; keyboard selections have no DOM range.
      if (anchor < 0 && pending && textElement.contains(selection.anchorNode)) {
        pending = null;
        showPending();
      }
      return;
    }
    const range = selection.getRangeAt(0);
    if (!range.intersectsNode(textElement)) return;
    const start = textElement.contains(range.startContainer) ? offsetOf(range.startContainer, range.startOffset) : 0;
    const end = textElement.contains(range.endContainer) ? offsetOf(range.endContainer, range.endOffset) : text.length;
    anchor = focusWord = -1;
    setPending(start, end);
  };

  const moveWord = (event) => {
    if (!words.length) return false;
    const last = words.length - 1;
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    let next;
    if (event.key === "Home") next = 0;
    else if (event.key === "End") next = last;
    else if (step) next = focusWord < 0 ? (step > 0 ? 0 : last) : Math.min(Math.max(focusWord + step, 0), last);
    else return false;
    focusWord = next;
    if (!event.shiftKey || anchor < 0) anchor = next;
    const [from, to] = [Math.min(anchor, focusWord), Math.max(anchor, focusWord)];
    window.getSelection().removeAllRanges();
    setPending(words[from].start, words[to].end);
    textElement.querySelector(`.ann-seg[data-s="${words[focusWord].start}"]`)?.scrollIntoView({ block: "nearest" });
    return true;
  };

  // --- spans -------------------------------------------------------------------------------------
  const apply = (label) => {
    if (!pending) {
      controller.refuse("Select some text first.", textElement);
      return;
    }
    const candidate = { ...pending, label };
    if (spans.some((s) => s.start === candidate.start && s.end === candidate.end && s.label === label)) {
      controller.refuse(`${quote(candidate.start, candidate.end)} is already marked as ${label}.`);
      return;
    }
    const clash = allowOverlap ? null : spans.find((s) => s.start < candidate.end && s.end > candidate.start);
    if (clash) {
      controller.refuse(`That overlaps ${quote(clash.start, clash.end)} (${clash.label}); remove it first.`);
      return;
    }
    if (spans.length >= maxSpans) {
      controller.refuse(`At most ${maxSpans} spans.`);
      return;
    }
    spans.push(candidate);
    spans.sort((a, b) => a.start - b.start || a.end - b.end || labels.indexOf(a.label) - labels.indexOf(b.label));
    pending = null;
    window.getSelection().removeAllRanges();
    render();
  };

  const removeSpans = (doomed) => {
    for (const span of doomed) spans.splice(spans.indexOf(span), 1);
    render();
  };

  const onKey = (event, index) => {
    if (index >= 0 && index < labels.length) {
      apply(labels[index]);
      return true;
    }
    if (textElement && event.target === textElement && moveWord(event)) return true;
    if (event.key === "Escape" && pending) {
      pending = null;
      anchor = focusWord = -1;
      window.getSelection().removeAllRanges();
      showPending();
      return true;
    }
    if ((event.key === "Delete" || event.key === "Backspace") && pending) {
      const under = spans.filter((s) => s.start < pending.end && s.end > pending.start);
      if (under.length) removeSpans(under);
      return true;
    }
    return false;
  };

  const controller = connect(root, { collect, onKey });
  const { signal } = controller;
  for (const button of typeButtons) {
    // Keep the text selection alive: a mouse press on a button would otherwise clear it.
    button.addEventListener("mousedown", (event) => event.preventDefault(), { signal });
    button.addEventListener("click", () => apply(button.dataset.label), { signal });
  }
  if (textElement) document.addEventListener("selectionchange", onSelectionChange, { signal });
  render();
  return controller;
}

/** For each UTF-16 offset of `text`, the code-point offset Python uses for the same position. */
function codePointIndex(text) {
  const index = new Array(text.length + 1);
  let point = 0;
  for (let i = 0; i < text.length; point += 1) {
    const width = text.codePointAt(i) > 0xffff ? 2 : 1;
    index[i] = point;
    if (width === 2) index[i + 1] = point;
    i += width;
  }
  index[text.length] = point;
  return index;
}

autoMount("text_spans", mount);
