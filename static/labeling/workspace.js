// Entry module of the labeling workspace page: reads the page data, loads the task's labels and
// wires the model, renderer, tools, panels, autosave, keyboard shortcuts and the queue/review
// buttons together. window.labelyard exposes the parts for the browser tests and the benchmark.

import { bounds, clampOffset, translate } from "./geometry.js";
import { Classes, Labels, newId, setAnswer } from "./model.js";
import { classRow, el, questionForm, shapeTitle } from "./panels.js";
import { Saver } from "./saving.js";
import { Tools } from "./tools.js";
import { View } from "./view.js";

const data = JSON.parse(document.getElementById("workspace-data").textContent);
const csrfToken = document.querySelector("input[name=csrfmiddlewaretoken]").value;
const $ = (id) => document.getElementById(id);
const CLIPBOARD_KEY = "labelyard.clipboard";
const STATUS_TEXT = { saved: "Saved", unsaved: "Unsaved changes", saving: "Saving…", error: "Not saved", conflict: "Conflict" };

const rules = data.rules; // label rules from the server (labeling/views/workspace.py); no copies here
const classes = new Classes(data.configuration, rules);
const model = new Labels(classes);
const view = new View($("canvas"), data.image, model);
let readOnly = data.mode !== "label";
let messageTimer = 0;

const tools = new Tools(view, model, data.image, rules, {
  onSelect: select,
  onMessage: message,
  onToolChange: () => { renderClassLists(); updateToolbar(); },
});
const saver = new Saver(data.urls.labels, csrfToken, model, showStatus);

// --- messages and status --------------------------------------------------------------------------
function message(text, isError = false) {
  const box = $("message");
  box.textContent = text;
  box.classList.toggle("error", isError);
  box.hidden = !text;
  clearTimeout(messageTimer);
  if (text && !isError) messageTimer = setTimeout(() => { box.hidden = true; }, 4000);
}

function showStatus(state, detail) {
  const status = $("save-status");
  status.dataset.state = state;
  status.textContent = STATUS_TEXT[state];
  if (state === "conflict") {
    $("conflict-text").textContent = `Someone else changed this task while you were working on it (it is now at `
      + `version ${detail.version}). Your latest changes are kept here but not saved; choose how to go on.`;
    $("conflict").hidden = false;
  } else if (state === "error") {
    message(detail, true);
  } else if (state === "saved" && $("message").classList.contains("error")) {
    message("");
  }
}

// --- selection, classes and panels ------------------------------------------------------------------
function selectedRootClass() {
  const item = view.selectedId && model.get(view.selectedId);
  if (!item) return null;
  return item.parent ? item.parent : item.geometry;
}

function select(id) {
  view.select(id);
  const tool = tools.tool;
  if (tool.name === "draw" && tool.parentId) {
    const root = selectedRootClass();
    if (root && root.class === tool.parentClass) tool.parentId = root.id;
    else tools.setTool({ name: "select" });
  }
  if (tool.name === "hole" && id !== tool.targetId) tools.setTool({ name: "select" });
  renderClassLists();
  renderShapePanel();
  updateToolbar();
}

function pickClass(entry, parent) {
  if (readOnly) return;
  if (parent) tools.setTool({ name: "draw", entry, kind: entry.kind, parentId: parent.id, parentClass: parent.class });
  else tools.setTool({ name: "draw", entry, kind: entry.kind });
  hint();
}

function toggleClass(classId) {
  view.setHidden(classId, !view.hidden.has(classId));
  renderClassLists();
}

function renderClassLists() {
  const tool = tools.tool;
  const activeId = tool.name === "draw" ? (tool.parentClass ? `${tool.parentClass}/${tool.entry.key}` : tool.entry.key) : null;
  $("class-list").replaceChildren(...classes.roots.map((entry) => classRow(entry, entry.key, {
    active: activeId === entry.key, hidden: view.hidden.has(entry.key), readOnly,
    onPick: () => pickClass(entry, null), onToggle: () => toggleClass(entry.key),
  })));
  const root = selectedRootClass();
  const nested = root ? classes.nestedOf(root.class) : [];
  $("nested-classes").hidden = !nested.length;
  if (nested.length) {
    $("nested-title").textContent = `Inside the selected ${classes.byRoot.get(root.class).name}`;
    $("nested-list").replaceChildren(...nested.map((entry) => {
      const classId = `${root.class}/${entry.key}`;
      return classRow(entry, classId, {
        active: activeId === classId, hidden: view.hidden.has(classId), readOnly,
        onPick: () => pickClass(entry, root), onToggle: () => toggleClass(classId),
      });
    }));
  }
}

