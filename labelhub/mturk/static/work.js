/* The work page's countdown to the assignment's deadline (data-deadline: epoch milliseconds). */
(function () {
  "use strict";
  var timer = document.getElementById("timer");
  if (!timer) { return; }
  var deadline = Number(timer.getAttribute("data-deadline"));

  function show() {
    var left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
    var hours = Math.floor(left / 3600), minutes = Math.floor((left % 3600) / 60), seconds = left % 60;
    timer.textContent = (hours ? hours + ":" + String(minutes).padStart(2, "0") : String(minutes)) +
      ":" + String(seconds).padStart(2, "0");
    if (left === 0) { timer.classList.add("expired"); clearInterval(ticking); }
  }

  var ticking = setInterval(show, 1000);
  show();
})();
