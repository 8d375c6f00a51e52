// The idle-timeout warning (issue 13, WCAG 2.2.1): shortly before the server ends an idle session, a modal dialog
// offers "Blijf ingelogd" and "Log uit". The server keeps the clock and decides; this script only asks it:
// - the page says how many seconds are left (data-idle-expires-in), counted from the server's own clock;
// - before warning and before leaving, it asks again (data-idle-status-url), so "Blijf ingelogd" or activity in
//   another tab postpones this one instead of logging it out;
// - "Blijf ingelogd" POSTs (with the form's CSRF token) and gets the new seconds left.
// Without JavaScript nothing of this runs and the server still logs out after the idle time.
(function () {
  "use strict";
  var dialog = document.getElementById("idle-dialog");
  if (!dialog || typeof dialog.showModal !== "function" || !window.fetch) { return; }
  var data = dialog.dataset;
  var warnBefore = parseInt(data.idleWarnBefore, 10) * 1000;
  var keepForm = document.getElementById("idle-keep-form");
  var stay = document.getElementById("idle-stay");
  var logout = document.getElementById("idle-logout");
  var text = document.getElementById("idle-text");
  var timer = null;
  var deadline = 0;
  var extendable = true;
  var returnFocus = null;
  var leaving = false;

  function later(fn, ms) {
    clearTimeout(timer);
    timer = setTimeout(fn, Math.max(0, ms));
  }

  // Where to go once the session has ended: "U bent uitgelogd", then back here after logging in again.
  // The server's answer names the reason (idle, or the absolute lifetime: "expired").
  function leave(url) {
    if (leaving) { return; }
    leaving = true;
    var here = window.location.pathname + window.location.search;
    window.location.assign((url || data.idleLoggedOutUrl) + "&next=" + encodeURIComponent(here));
  }

  function clockText(template) {
    var time = new Date(deadline).toLocaleTimeString(document.documentElement.lang || undefined,
      {hour: "2-digit", minute: "2-digit"});
    return template.replace("%(time)s", time);
  }

  // What the server says is left: plan the warning, or (when it is near) show it and plan the last check.
  function plan(seconds, canExtend) {
    deadline = Date.now() + seconds * 1000;
    extendable = canExtend;
    if (seconds * 1000 > warnBefore) {
      if (dialog.open) { dialog.close(); }
      later(check, seconds * 1000 - warnBefore);
    } else {
      warn();
      later(check, seconds * 1000 + 2000);  // just after the server's deadline, so it has surely ended it
    }
  }

  function warn() {
    text.textContent = clockText(extendable ? data.idleText : data.idleFinalText);
    stay.hidden = !extendable;
    if (!dialog.open) {
      returnFocus = document.activeElement;
      dialog.showModal();
      (extendable ? stay : logout).focus();
    }
  }

  function answer(response) {
    if (response.status === 401) {
      return response.json().then(function (body) { leave(body.logged_out_url); }, function () { leave(); });
    }
    if (!response.ok) { throw new Error(String(response.status)); }
    return response.json().then(function (body) { plan(body.expires_in, body.extendable); });
  }

  function check() {
    fetch(data.idleStatusUrl, {credentials: "same-origin", cache: "no-store", headers: {"X-Requested-With": "fetch"}})
      .then(answer)
      .catch(function () { later(check, 15000); });  // the network hiccuped: ask again soon
  }

  function keepAlive() {
    fetch(keepForm.action, {
      method: "POST",
      body: new FormData(keepForm),
      credentials: "same-origin",
      headers: {"X-Requested-With": "fetch"}
    }).then(answer).catch(check);
  }

  keepForm.addEventListener("submit", function (event) {
    event.preventDefault();
    keepAlive();
  });
  // Escape closes a native dialog; someone pressing a key is there, so it counts as "Blijf ingelogd". The last
  // warning before the absolute lifetime (nothing to extend) simply closes; the server still ends the session.
  dialog.addEventListener("cancel", function (event) {
    if (!extendable) { return; }
    event.preventDefault();
    keepAlive();
  });
  dialog.addEventListener("close", function () {
    if (returnFocus && typeof returnFocus.focus === "function") { returnFocus.focus(); }
    returnFocus = null;
  });
  // A tab coming back to the front may have slept through its timers: ask the server where things stand.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { check(); }
  });

  plan(parseInt(data.idleExpiresIn, 10), data.idleExtendable === "true");
}());
