/*
 * LabelHub's drop-in replacement for MTurk's externalHIT_v1.js (written for LabelHub, not copied).
 * LabelHub serves HTMLQuestion pages with MTurk's script URL pointed here, so pages that call
 * turkGetParam, turkSetAssignmentID or turkGetSubmitToHost keep working. The frame's URL carries
 * hitId, assignmentId, turkSubmitTo and workerId, as on MTurk.
 */
(function () {
  "use strict";
  var PREVIEW = "ASSIGNMENT_ID_NOT_AVAILABLE";
  var script = document.currentScript;
  var ownHost = script && script.src ? new URL(script.src).origin : "";

  function turkGetParam(name, defaultValue) {
    var value = new URLSearchParams(window.location.search).get(name);
    return value === null ? defaultValue : value;
  }

  function turkGetSubmitToHost() {
    return turkGetParam("turkSubmitTo", ownHost).replace(/\/+$/, "");
  }

  function turkSetAssignmentID(formId, fieldId) {
    var assignmentId = turkGetParam("assignmentId", "");
    var field = document.getElementById(fieldId || "assignmentId");
    var form = document.getElementById(formId || "mturk_form");
    var button = document.getElementById("submitButton");
    if (field) { field.value = assignmentId; }
    if (form) { form.action = turkGetSubmitToHost() + "/mturk/externalSubmit"; }
    if (assignmentId === PREVIEW && button) {
      button.disabled = true;
      button.value = "Accept the HIT to submit your answer";
    }
  }

  window.turkGetParam = turkGetParam;
  window.turkGetSubmitToHost = turkGetSubmitToHost;
  window.turkSetAssignmentID = turkSetAssignmentID;
})();
