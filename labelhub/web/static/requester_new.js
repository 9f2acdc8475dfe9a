// The new-batch wizard: a select marked data-autosubmit (the task type, the cost's marketplace) sends
// its own small form on change, so the page follows the choice without a click; the button stays for
// keyboards and for browsers without scripts.
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form?.requestSubmit());
}