function renderShapePanel() {
  const panel = $("shape-panel");
  const item = view.selectedId && model.get(view.selectedId);
  if (!item) {
    panel.replaceChildren(el("p", { className: "empty" }, "Select a shape to answer its questions."));
    return;
  }
  const entry = classes.entryFor(item.geometry, item.parent);
  const parentEntry = item.parent ? classes.byRoot.get(item.parent.class) : null;
  const index = model.doc.geometries.indexOf(item.parent || item.geometry) + 1;
  const form = el("div");
  const questions = classes.questionsOf(entry);
  item.geometry.classifications ||= {};
  const geometry = item.geometry;
  questionForm(form, questions, geometry.classifications, {
    readOnly, rules, idPrefix: `q-${geometry.id}`,
    onAnswer: (path, values, coalesce) => model.change(() => setAnswer(geometry.classifications, path, values),
      { ids: [], coalesce }),
  });
  const parts = [shapeTitle(entry, index, parentEntry)];
  if (!questions.length) parts.push(el("p", { className: "empty" }, "This class has no questions."));
  if (entry.kind === "image_segmentation" && !readOnly) {
    parts.push(el("p", { className: "ws-hint" }, "Cut a hole: press H (or Cut hole), then click its points."));
  }
  panel.replaceChildren(...parts, form);
}

function renderGlobalPanel() {
  const panel = $("global-panel");
  if (!classes.questions.length) {
    panel.replaceChildren(el("p", { className: "empty" }, "No image questions."));
    return;
  }
  questionForm(panel, classes.questions, model.doc.classifications, {
    readOnly, rules, idPrefix: "global",
    onAnswer: (path, values, coalesce) => model.change((doc) => setAnswer(doc.classifications, path, values),
      { ids: [], coalesce }),
  });
}

function updateToolbar() {
  for (const button of document.querySelectorAll("[data-tool]")) {
    button.classList.toggle("active", tools.tool.name === button.dataset.tool);
  }
  const item = view.selectedId && model.get(view.selectedId);
  document.querySelector('[data-tool="hole"]').disabled = !(item && model.entryOf(view.selectedId).kind === "image_segmentation");
  document.querySelector('[data-command="undo"]').disabled = !model.undoStack.length;
  document.querySelector('[data-command="redo"]').disabled = !model.redoStack.length;
  hint();
}

function hint() {
  const tool = tools.tool;
  let text = "Click a shape to select it; drag to move it or its vertices; Alt+click a vertex deletes it; "
    + "drag the background, or hold Space, to pan; the wheel zooms.";
  if (readOnly) text = "Read only. Click a shape to see its answers; drag to pan, the wheel zooms.";
  else if (tool.name === "hole") text = "Click the hole's points inside the outline; Enter or double-click finishes, Esc cancels.";
  else if (tool.name === "draw") {
    text = {
      rectangle: `Drag to draw a ${tool.entry.name}.`,
      point: `Click to place a ${tool.entry.name}.`,
    }[tool.kind] || `Click the points of a ${tool.entry.name}; Enter, a double-click or a click on the first point `
      + "finishes; Backspace removes the last point, Esc cancels.";
  }
  $("hint").textContent = text;
}

// --- commands -----------------------------------------------------------------------------------------
function deleteSelection() {
  const id = view.selectedId;
  if (!id || readOnly) return;
  if (view.activeVertex) {
    tools.deleteVertex(id, ...view.activeVertex);
    return;
  }
  model.remove(id);
  select(null);
}

function copy() {
  const item = view.selectedId && model.get(view.selectedId);
  if (!item) return;
  const clip = { parentClass: item.parent ? item.parent.class : null, geometry: item.geometry };
  localStorage.setItem(CLIPBOARD_KEY, JSON.stringify(clip));
  message("Copied.");
}

function paste() {
  if (readOnly) return;
  let clip;
  try {
    clip = JSON.parse(localStorage.getItem(CLIPBOARD_KEY) || "null");
  } catch {
    clip = null;
  }
  if (!clip) return;
  const root = selectedRootClass();
  let parent = null;
  if (clip.parentClass) {
    parent = root && root.class === clip.parentClass ? root : null;
    const entry = parent && classes.nestedOf(parent.class).find((e) => e.key === clip.geometry.class);
    if (!entry) {
      message(`Select a ${classes.byRoot.get(clip.parentClass)?.name || "shape"} to paste this nested shape into.`, true);
      return;
    }
  } else if (!classes.byRoot.has(clip.geometry.class)) {
    message("The copied shape's class is not in this project.", true);
    return;
  }
  const copyOf = (g, p) => {
    const entry = classes.entryFor(g, p);
    return { ...structuredClone(g), id: newId(), source: "human", _kind: entry.kind };
  };
  const geometry = copyOf(clip.geometry, parent);
  const shapes = [geometry];
  if (geometry.nested) {
    geometry.nested = geometry.nested.map((n) => copyOf(n, clip.geometry));
    shapes.push(...geometry.nested);
  }
  const boxes = shapes.map((s) => bounds(s._kind, s.coordinates));
  const [dx, dy] = clampOffset(boxes, 10, 10, data.image.width, data.image.height);
  for (const s of shapes) {
    s.coordinates = translate(s._kind, s.coordinates, dx, dy);
    delete s._kind;
  }
  model.add(geometry, parent ? parent.id : null);
  select(geometry.id);
}

