// Label configuration tree editor. The JSON textarea stays the single source of truth: the tree
// is drawn from it, every edit writes it back, and the form submits it. Edits are checked by the
// server (same rules as saving) after a short pause, so errors show inline while typing.

const GEOMETRIES = ["rectangle", "polygon", "line", "point", "image_segmentation"];
const NESTABLE = ["rectangle", "polygon", "line", "point"];
const QUESTIONS = ["option", "checklist", "freetext"];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "on") for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    else if (name in node && typeof value !== "string") node[name] = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function newEntry(kind, siblings) {
  const base = kind === "option" || kind === "checklist" ? "question" : kind === "freetext" ? "text" : kind;
  let n = siblings.length + 1;
  while (siblings.some((e) => e.key === `${base}_${n}`)) n += 1;
  const entry = { key: `${base}_${n}`, name: `${base} ${n}`, kind, children: [] };
  if (kind === "option" || kind === "checklist") entry.options = [{ key: "yes", name: "Yes" }, { key: "no", name: "No" }];
  if (kind === "freetext") entry.max_length = 255;
  return entry;
}

export class ConfigEditor {
  constructor(root, textarea, checkUrl, csrfToken) {
    this.root = root;
    this.textarea = textarea;
    this.checkUrl = checkUrl;
    this.csrfToken = csrfToken;
    this.status = el("div", { class: "config-status", role: "status" });
    this.tree = el("div", { class: "config-tree" });
    root.append(
      el("div", { class: "config-toolbar" },
        el("button", { type: "button", class: "add-geometry", on: { click: () => this.addRoot("polygon") } }, "+ Geometry class"),
        el("button", { type: "button", class: "add-question", on: { click: () => this.addRoot("option") } }, "+ Image question"),
        el("button", { type: "button", class: "secondary", on: { click: () => this.download() } }, "Download JSON"),
      ),
      this.tree,
      this.status,
    );
    textarea.addEventListener("input", () => this.load());
    this.load();
  }

  load() {
    try {
      const data = JSON.parse(this.textarea.value || '{"entries": []}');
      this.entries = Array.isArray(data) ? data : data.entries || [];
    } catch (error) {
      this.showStatus([`The JSON view has a syntax error: ${error.message}`]);
      return;
    }
    this.render();
    this.scheduleCheck();
  }

  commit() {
    this.textarea.value = JSON.stringify({ entries: this.entries }, null, 2);
    this.render();
    this.scheduleCheck();
  }

  addRoot(kind) {
    this.entries.push(newEntry(kind, this.entries));
    this.commit();
  }

  render() {
    this.tree.replaceChildren(this.renderList(this.entries, 0, null));
  }

  renderList(entries, depth, parent) {
    const list = el("ul", { class: "config-list" });
    entries.forEach((entry, index) => list.append(this.renderEntry(entry, entries, index, depth, parent)));
    return list;
  }

