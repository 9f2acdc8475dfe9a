/*
 * A basic stand-in for MTurk's crowd-html-elements.js (written for LabelHub, not copied): <crowd-form>
 * becomes a form that posts one field, taskAnswers, holding a JSON array with one object of the
 * named fields (checkboxes as booleans), to turkSubmitTo + "/mturk/externalSubmit", as MTurk does.
 * Only plain HTML inputs inside <crowd-form> are supported, with <crowd-button form-action="submit">
 * or an ordinary submit button; the other crowd-* elements are not rendered.
 */
(function () {
  "use strict";
  var PREVIEW = "ASSIGNMENT_ID_NOT_AVAILABLE";
  var script = document.currentScript;
  var ownHost = script && script.src ? new URL(script.src).origin : "";

  function param(name, fallback) {
    var value = new URLSearchParams(window.location.search).get(name);
    return value === null ? fallback : value;
  }

  function answers(form) {
    var found = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled) { return; }
      if (el.type === "checkbox") { found[el.name] = el.checked; }
      else if (el.type === "radio") { if (el.checked) { found[el.name] = el.value; } }
      else if (el.type !== "submit" && el.type !== "button") { found[el.name] = el.value; }
    });
    return found;
  }

  function post(form) {
    var out = document.createElement("form");
    out.method = "post";
    out.action = param("turkSubmitTo", ownHost).replace(/\/+$/, "") + "/mturk/externalSubmit";
    [["assignmentId", param("assignmentId", "")], ["taskAnswers", JSON.stringify([answers(form)])]]
      .forEach(function (pair) {
        var input = document.createElement("input");
        input.type = "hidden"; input.name = pair[0]; input.value = pair[1];
        out.appendChild(input);
      });
    document.body.appendChild(out);
    out.submit();
  }

  function upgrade(crowdForm) {
    var form = document.createElement("form");
    while (crowdForm.firstChild) { form.appendChild(crowdForm.firstChild); }
    crowdForm.appendChild(form);
    var buttons = form.querySelectorAll('crowd-button[form-action="submit"]');
    if (!buttons.length && !form.querySelector('[type="submit"]')) {
      var submit = document.createElement("button");
      submit.type = "submit"; submit.textContent = "Submit";
      form.appendChild(submit);
    }
    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () { form.requestSubmit(); });
    });
    var preview = param("assignmentId", "") === PREVIEW;
    form.querySelectorAll('[type="submit"]').forEach(function (b) { b.disabled = preview; });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!preview) { post(form); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("crowd-form").forEach(upgrade);
  });
})();
