// Behavioural signals: how the worker produced the text in the task form, as aggregates only.
//
// Watches every text-entry field (textarea, input[type=text]) inside <form id="task-form"> and keeps
// <input type="hidden" name="signals"> (provided by the page) current, and fills it once more at submit,
// before any handler of the page runs. Never records which keys were pressed, nor what was pasted:
// only counts and durations (field list and meaning: annotators/signals.py, SIGNAL_FIELDS).
// The batch flow's in-place swap of the annotator (a new [data-annotator] root) starts a new count;
// pages may also call reset() themselves.

const TEXT_FIELDS = 'textarea, input[type="text"], input:not([type])';
const IDLE_MS = 5000; // a longer pause between keystrokes is not typing time
const RETURN_WINDOW_MS = 10000; // a paste this soon after coming back counts as "after return"
const TYPING_KEYS = new Set(["Backspace", "Delete", "Enter", "Process"]);
// Input-method composition is counted once, at compositionend: its beforeinput events repeat the text.
const TYPED_INPUTS = new Set(["insertText", "insertLineBreak", "insertParagraph"]);
const MAX_INTERVALS = 5000; // keystroke gaps kept for the rhythm (numbers only, never which keys)

let state = fresh(0); // time 0 is the navigation's start: "time on page" counts from there
let currentRoot = document.querySelector("[data-annotator]");

function fresh(now) {
  return { base: now, firstKey: null, lastKey: null, typing: 0, keystrokes: 0, deletions: 0, pastes: 0,
    pastedChars: 0, fromPage: 0, fromPageChars: 0, afterReturn: 0, losses: 0, away: 0, awaySince: null,
    returnedAt: null, typedChars: 0, insertedChars: 0, intervals: [] };
}

function taskForm() {
  return document.getElementById("task-form") || currentRoot?.closest("form") || null;
}

function isWatched(element) {
  return element instanceof Element && element.matches(TEXT_FIELDS) && Boolean(taskForm()?.contains(element));
}

const normalise = (text) => text.replace(/\s+/g, " ").trim().toLowerCase();

/** The page's visible text, as the worker sees it (form fields' contents are not part of it). */
function pageText() {
  return normalise(document.body.innerText || "");
}

/** The q-quantile (0..1) of a list of numbers, by linear interpolation; null when empty. */
function quantile(values, q) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

/** Median and interquartile range of the keystroke gaps; nulls with fewer than 5 gaps. */
function rhythm(intervals) {
  if (intervals.length < 5) return { median: null, iqr: null };
  return { median: Math.round(quantile(intervals, 0.5)),
    iqr: Math.round(quantile(intervals, 0.75) - quantile(intervals, 0.25)) };
}

/** The current signals, as SIGNAL_FIELDS names them. */
export function snapshot(now = performance.now()) {
  const s = state;
  const away = s.away + (s.awaySince === null ? 0 : now - s.awaySince);
  const beat = rhythm(s.intervals);
  return {
    version: 2,
    text_fields: taskForm()?.querySelectorAll(TEXT_FIELDS).length || 0,
    time_on_page_ms: Math.round(now - s.base),
    first_keystroke_ms: s.firstKey === null ? null : Math.round(s.firstKey - s.base),
    active_typing_ms: Math.round(s.typing),
    keystrokes: s.keystrokes,
    deletions: s.deletions,
    pastes: s.pastes,
    pasted_chars: s.pastedChars,
    pastes_from_page: s.fromPage,
    pastes_after_return: s.afterReturn,
    typed_chars: s.typedChars,
    inserted_chars: s.insertedChars,
    pasted_chars_from_page: s.fromPageChars,
    key_interval_median_ms: beat.median,
    key_interval_iqr_ms: beat.iqr,
    focus_losses: s.losses,
    away_ms: Math.round(away),
  };
}

/** Start counting afresh (a new item was put in front of the worker). */
export function reset() {
  state = fresh(performance.now());
  write();
}

function write() {
  const input = taskForm()?.querySelector('input[name="signals"]');
  if (input) input.value = JSON.stringify(snapshot());
}

function onKeyDown(event) {
  if (!isWatched(event.target)) return;
  const altGraph = event.getModifierState?.("AltGraph");
  if ((event.ctrlKey || event.metaKey) && !altGraph) return; // shortcuts such as Ctrl+V are not typing
  if (event.key.length !== 1 && !TYPING_KEYS.has(event.key)) return;
  const now = performance.now();
  state.keystrokes += 1;
  if (state.firstKey === null) state.firstKey = now;
  if (state.lastKey !== null && now - state.lastKey <= IDLE_MS) {
    state.typing += now - state.lastKey;
    if (state.intervals.length < MAX_INTERVALS) state.intervals.push(now - state.lastKey);
  }
  state.lastKey = now;
  write();
}

/** Characters an insertion adds: its data, or the dropped or replacing text. */
function insertedLength(event) {
  const text = event.data ?? event.dataTransfer?.getData("text/plain") ?? "";
  return [...text].length;
}

function onBeforeInput(event) {
  if (!isWatched(event.target)) return;
  const kind = event.inputType;
  if (kind.startsWith("delete")) state.deletions += 1;
  else if (TYPED_INPUTS.has(kind)) state.typedChars += Math.max(insertedLength(event), kind === "insertText" ? 0 : 1);
  else if (kind.startsWith("insert") && kind !== "insertFromPaste" && kind !== "insertCompositionText") {
    state.insertedChars += insertedLength(event);
  }
  else return;
  write();
}

function onPaste(event) {
  if (!isWatched(event.target)) return;
  const text = event.clipboardData?.getData("text/plain") || "";
  const now = performance.now();
  state.pastes += 1;
  state.pastedChars += [...text].length;
  const needle = normalise(text);
  if (needle && pageText().includes(needle)) {
    state.fromPage += 1;
    state.fromPageChars += [...text].length;
  }
  if (state.returnedAt !== null && now - state.returnedAt <= RETURN_WINDOW_MS) state.afterReturn += 1;
  write();
}

function leave() {
  if (state.awaySince !== null) return; // blur and visibilitychange both report one departure
  state.awaySince = performance.now();
  state.losses += 1;
  write();
}

function comeBack() {
  if (state.awaySince === null) return;
  const now = performance.now();
  state.away += now - state.awaySince;
  state.awaySince = null;
  state.returnedAt = now;
  write();
}

document.addEventListener("keydown", onKeyDown, true);
document.addEventListener("beforeinput", onBeforeInput, true);
document.addEventListener("paste", onPaste, true);
document.addEventListener("compositionend", (event) => {
  if (!isWatched(event.target)) return;
  state.typedChars += [...(event.data || "")].length;
  write();
}, true);
document.addEventListener("submit", (event) => { if (event.target === taskForm()) write(); }, true);
document.addEventListener("visibilitychange", () => (document.hidden ? leave() : comeBack()));
window.addEventListener("blur", leave);
window.addEventListener("focus", comeBack);
new MutationObserver(() => {
  const root = document.querySelector("[data-annotator]");
  if (root && root !== currentRoot) {
    currentRoot = root;
    reset();
  }
}).observe(document.body, { childList: true, subtree: true });
write();
