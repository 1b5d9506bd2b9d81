/* Yishi meetings: speaking timers and the projector clock tick locally; live comments never appear twice.
   Everything works without this file except the ticking (the server sends fresh times with every change). */
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function clock(seconds) {
    seconds = Math.max(0, seconds);
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".timer[data-spoken]").forEach(function (el) {
      // Count from when this element arrived, so the laptop's clock never needs to agree with the server's.
      if (!el.dataset.seen) { el.dataset.seen = String(now); }
      if (el.dataset.running !== "1") { return; }
      var spoken = parseInt(el.dataset.spoken, 10) + Math.floor((now - parseInt(el.dataset.seen, 10)) / 1000);
      el.textContent = clock(spoken);
      el.classList.toggle("over", spoken > parseInt(el.dataset.limit, 10));
    });
    var time = new Date();
    document.querySelectorAll("[data-clock]").forEach(function (el) {
      el.textContent = pad(time.getHours()) + ":" + pad(time.getMinutes());
    });
  }

  // A comment can arrive twice: in the answer to one's own post and through the live feed. Keep one;
  // prefer the author's copy (it carries the edit link).
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var fragment = event.detail.fragment;
    var incoming = fragment && fragment.firstElementChild;
    if (!incoming || !incoming.id) { return; }
    var existing = document.getElementById(incoming.id);
    if (!existing || existing === event.detail.target) { return; }
    event.detail.shouldSwap = false;
    if (incoming.hasAttribute("data-own") || incoming.querySelector("[data-own]")) {
      existing.replaceWith(incoming);
      window.htmx.process(incoming);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 1000);
  });
  document.addEventListener("htmx:afterSettle", tick);
})();
