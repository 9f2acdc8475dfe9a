// Shared plumbing for the annotator modules: mounting, the hidden answer input, the submit guard,
// Enter to submit and number-key shortcuts.
//
// DOM contract (every partial):
//   [data-annotator="<kind>"]                    the root; data-complete="true|false" mirrors the answer
//   input[type=hidden][name=answer]              the answer as JSON, kept current on every change
//   [data-role="message"]                        the visible message when a submit is refused
//   [data-role="shortcuts"]                      the on-screen list of keyboard shortcuts
// Keys: 1-9 and 0 pick the first ten choices; Enter submits (Ctrl/Cmd+Enter inside a text area)
// with form.requestSubmit(), using the form's [data-default-submit] button as submitter if there is one.
// An incomplete answer cancels the form's submit event (capture phase, before the page's handlers),
// shows the message and focuses the control to fix.

const NUMBER_KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"];
const TEXT_INPUT_TYPES = new Set(["text", "search", "email", "url", "tel", "number", "password"]);

/** The index (0-9) a bare number key picks, or -1. */
export function keyIndex(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return -1;
  return NUMBER_KEYS.indexOf(event.key);
}

/** True where keys type text, so shortcuts must leave them alone. */
export function isTextEntry(element) {
  if (!(element instanceof HTMLElement)) return false;
  if (element.isContentEditable || element.tagName === "TEXTAREA" || element.tagName === "SELECT") return true;
  return element.tagName === "INPUT" && TEXT_INPUT_TYPES.has(element.type);
}

/** Mount every root of `kind` now and whenever the page inserts one (the batch flow swaps items in
 * place); roots that leave the page are unmounted. Returns the live map root -> controller. */
export function autoMount(kind, mount) {
  const selector = `[data-annotator="${kind}"]`;
  const mounted = new Map();
  const scan = () => {
    for (const [root, controller] of mounted) {
      if (!root.isConnected) {
        controller.destroy();
        mounted.delete(root);
      }
    }
    for (const root of document.querySelectorAll(selector)) {
      if (!mounted.has(root)) mounted.set(root, mount(root));
    }
  };
  scan();
  new MutationObserver(scan).observe(document.body, { childList: true, subtree: true });
  return mounted;
}

/** Submit the form as the Submit button would (used by Enter). */
export function submitForm(form) {
  const submitter = form.querySelector("[data-default-submit]");
  if (submitter) form.requestSubmit(submitter);
  else form.requestSubmit();
}

/**
 * Wire one annotator root. `collect()` returns {answer, problem}, problem being null or
 * {message, focus?}. `onKey(event, index)` handles a key (index: the number key's 0-9, else -1) and
 * returns true when it used it. Returns {update, refuse, clearMessage, signal, destroy}.
 */
export function connect(root, { collect, onKey = () => false }) {
  const form = root.closest("form");
  const input = root.querySelector('input[type="hidden"][name="answer"]');
  const message = root.querySelector('[data-role="message"]');
  const aborter = new AbortController();
  const { signal } = aborter;

  const clearMessage = () => {
    if (message) {
      message.hidden = true;
      message.textContent = "";
    }
  };
  const refuse = (text, focus) => {
    if (message) {
      message.textContent = text;
      message.hidden = false;
    }
    if (focus instanceof HTMLElement) focus.focus();
  };
  const update = () => {
    const { answer, problem } = collect();
    if (input) input.value = JSON.stringify(answer);
    root.dataset.complete = problem ? "false" : "true";
    if (!problem) clearMessage();
    return problem;
  };

  document.addEventListener("submit", (event) => {
    if (event.target !== form) return;
    const problem = update();
    if (problem) {
      event.preventDefault();
      event.stopImmediatePropagation();
      refuse(problem.message, problem.focus);
    }
  }, { capture: true, signal });

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.isComposing || !form) return;
    const target = event.target;
    const inForm = target === document.body || target === document.documentElement || form.contains(target);
    if (!inForm) return;
    if (event.key === "Enter") {
      if (wantsSubmit(event)) {
        event.preventDefault();
        submitForm(form);
      }
      return;
    }
    if (isTextEntry(target) && event.key !== "Escape") return; // typing, not a shortcut
    if (onKey(event, keyIndex(event))) event.preventDefault();
  }, { signal });

  root.addEventListener("input", update, { signal });
  root.addEventListener("change", update, { signal });
  update();
  return { update, refuse, clearMessage, signal, destroy: () => aborter.abort() };
}

function wantsSubmit(event) {
  if (event.shiftKey || event.altKey) return false;
  const target = event.target;
  if (target.tagName === "TEXTAREA") return event.ctrlKey || event.metaKey;
  // Buttons, links and summaries keep Enter: it activates them.
  return !target.closest("button, a[href], summary, select, [data-keep-enter]");
}

/** Build an element: h("li", {class: "x", dataset: {index: 1}}, child, "text"). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "dataset") Object.assign(element.dataset, value);
    else if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (value === true) element.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, value);
  }
  element.append(...children);
  return element;
}

