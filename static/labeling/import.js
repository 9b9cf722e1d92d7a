// Import report page: polls the job's status for the progress bar and reloads when it finishes.
(function () {
  "use strict";
  const report = document.getElementById("import-report");
  const bar = document.getElementById("import-progress");
  if (!report || !bar) return;
  const url = report.dataset.statusUrl;

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => response.json())
      .then((job) => {
        bar.value = job.progress;
        bar.textContent = job.progress + "%";
        if (job.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(() => window.setTimeout(poll, 3000));
  }
  window.setTimeout(poll, 500);
})();
