// Keyboard review of a batch's answers (the list is on the page): j/k or the arrow keys move between
// answers, a approves, r goes to the reject reason (Enter sends it), o opens the worker, f fixes the
// HIT's label, ? shows the keys. Without JavaScript every action is an ordinary form or link.

const items = Array.from(document.querySelectorAll(".review-item"));
let current = -1;

function mark(index) {
  current = Math.max(0, Math.min(items.length - 1, index));
  items.forEach((item, i) => item.classList.toggle("focused", i === current));
}

function focusItem(index) {
  if (!items.length) return;
  mark(index);
  items[current].focus({ preventScroll: true });
  items[current].scrollIntoView({ block: "nearest" });
}

function typing(target) {
  return target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

function submit(form) {
  if (form) form.requestSubmit();
}

function follow(link) {
  if (link) window.location.assign(link.href);
}

const actions = {
  j: () => focusItem(current + 1),
  ArrowDown: () => focusItem(current + 1),
  k: () => focusItem(current - 1),
  ArrowUp: () => focusItem(current - 1),
  a: (item) => submit(item.querySelector(".approve-form") || item.querySelector(".override-form")),
  r: (item) => item.querySelector(".reject-reason")?.focus(),
  o: (item) => follow(item.querySelector("a.open-worker")),
  f: (item) => follow(item.querySelector("a.fix-label")),
  "?": () => {
    const help = document.getElementById("review-keys");
    if (help) help.open = !help.open;
  },
};

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (typing(event.target)) {
    if (event.key === "Escape") {
      event.target.blur();
      focusItem(current);
    }
    return;
  }
  const action = actions[event.key];
  if (!action) return;
  event.preventDefault();
  if (current < 0) focusItem(0);
  if (items[current] || event.key === "?") action(items[current]);
});

items.forEach((item, index) => item.addEventListener("focusin", () => mark(index)));

// Back from a decision the address names the next answer: start there; otherwise at the first one.
const wanted = window.location.hash ? items.findIndex((item) => `#${item.id}` === window.location.hash) : -1;
if (wanted >= 0) focusItem(wanted);
else if (items.length) mark(0);
