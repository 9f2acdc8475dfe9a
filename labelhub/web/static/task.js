// The task page: the countdown to the assignment's deadline, one submit per page, and the page's own
// keys. Annotators handle their own keys (numbers pick labels, Enter submits via the form's
// [data-default-submit] button); this module covers the JSON answer box and the preview.
const form = document.getElementById("task-form");
const timer = document.getElementById("timer");

function showTimeLeft(deadline, ticking) {
  const left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
  const hours = Math.floor(left / 3600);
  const minutes = Math.floor((left % 3600) / 60);
  const seconds = String(left % 60).padStart(2, "0");
  timer.textContent = hours ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
  timer.classList.toggle("warning", left > 0 && left <= 60);
  if (left === 0) {
    clearInterval(ticking);
    timer.classList.add("expired");
    timer.setAttribute("aria-label", "Time is up");
    for (const button of document.querySelectorAll("#task-form button[type=submit]")) button.disabled = true;
  }
}

if (timer && timer.dataset.deadline) {
  const deadline = Number(timer.dataset.deadline);
  const ticking = setInterval(() => showTimeLeft(deadline, ticking), 1000);
  showTimeLeft(deadline, ticking);
}

if (form && form.classList.contains("preview")) {
  // A preview cannot be submitted: Enter on it points at the Accept button instead. Registered on the
  // document in the capture phase before the annotator's module, so its answer check never runs here.
  document.addEventListener("submit", (event) => {
    if (event.target !== form) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    document.getElementById("accept-button")?.focus();
  }, { capture: true });
}

if (form) {
  // One submit per page: a second Enter or click while the first is on its way is ignored. The buttons
  // are disabled only after the browser has read the form (the submitter's name=next must be sent).
  form.addEventListener("submit", (event) => {
    if (form.dataset.sending === "true") {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "true";
    form.setAttribute("aria-busy", "true");
    setTimeout(() => {
      for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = true;
    }, 0);
  });
}

if (form && !form.classList.contains("preview") && !document.querySelector("[data-annotator]")) {
  // A task without an annotator (the JSON answer box) gets the annotators' keys: Enter submits, and
  // Ctrl+Enter inside the text box; buttons, links and other fields keep their own Enter.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.defaultPrevented || event.shiftKey || event.altKey) return;
    const target = event.target;
    const inBox = target.tagName === "TEXTAREA";
    if (inBox ? !(event.ctrlKey || event.metaKey) : target.closest("button, a[href], summary, select, input")) return;
    event.preventDefault();
    const submitter = form.querySelector("[data-default-submit]");
    if (submitter) form.requestSubmit(submitter);
  });
}

// Back from the browser's cache after a submit: the form may be sent again.
window.addEventListener("pageshow", (event) => {
  if (event.persisted && form) {
    delete form.dataset.sending;
    form.removeAttribute("aria-busy");
    for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = false;
  }
});