  renderEntry(entry, siblings, index, depth, parent) {
    const isGeometry = GEOMETRIES.includes(entry.kind);
    const set = (field, value) => {
      if (value === "" || value === null) delete entry[field];
      else entry[field] = value;
      this.commit();
    };
    const kinds = depth === 0 ? [...GEOMETRIES, ...QUESTIONS] : isGeometry ? NESTABLE : QUESTIONS;
    const row = el("div", { class: "config-row", "data-key": entry.key || "" },
      el("input", { class: "entry-key", value: entry.key || "", "aria-label": "Key", on: { change: (e) => set("key", e.target.value) } }),
      el("input", { class: "entry-name", value: entry.name || "", "aria-label": "Name", on: { change: (e) => set("name", e.target.value) } }),
      el("select", { class: "entry-kind", "aria-label": "Kind", on: { change: (e) => this.changeKind(entry, e.target.value) } },
        ...kinds.map((k) => el("option", { value: k, selected: k === entry.kind }, k))),
    );
    if (isGeometry) {
      row.append(
        el("input", { type: "color", class: "entry-color", value: entry.color || "#e6194b", "aria-label": "Colour", on: { change: (e) => set("color", e.target.value) } }),
        el("select", { class: "entry-shortcut", "aria-label": "Shortcut", on: { change: (e) => set("shortcut", e.target.value) } },
          el("option", { value: "" }, "no key"),
          ...[..."1234567890"].map((d) => el("option", { value: d, selected: entry.shortcut === d }, d))),
      );
    } else {
      row.append(el("label", { class: "check" },
        el("input", { type: "checkbox", class: "entry-required", checked: !!entry.required, on: { change: (e) => set("required", e.target.checked) } }),
        "required"));
      if (entry.kind === "freetext") {
        row.append(el("input", { type: "number", min: "1", max: "10000", class: "entry-max-length", value: String(entry.max_length || 255), "aria-label": "Max length",
          on: { change: (e) => set("max_length", Number(e.target.value)) } }));
      }
    }
    row.append(
      el("button", { type: "button", class: "icon", title: "Move up", disabled: index === 0, on: { click: () => this.move(siblings, index, -1) } }, "↑"),
      el("button", { type: "button", class: "icon", title: "Move down", disabled: index === siblings.length - 1, on: { click: () => this.move(siblings, index, 1) } }, "↓"),
      el("button", { type: "button", class: "add-child-question", on: { click: () => this.addChild(entry, "option") } }, "+ question"),
    );
    if (isGeometry && depth === 0) {
      row.append(el("button", { type: "button", class: "add-nested-geometry", on: { click: () => this.addChild(entry, "point") } }, "+ nested geometry"));
    }
    row.append(el("button", { type: "button", class: "danger delete-entry", on: { click: () => { siblings.splice(index, 1); this.commit(); } } }, "Delete"));
    const item = el("li", { class: "config-entry" }, row);
    if (entry.kind === "option" || entry.kind === "checklist") item.append(this.renderOptions(entry));
    if (entry.children && entry.children.length) item.append(this.renderList(entry.children, depth + 1, entry));
    return item;
  }

  renderOptions(entry) {
    const options = (entry.options || []).map((o) => (typeof o === "string" ? { key: o, name: o } : o));
    entry.options = options;
    const box = el("div", { class: "config-options" });
    options.forEach((option, i) => {
      box.append(el("span", { class: "config-option" },
        el("input", { class: "option-key", value: option.key, "aria-label": "Option key", on: { change: (e) => { option.key = e.target.value; this.commit(); } } }),
        el("input", { class: "option-name", value: option.name, "aria-label": "Option name", on: { change: (e) => { option.name = e.target.value; this.commit(); } } }),
        el("button", { type: "button", class: "icon", title: "Remove option", on: { click: () => { options.splice(i, 1); this.commit(); } } }, "×"),
      ));
    });
    box.append(el("button", { type: "button", class: "add-option", on: { click: () => {
      options.push({ key: `option_${options.length + 1}`, name: `Option ${options.length + 1}` });
      this.commit();
    } } }, "+ option"));
    return box;
  }

  changeKind(entry, kind) {
    const wasQuestion = QUESTIONS.includes(entry.kind);
    entry.kind = kind;
    if (GEOMETRIES.includes(kind)) {
      delete entry.required; delete entry.options; delete entry.max_length;
    } else {
      delete entry.color; delete entry.shortcut;
      if (!wasQuestion) entry.required = false;
      if (kind === "freetext") { delete entry.options; entry.max_length = entry.max_length || 255; }
      else { delete entry.max_length; entry.options = entry.options || [{ key: "yes", name: "Yes" }, { key: "no", name: "No" }]; }
    }
    this.commit();
  }

  addChild(entry, kind) {
    entry.children = entry.children || [];
    entry.children.push(newEntry(kind, entry.children));
    this.commit();
  }

  move(siblings, index, step) {
    const [entry] = siblings.splice(index, 1);
    siblings.splice(index + step, 0, entry);
    this.commit();
  }

  download() {
    const blob = new Blob([this.textarea.value], { type: "application/json" });
    const link = el("a", { href: URL.createObjectURL(blob), download: "label-configuration.json" });
    link.click();
    URL.revokeObjectURL(link.href);
  }

  scheduleCheck() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), 400);
  }

  async check() {
    const response = await fetch(this.checkUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": this.csrfToken },
      body: this.textarea.value,
    });
    const result = await response.json();
    this.showStatus(result.errors || [], result.summary);
  }

  showStatus(errors, summary) {
    this.status.replaceChildren();
    this.status.className = `config-status ${errors.length ? "invalid" : "valid"}`;
    if (errors.length) {
      this.status.append(el("ul", { class: "errorlist" }, ...errors.map((e) => el("li", {}, e))));
    } else {
      this.status.append(el("p", {}, `Valid. ${summary || ""}`));
    }
  }
}
