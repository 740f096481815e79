// The sync dashboard refreshes itself by re-rendering the server's own fragment: no client-side
// templating, no chart library, no inline script (the Content-Security-Policy allows none).
(function () {
  "use strict";
  var box = document.getElementById("sync-dashboard");
  var note = document.getElementById("sync-refresh-note");
  if (!box || !note) { return; }
  var base = note.innerHTML;
  var seconds = parseInt(box.dataset.refreshSeconds, 10) || 10;

  function showFailure(message) {
    note.innerHTML = base;
    var failed = document.createElement("strong");
    failed.className = "bad";
    failed.textContent = " Refresh failed: " + message;  // text, never markup
    note.appendChild(failed);
  }

  function refresh() {
    // X-Background-Refresh: this fetch does not count as staff activity (idle sessions end).
    fetch(box.dataset.fragmentUrl, {
      credentials: "same-origin",
      headers: {"X-Requested-With": "fetch", "X-Background-Refresh": "1"}
    })
      .then(function (response) {
        if (response.redirected) {  // the session ended: show the login page, not it inside the box
          window.location.reload();
          throw new Error("logged out");
        }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) { box.innerHTML = html; note.innerHTML = base; })
      .catch(function (error) { showFailure(error.message); });
  }
  setInterval(refresh, seconds * 1000);
})();
