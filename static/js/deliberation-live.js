/* Yishi meetings: speaking timers and the projector clock tick locally; live comments never appear twice and
   never replace what someone is typing.
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
    // The community's time, not the laptop's: the server's seconds since local midnight, counted on from when
    // the page arrived (a projector laptop set to another zone or a wrong clock still shows the hall's time).
    document.querySelectorAll("[data-clock]").forEach(function (el) {
      if (!el.dataset.seen) { el.dataset.seen = String(now); }
      var base = parseInt(el.dataset.clock, 10);
      if (isNaN(base)) { return; }
      var seconds = (base + Math.floor((now - parseInt(el.dataset.seen, 10)) / 1000)) % 86400;
      el.textContent = pad(Math.floor(seconds / 3600)) + ":" + pad(Math.floor((seconds % 3600) / 60));
    });
  }

  // Nothing live may take away what someone is typing (static/js/yishi.js, loaded first on every page).
  function typing(element) { return window.Yishi.typing(element); }

  // A choice made but not yet sent (a select changed from what the page brought, e.g. an item's status).
  function choosing(element) {
    return Array.prototype.some.call(element.querySelectorAll("select"), function (select) {
      return Array.prototype.some.call(select.options, function (option) { return option.selected !== option.defaultSelected; });
    });
  }

  // A comment's live update (edited, pinned, hidden) would replace the comment with its edit form or a reply
  // being written under it: it waits, and the comment is brought up to date by the next page or post.
  // A comment list fetching itself again after a reconnect waits the same way.
  // A control-page region fetching itself again on a live event waits while a choice in it is not yet sent
  // (its hide reasons survive anyway: they carry hx-preserve). A fresh event brings it up to date afterwards.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.detail.elt;
    if (source && source.id && source.id.indexOf("comment-list-") === 0 && typing(event.detail.target)) {
      event.detail.shouldSwap = false;
    }
    var trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    if (source && source.id && source.id.indexOf("control-") === 0 && trigger && String(trigger.type).indexOf("sse:") === 0
        && choosing(event.detail.target)) {
      event.detail.shouldSwap = false;
    }
  });

  // A comment can arrive twice: in the answer to one's own post and through the live feed. Keep one;
  // prefer the author's copy (it carries the edit link).
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var fragment = event.detail.fragment;
    var incoming = fragment && fragment.firstElementChild;
    if (!incoming || !incoming.id) { return; }
    if (incoming.id === event.detail.target.id && typing(event.detail.target)) {
      event.detail.shouldSwap = false;
      return;
    }
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
