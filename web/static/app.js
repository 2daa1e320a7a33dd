// replywatch inbox: progressive enhancement only; every page works without it.
// Keeps the SLA countdowns (elements with data-due) current between page loads.
(function () {
  "use strict";
  function span(seconds) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    if (days) { return days + " d " + hours + " h"; }
    if (hours) { return hours + " h " + (mins < 10 ? "0" : "") + mins + " min"; }
    return mins + " min";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { return; }
      var left = (due - now) / 1000;
      el.textContent = left >= 0 ? "in " + span(left) : span(left) + " late";
      if (left < 0) { el.classList.add("late"); }
    });
  }
  setInterval(tick, 30000);
  document.addEventListener("DOMContentLoaded", tick);
})();
