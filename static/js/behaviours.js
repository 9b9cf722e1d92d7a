// Small behaviours pages ask for with data- attributes, in place of inline scripts and on*
// attributes, which the Content-Security-Policy (labelyard/content_security_policy.py) refuses:
//   <button data-confirm="Sure?">            asks before submitting its form
//   <select data-submit-on-change>           submits its form when changed
//   <input data-select-on-click>             selects its whole text when clicked
//   <input type="checkbox" data-check-all="tasks">  ticks or clears every checkbox named "tasks"
"use strict";

document.addEventListener("click", (event) => {
  const asking = event.target.closest("[data-confirm]");
  if (asking && !window.confirm(asking.dataset.confirm)) event.preventDefault();
  const selecting = event.target.closest("input[data-select-on-click]");
  if (selecting) selecting.select();
});

document.addEventListener("change", (event) => {
  const target = event.target;
  if (target.matches("select[data-submit-on-change]")) target.form.submit();
  if (target.matches("input[data-check-all]")) {
    for (const box of document.querySelectorAll(`input[name="${CSS.escape(target.dataset.checkAll)}"]`)) {
      box.checked = target.checked;
    }
  }
});
