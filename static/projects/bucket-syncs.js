// Dataset page: polls every unfinished bucket sync through the API (GET /api/bucket-syncs/{id},
// with the page's session) and moves its progress bar; when one finishes the page reloads once,
// so the new images and the refused objects with their reasons show.
(function () {
  "use strict";
  const POLL_MS = 1000;

  function poll(row) {
    fetch(row.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (job) {
        const bar = row.querySelector("progress");
        if (bar) {
          bar.value = job.progress;
          bar.textContent = job.progress + "%";
        }
        const label = row.querySelector(".state .label");
        if (label) { label.textContent = (job.state === "running" ? "Running" : "Queued") + ", " + job.found + " found"; }
        if (job.state === "done" || job.state === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(function () { poll(row); }, POLL_MS);
        }
      })
      .catch(function () { window.setTimeout(function () { poll(row); }, POLL_MS * 5); });
  }

  document.querySelectorAll("#bucket-sources tr[data-job]").forEach(function (row) {
    if (row.dataset.state === "queued" || row.dataset.state === "running") { poll(row); }
  });
})();
