// Keyboard shortcuts of the worker and qualification pages: a key named by an element's data-shortcut
// focuses it (a field) or follows it (a link, a button). Keys typed into a field are the field's own.
const typing = (element) => element && (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName));

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "Escape" && typing(document.activeElement)) {
    document.activeElement.blur();
    return;
  }
  if (typing(event.target)) return;
  const target = document.querySelector(`[data-shortcut="${CSS.escape(event.key)}"]`);
  if (!target) return;
  event.preventDefault();
  if (typing(target)) {
    target.scrollIntoView({ block: "center" });
    target.focus();
  } else {
    target.click();
  }
});
