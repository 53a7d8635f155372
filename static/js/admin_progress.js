// Progress bars in admin (imports, digests) that refresh themselves: every
// element with data-progress-url polls that JSON ({done, total, running,
// status}) and updates its <progress> and text. With data-reload-when-done the
// page reloads once the work has finished, to show the result.
(function () {
  "use strict";
  var INTERVAL = 2000;

  function poll(element) {
    var bar = element.querySelector("progress");
    var text = element.querySelector("[data-progress-text]");
    fetch(element.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data === null) { return; }
        if (bar) { bar.max = Math.max(data.total, 1); bar.value = data.done; }
        if (text) { text.textContent = data.done + " of " + data.total + (element.dataset.unit || " rows"); }
        if (!data.running) {
          if (element.hasAttribute("data-reload-when-done")) { window.location.reload(); }
          return;
        }
        window.setTimeout(function () { poll(element); }, INTERVAL);
      })
      .catch(function () { window.setTimeout(function () { poll(element); }, INTERVAL * 5); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-progress-url]").forEach(function (element) {
      window.setTimeout(function () { poll(element); }, INTERVAL);
    });
  });
})();