function command(name) {
  const commands = {
    undo: () => { if (!readOnly && model.undo()) message("Undone."); },
    redo: () => { if (!readOnly && model.redo()) message("Redone."); },
    delete: deleteSelection,
    copy,
    paste,
    "zoom-in": () => view.zoomCenter(1.25),
    "zoom-out": () => view.zoomCenter(0.8),
    fit: () => view.fit(),
    "actual-size": () => view.actualSize(),
  };
  commands[name]?.();
}

function chooseTool(name) {
  if (name === "select") tools.setTool({ name: "select" });
  else if (name === "hole" && !readOnly) {
    const id = view.selectedId;
    if (!id || model.entryOf(id).kind !== "image_segmentation" || model.get(id).parent) {
      message("Select an image segmentation first, then cut holes into it.", true);
      return;
    }
    tools.setTool({ name: "hole", kind: "image_segmentation", targetId: id });
  }
}

function onKey(e) {
  // Radio buttons and checkboxes keep focus after a click; shortcuts must still work there.
  const typing = e.target.closest("textarea, select, input:not([type=radio]):not([type=checkbox])");
  if (typing) {
    if (e.key === "Escape") e.target.blur();
    return;
  }
  const ctrl = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (ctrl && key === "z") command(e.shiftKey ? "redo" : "undo");
  else if (ctrl && key === "y") command("redo");
  else if (ctrl && key === "c") command("copy");
  else if (ctrl && key === "v") command("paste");
  else if (ctrl) return;
  else if (/^[0-9]$/.test(e.key)) {
    const root = selectedRootClass();
    const nested = root && classes.byShortcut(e.key, root.class);
    const entry = nested || classes.byShortcut(e.key, null);
    if (entry) pickClass(entry, nested ? root : null);
  } else if (e.key === "Escape") {
    if (tools.points.length) tools.cancel();
    else if (tools.drawing) tools.setTool({ name: "select" });
    else select(null);
  } else if (e.key === "Enter") tools.finish();
  else if (e.key === "Backspace" && tools.points.length) tools.undoPoint();
  else if (e.key === "Delete" || e.key === "Backspace") command("delete");
  else if (key === "v") chooseTool("select");
  else if (key === "h") chooseTool("hole");
  else if (key === "f") command("fit");
  else if (e.key === "+" || e.key === "=") command("zoom-in");
  else if (e.key === "-") command("zoom-out");
  else if (e.key === " ") { tools.spaceDown = true; }
  else return;
  e.preventDefault();
}

// --- queue and review buttons ------------------------------------------------------------------------
async function post(url, body = {}) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
  });
  const answer = await response.json().catch(() => ({}));
  return { ok: response.ok, answer };
}

async function saveThen(work) {
  if (!readOnly && !(await saver.flush())) {
    message("Your changes could not be saved yet; resolve the message above before leaving.", true);
    return;
  }
  await work();
}

function leave(url) {
  saver.enabled = false;
  window.location.assign(url);
}

async function act(url, body) {
  const { ok, answer } = await post(url, body);
  if (ok) {
    leave(answer.next_url);
    return;
  }
  // Errors come as {detail, code, errors} (api/errors.py); "incomplete" lists each question.
  const text = answer.code === "incomplete"
    ? ["Answer these before completing:", ...answer.errors.map((e) => e.message)].join("\n").replaceAll("`", "")
    : answer.detail || "That did not work.";
  message(text, true);
}

function wireButtons() {
  const on = (id, handler) => $(id)?.addEventListener("click", handler);
  on("next", () => saveThen(() => leave(data.urls.next)));
  on("skip", () => saveThen(() => act(data.urls.skip)));
  on("complete", () => saveThen(() => act(data.urls.complete)));
  on("accept", () => act(data.urls.accept));
  on("reject", () => {
    const comment = $("review-text").value.trim();
    if (!comment) {
      message("Write what the labeler should fix before rejecting.", true);
      $("review-text").focus();
      return;
    }
    act(data.urls.reject, { comment });
  });
  on("next-review", () => leave(data.urls.nextReview));
  on("conflict-merge", () => resolveConflict(true));
  on("conflict-reload", () => resolveConflict(false));
  on("conflict-download", downloadMine);
  for (const button of document.querySelectorAll("[data-tool]")) {
    button.addEventListener("click", () => chooseTool(button.dataset.tool));
  }
  for (const button of document.querySelectorAll("[data-command]")) {
    button.addEventListener("click", () => command(button.dataset.command));
  }
}

