/* Yishi on every page: focus and announcements after htmx swaps, and live feeds that come back after a phone
   sleeps. Pages work without this file; it only makes the enhanced version kinder to screen readers and phones. */
(function () {
  "use strict";

  var USER_EVENTS = /^(submit|click|change|keyup|input)$/;
  var lastUserTarget = null;   // the region the user's own last request will replace
  var keep = null;             // what had focus inside a region about to be replaced

  function announce(text) {
    var region = document.getElementById("announcer");
    text = (text || "").replace(/\s+/g, " ").trim();
    if (!region || !text) { return; }
    region.textContent = "";
    // A fresh text node after a tick: screen readers announce a change, not a region that already said it.
    window.setTimeout(function () { region.textContent = text.slice(0, 300); }, 60);
  }

  function focusOn(element) {
    if (!element) { return; }
    if (!element.matches("a[href], button, input, select, textarea, [tabindex]")) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus({ preventScroll: false });
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var config = event.detail.requestConfig || {};
    var trigger = config.triggeringEvent;
    var target = event.detail.target;
    lastUserTarget = trigger && USER_EVENTS.test(trigger.type) && target ? { element: target, id: target.id } : null;
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    var target = event.detail.target;
    keep = null;
    if (active && active !== document.body && target && target.contains(active)) {
      keep = { id: active.id, name: active.getAttribute("name"), value: active.value };
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    // The event fires on the new content (an outerHTML swap leaves detail.target detached); out-of-band
    // pieces of the same answer settle too, but only the region the user's request aimed at is "theirs".
    var region = event.target instanceof Element && document.body.contains(event.target) ? event.target : null;
    if (!region) { return; }
    var userCaused = lastUserTarget !== null &&
      (region === lastUserTarget.element || (lastUserTarget.id !== "" && region.id === lastUserTarget.id));
    var message = region.matches("[role=alert], .alert, .error") ? region : region.querySelector("[role=alert], .alert, .error");
    if (userCaused) {
      lastUserTarget = null;
      if (message) { announce(message.textContent); }
    }
    region.querySelectorAll("[data-announce]").forEach(function (element) {
      announce(element.getAttribute("data-announce") || element.textContent);
    });
    var active = document.activeElement;
    if (active && active !== document.body) { return; } // htmx kept focus (same id), or the user moved on
    if (keep) {
      // A live update replaced the region the user was in: go back to the same field or button.
      var again = (keep.id && document.getElementById(keep.id)) ||
        (keep.name && region.querySelector("[name='" + keep.name.replace(/'/g, "") + "']"));
      keep = null;
      if (again) { again.focus({ preventScroll: true }); return; }
    }
    if (userCaused) {
      // The user's own action: move to what it produced (its message, else the new content's heading).
      focusOn(message || region.querySelector("h1, h2, h3") || region);
    }
  });

  // Live feeds: EventSource reconnects by itself after a dropped connection, and the server sends the
  // current state on every connect. A feed the browser closed for good (the page was frozen or put in the
  // back-forward cache, or the server refused it during a restart) comes back when the page is seen again.
  function closedFeed() {
    return Array.prototype.some.call(document.querySelectorAll("[sse-connect]"), function (element) {
      var data = element["htmx-internal-data"];
      var source = data && data.sseEventSource;
      return Boolean(source) && source.readyState === 2;
    });
  }

  // Someone is typing in `root` (the whole page by default): a field there has the focus, or its text differs
  // from what the page brought. Shared with deliberation-live.js (window.Yishi.typing): nothing live may take
  // away what someone is typing.
  var FIELDS = "textarea, select, input:not([type=hidden]):not([type=submit]):not([type=button])" +
    ":not([type=checkbox]):not([type=radio])";
  function typing(root) {
    root = root || document.body;
    if (!root || !root.querySelectorAll) { return false; }
    var fields = Array.prototype.slice.call(root.querySelectorAll(FIELDS));
    if (root.matches && root.matches(FIELDS)) { fields.push(root); }
    return fields.some(function (field) {
      return field === document.activeElement || (field.tagName !== "SELECT" && field.value !== field.defaultValue);
    });
  }
  window.Yishi = { typing: typing };

  function staleNote() {
    var announcer = document.getElementById("announcer");
    if (document.getElementById("feed-stale") || !announcer) { return; }
    var note = document.createElement("p");
    note.id = "feed-stale";
    note.className = "alert alert-warn";
    note.setAttribute("role", "alert");
    note.textContent = announcer.getAttribute("data-feed-stale") + " ";
    var link = document.createElement("a");
    link.href = window.location.pathname + window.location.search;
    link.textContent = announcer.getAttribute("data-reload");
    note.appendChild(link);
    var main = document.getElementById("main") || document.body;
    main.insertBefore(note, main.firstChild);
  }

  function wake() {
    if (document.visibilityState !== "visible" || !closedFeed()) { return; }
    if (typing()) {
      // Never throw away what someone is typing: say that the page is behind instead.
      staleNote();
      return;
    }
    window.location.reload();
  }

  document.addEventListener("visibilitychange", wake);
  window.addEventListener("online", wake);
  window.addEventListener("pageshow", function (event) { if (event.persisted) { wake(); } });

  // 朗读 (read aloud): the page's [data-read-aloud] parts, in order, in the page's language; a second press stops.
  function readAloudText() {
    var parts = [];
    document.querySelectorAll("[data-read-aloud]").forEach(function (element) {
      var text = (element.innerText || element.textContent || "").replace(/\s+/g, " ").trim();
      if (text) { parts.push(text); }
    });
    return parts.join(document.documentElement.lang.indexOf("zh") === 0 ? "。 " : ". ");
  }

  // A second tap while a posted form's page is on the way sends nothing (htmx forms: htmx drops it); 10 s.
  document.addEventListener("submit", function (e) {
    var f = e.target, t = +(f.getAttribute && f.getAttribute("data-sent") || 0);
    if (e.defaultPrevented || f.method !== "post") { return; }
    if (Date.now() - t < 1e4) { e.preventDefault(); } else { f.setAttribute("data-sent", Date.now()); }
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (f) { f.removeAttribute("data-sent"); });
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (!("speechSynthesis" in window) || typeof window.SpeechSynthesisUtterance !== "function") { return; }
    document.querySelectorAll("[data-read-aloud-button]").forEach(function (button) {
      var label = button.querySelector(".read-aloud-label");
      function show(speaking) {
        button.setAttribute("aria-pressed", speaking ? "true" : "false");
        label.textContent = button.getAttribute(speaking ? "data-stop-label" : "data-read-label");
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        if (button.getAttribute("aria-pressed") === "true") {
          window.speechSynthesis.cancel();
          show(false);
          return;
        }
        var utterance = new window.SpeechSynthesisUtterance(readAloudText());
        utterance.lang = document.documentElement.lang || "zh-CN";
        utterance.rate = 0.9; // a little slower than the default: many listeners are elderly
        utterance.onend = utterance.onerror = function () { show(false); };
        window.speechSynthesis.cancel();
        window.speechSynthesis.speak(utterance);
        show(true);
      });
    });
  });
})();
