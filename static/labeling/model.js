// The workspace's state: the label classes of the configuration and the task's labels document
// (rules/labels.py format) with undo/redo. Every edit goes through Labels.change() so the
// renderer, the panels and autosave hear about it in one place.

const HISTORY_LIMIT = 200;

// Lookups over the configuration tree: root classes, their nested classes and questions. Which
// kinds are geometries comes from the page's rules (rules/configuration.py GEOMETRY_KINDS).
export class Classes {
  constructor(configuration, rules) {
    this.geometryKinds = new Set(rules.geometryKinds);
    const entries = configuration.entries || [];
    this.roots = entries.filter((e) => this.isGeometry(e));
    this.questions = entries.filter((e) => !this.isGeometry(e));
    this.byRoot = new Map(this.roots.map((e) => [e.key, e]));
  }

  isGeometry(entry) {
    return this.geometryKinds.has(entry.kind);
  }

  nestedOf(rootKey) {
    const root = this.byRoot.get(rootKey);
    return root ? root.children.filter((c) => this.isGeometry(c)) : [];
  }

  questionsOf(entry) {
    return entry.children.filter((c) => !this.isGeometry(c));
  }

  // The entry of `geometry`; nested keys only mean something under their parent's class.
  entryFor(geometry, parent) {
    if (!parent) return this.byRoot.get(geometry.class);
    return this.nestedOf(parent.class).find((e) => e.key === geometry.class);
  }

  // Class ids used by the class list and hide/show: "car" for roots, "pedestrian/head" for nested.
  classId(geometry, parent) {
    return parent ? `${parent.class}/${geometry.class}` : geometry.class;
  }

  byShortcut(digit, parentClass) {
    const pool = parentClass ? this.nestedOf(parentClass) : this.roots;
    return pool.find((e) => e.shortcut === digit);
  }
}

let counter = 0;
// Geometry ids only need to be unique within one document; time plus a counter is enough and
// works on plain-http deployments where crypto.randomUUID() is unavailable.
export function newId() {
  counter += 1;
  return `g${Date.now().toString(36)}${counter.toString(36)}`;
}

export function emptyDocument() {
  return { geometries: [], classifications: {} };
}

export class Labels {
  constructor(classes) {
    this.classes = classes;
    this.doc = emptyDocument();
    this.byId = new Map();
    this.undoStack = [];
    this.redoStack = [];
    this.listeners = [];
    this.revision = 0;
    this.coalesceKey = null;
  }

  onChange(listener) {
    this.listeners.push(listener);
  }

  emit(detail) {
    this.revision += 1;
    for (const listener of this.listeners) listener(detail);
  }

  load(doc, { keepHistory = false } = {}) {
    this.doc = { geometries: doc.geometries || [], classifications: doc.classifications || {} };
    this.reindex();
    if (!keepHistory) {
      this.undoStack = [];
      this.redoStack = [];
    }
    this.coalesceKey = null;
  }

  reindex() {
    this.byId.clear();
    for (const g of this.doc.geometries) {
      this.byId.set(g.id, { geometry: g, parent: null });
      for (const n of g.nested || []) this.byId.set(n.id, { geometry: n, parent: g });
    }
  }

  get(id) {
    return this.byId.get(id);
  }

  entryOf(id) {
    const item = this.byId.get(id);
    return item && this.classes.entryFor(item.geometry, item.parent);
  }

  // Remember the current document for undo. `coalesce` merges a run of edits with the same key
  // (typing in a text answer) into one undo step.
  checkpoint(coalesce = null) {
    if (coalesce && coalesce === this.coalesceKey) return;
    this.coalesceKey = coalesce;
    this.undoStack.push(JSON.stringify(this.doc));
    if (this.undoStack.length > HISTORY_LIMIT) this.undoStack.shift();
    this.redoStack = [];
  }

  // Run `edit` as one undoable change; `ids` lists the geometries to redraw (null: all of them).
  change(edit, { ids = null, structural = false, coalesce = null } = {}) {
    this.checkpoint(coalesce);
    edit(this.doc);
    if (structural) this.reindex();
    this.emit({ ids, structural });
  }

  // For continuous edits (dragging): the caller checkpoints once, then mutates and notifies.
  touched(ids) {
    this.emit({ ids, structural: false, live: true });
  }

  undo() {
    return this.travel(this.undoStack, this.redoStack);
  }

  redo() {
    return this.travel(this.redoStack, this.undoStack);
  }

  travel(from, to) {
    if (!from.length) return false;
    to.push(JSON.stringify(this.doc));
    this.load(JSON.parse(from.pop()), { keepHistory: true });
    this.emit({ ids: null, structural: true, history: true });
    return true;
  }

  add(geometry, parentId = null) {
    this.change(
      (doc) => {
        if (parentId) {
          const parent = this.byId.get(parentId).geometry;
          (parent.nested ||= []).push(geometry);
        } else {
          doc.geometries.push(geometry);
        }
      },
      { ids: [geometry.id], structural: true },
    );
  }

  remove(id) {
    const item = this.byId.get(id);
    if (!item) return;
    const removed = [id, ...(item.geometry.nested || []).map((n) => n.id)];
    this.change(
      (doc) => {
        const list = item.parent ? item.parent.nested : doc.geometries;
        list.splice(list.indexOf(item.geometry), 1);
        if (item.parent && !item.parent.nested.length) delete item.parent.nested;
      },
      { ids: removed, structural: true },
    );
  }

  setCoordinates(id, coordinates) {
    this.change(() => { this.byId.get(id).geometry.coordinates = coordinates; }, { ids: [id] });
  }
}

// Set the answer at `path` (question keys from the top) inside `answers`, pruning empty answers
// so an unanswered question is absent, as the server expects.
export function setAnswer(answers, path, values) {
  const [key, ...rest] = path;
  const answer = answers[key] || { values: [] };
  answer.values = answer.values || [];
  if (rest.length) {
    answer.children = answer.children || {};
    setAnswer(answer.children, rest, values);
    if (!Object.keys(answer.children).length) delete answer.children;
  } else {
    answer.values = values;
  }
  if (!answer.values.length && !answer.children) delete answers[key];
  else answers[key] = answer;
}

export function getAnswer(answers, path) {
  let node = { children: answers };
  for (const key of path) {
    node = (node.children || {})[key];
    if (!node) return [];
  }
  return node.values || [];
}