// --- conflicts -----------------------------------------------------------------------------------------
function downloadMine() {
  const blob = new Blob([JSON.stringify(model.doc, null, 2)], { type: "application/json" });
  const link = el("a", { download: `task-${data.task}-my-labels.json` });
  link.href = URL.createObjectURL(blob);
  link.click();
  URL.revokeObjectURL(link.href);
}

// Load the server's version. With `keepMine`, shapes and image answers that exist only here are
// added to it; either way the local version stays one undo step away.
async function resolveConflict(keepMine) {
  const response = await fetch(data.urls.labels, { credentials: "same-origin" });
  if (!response.ok) {
    message("The current labels could not be loaded; try again.", true);
    return;
  }
  const theirs = await response.json();
  const mine = model.doc;
  const merged = structuredClone(theirs.document);
  if (keepMine) {
    const known = new Set();
    for (const g of merged.geometries) {
      known.add(g.id);
      for (const n of g.nested || []) known.add(n.id);
    }
    for (const g of mine.geometries) {
      if (!known.has(g.id)) merged.geometries.push(g);
      else {
        const target = merged.geometries.find((t) => t.id === g.id);
        for (const n of g.nested || []) {
          if (!known.has(n.id) && target) (target.nested ||= []).push(n);
        }
      }
    }
    for (const [key, answer] of Object.entries(mine.classifications)) {
      if (!(key in merged.classifications)) merged.classifications[key] = answer;
    }
  }
  model.checkpoint();
  model.load(merged, { keepHistory: true });
  $("conflict").hidden = true;
  saver.resolved(theirs.version);
  saver.savedRevision = model.revision;
  model.emit({ ids: null, structural: true, history: true });
  if (!keepMine) {
    saver.savedRevision = model.revision;
    showStatus("saved");
  }
  message(keepMine ? "Loaded the other version and added your new shapes." : "Loaded the other version; Ctrl+Z brings yours back.");
}

// --- start -------------------------------------------------------------------------------------------
model.onChange((detail) => {
  if (!detail.live) {
    if (detail.ids === null) view.renderAll();
    else if (detail.ids.length) view.update(detail.ids);
  }
  if (detail.structural || detail.history) {
    if (detail.history) {
      renderGlobalPanel();
      if (view.selectedId && !model.get(view.selectedId)) view.select(null);
    }
    renderShapePanel();
    renderClassLists();
  }
  updateToolbar();
  if (!readOnly) saver.changed();
});

view.onZoom = (scale) => { $("zoom-level").textContent = `${Math.round(scale * 100)}%`; };

async function start() {
  if (data.reviewComment && data.mode !== "view") {
    $("review-comment-text").textContent = data.reviewComment;
    $("review-comment").hidden = false;
  }
  const response = await fetch(data.urls.labels, { credentials: "same-origin" });
  if (!response.ok) {
    message("The labels of this task could not be loaded; reload the page.", true);
    return;
  }
  const loaded = await response.json();
  if (data.mode === "label" && !loaded.editable) readOnly = true;
  view.readOnly = readOnly;
  tools.readOnly = readOnly;
  saver.enabled = !readOnly;
  $("canvas").classList.toggle("read-only", readOnly);
  model.load(loaded.document);
  saver.version = loaded.version;
  saver.savedRevision = model.revision;
  view.renderAll();
  view.fit();
  tools.attach();
  wireButtons();
  renderClassLists();
  renderShapePanel();
  renderGlobalPanel();
  updateToolbar();
  document.addEventListener("keydown", onKey);
  document.addEventListener("keyup", (e) => { if (e.key === " ") tools.spaceDown = false; });
  window.addEventListener("resize", () => view.fit());
  window.addEventListener("beforeunload", (e) => {
    if (saver.enabled && (saver.dirty || saver.running)) e.preventDefault();
  });
  window.addEventListener("pagehide", () => saver.beacon());
  document.addEventListener("visibilitychange", () => { if (document.hidden) saver.flush(); });
}

window.labelyard = { model, view, tools, saver, classes, data, select, command };
window.labelyard.ready = start().then(() => {
  window.labelyard.readyAt = performance.now();
  document.body.dataset.workspaceReady = "true";
});
