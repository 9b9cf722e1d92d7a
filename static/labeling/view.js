// The SVG renderer and viewport: one <svg> holds the image and one element per geometry, so a
// task with thousands of shapes stays one DOM tree the browser draws natively. Edits redraw only
// the shapes they name; zoom and pan change one transform. Coordinates in the document are image
// pixels; toImage()/toScreen() convert to and from the mouse's client coordinates.

import { midpoints, pathData, vertices } from "./geometry.js";

const SVG = "http://www.w3.org/2000/svg";
const POINT_RADIUS = 6;
const HANDLE_RADIUS = 5;
const MID_RADIUS = 3.5;
const MIN_SCALE = 0.02;
const MAX_SCALE = 64;

function svg(name, attributes = {}, parent = null) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
  if (parent) parent.appendChild(el);
  return el;
}

export class View {
  constructor(svgEl, image, model) {
    this.svg = svgEl;
    this.image = image;
    this.model = model;
    this.scale = 1;
    this.tx = 0;
    this.ty = 0;
    this.elements = new Map();
    this.hidden = new Set();
    this.selectedId = null;
    this.activeVertex = null;
    this.onZoom = () => {};
    this.root = svg("g", { class: "view" }, svgEl);
    this.imageEl = svg("image", { href: image.url, x: 0, y: 0, width: image.width, height: image.height,
      preserveAspectRatio: "none" }, this.root);
    this.shapes = svg("g", { class: "shapes" }, this.root);
    this.draftEl = svg("path", { class: "draft" }, this.root);
    this.overlay = svg("g", { class: "handles" }, this.root);
  }

  // --- viewport -------------------------------------------------------------------------------
  applyTransform() {
    this.root.setAttribute("transform", `matrix(${this.scale} 0 0 ${this.scale} ${this.tx} ${this.ty})`);
    // Point and handle sizes are in screen pixels, so they follow the zoom.
    const r = POINT_RADIUS / this.scale;
    for (const el of this.elements.values()) if (el.tagName === "circle") el.setAttribute("r", r);
    this.drawHandles();
    this.onZoom(this.scale);
  }

  fit() {
    const box = this.svg.getBoundingClientRect();
    const margin = 12;
    this.scale = Math.min((box.width - 2 * margin) / this.image.width, (box.height - 2 * margin) / this.image.height);
    this.scale = Math.max(MIN_SCALE, this.scale);
    this.tx = Math.round((box.width - this.image.width * this.scale) / 2);
    this.ty = Math.round((box.height - this.image.height * this.scale) / 2);
    this.applyTransform();
  }

  // 1:1 with whole-pixel offsets, so a screen pixel is exactly an image pixel.
  actualSize() {
    const box = this.svg.getBoundingClientRect();
    this.scale = 1;
    this.tx = Math.round(Math.max(12, (box.width - this.image.width) / 2));
    this.ty = Math.round(Math.max(12, (box.height - this.image.height) / 2));
    this.applyTransform();
  }

  zoomAt(factor, clientX, clientY) {
    const box = this.svg.getBoundingClientRect();
    const sx = clientX - box.left;
    const sy = clientY - box.top;
    const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale * factor));
    this.tx = sx - ((sx - this.tx) * next) / this.scale;
    this.ty = sy - ((sy - this.ty) * next) / this.scale;
    this.scale = next;
    this.applyTransform();
  }

  zoomCenter(factor) {
    const box = this.svg.getBoundingClientRect();
    this.zoomAt(factor, box.left + box.width / 2, box.top + box.height / 2);
  }

  panBy(dx, dy) {
    this.tx += dx;
    this.ty += dy;
    this.root.setAttribute("transform", `matrix(${this.scale} 0 0 ${this.scale} ${this.tx} ${this.ty})`);
  }

  toImage(clientX, clientY) {
    const box = this.svg.getBoundingClientRect();
    return [(clientX - box.left - this.tx) / this.scale, (clientY - box.top - this.ty) / this.scale];
  }

  toScreen(x, y) {
    const box = this.svg.getBoundingClientRect();
    return [box.left + this.tx + x * this.scale, box.top + this.ty + y * this.scale];
  }

  // --- shapes ---------------------------------------------------------------------------------
  renderAll() {
    const fragment = document.createDocumentFragment();
    this.elements.clear();
    for (const g of this.model.doc.geometries) {
      fragment.appendChild(this.create(g, null));
      for (const n of g.nested || []) fragment.appendChild(this.create(n, g));
    }
    this.shapes.replaceChildren(fragment);
    if (this.selectedId && !this.model.get(this.selectedId)) this.selectedId = null;
    this.markSelected();
    this.drawHandles();
  }

  create(geometry, parent) {
    const entry = this.model.classes.entryFor(geometry, parent) || { kind: "polygon", color: "#888888" };
    const classId = this.model.classes.classId(geometry, parent);
    const el = entry.kind === "point" ? svg("circle", { r: POINT_RADIUS / this.scale }) : svg("path");
    el.setAttribute("class", `shape ${entry.kind === "point" ? "point" : entry.kind === "line" ? "line" : "area"}`
      + (parent ? " nested" : "") + (this.isHidden(classId, parent) ? " hidden" : ""));
    el.setAttribute("stroke", entry.color);
    el.setAttribute("fill", entry.color);
    el.dataset.id = geometry.id;
    el.dataset.class = classId;
    el.kind = entry.kind;
    this.place(el, geometry);
    this.elements.set(geometry.id, el);
    return el;
  }

  place(el, geometry) {
    const c = geometry.coordinates;
    if (el.kind === "point") {
      el.setAttribute("cx", c[0]);
      el.setAttribute("cy", c[1]);
    } else {
      el.setAttribute("d", pathData(el.kind, c));
    }
  }

  // Redraw only the listed geometries: creating, moving or dropping their elements.
  update(ids) {
    for (const id of ids) {
      const item = this.model.get(id);
      const el = this.elements.get(id);
      if (!item) {
        if (el) el.remove();
        this.elements.delete(id);
      } else if (el) {
        this.place(el, item.geometry);
      } else {
        const created = this.create(item.geometry, item.parent);
        // Keep nested shapes drawn after (above) their root.
        const anchor = item.parent ? this.nextSiblingFor(item.parent) : null;
        this.shapes.insertBefore(created, anchor);
      }
    }
    if (this.selectedId && !this.model.get(this.selectedId)) this.select(null);
    this.drawHandles();
  }

  nextSiblingFor(parent) {
    const roots = this.model.doc.geometries;
    const next = roots[roots.indexOf(parent) + 1];
    return next ? this.elements.get(next.id) || null : null;
  }

  isHidden(classId, parent) {
    return this.hidden.has(classId) || (parent && this.hidden.has(parent.class));
  }

  setHidden(classId, hidden) {
    if (hidden) this.hidden.add(classId);
    else this.hidden.delete(classId);
    for (const [id, el] of this.elements) {
      const item = this.model.get(id);
      el.classList.toggle("hidden", Boolean(this.isHidden(el.dataset.class, item && item.parent)));
    }
    if (this.selectedId && this.elements.get(this.selectedId)?.classList.contains("hidden")) this.select(null);
  }

  // --- selection and handles --------------------------------------------------------------------
  select(id) {
    this.selectedId = id;
    this.activeVertex = null;
    this.markSelected();
    this.drawHandles();
  }

  markSelected() {
    for (const el of this.shapes.querySelectorAll(".selected")) el.classList.remove("selected");
    const el = this.selectedId && this.elements.get(this.selectedId);
    if (el) el.classList.add("selected");
  }

  drawHandles() {
    const item = this.selectedId && this.model.get(this.selectedId);
    if (!item || this.readOnly) {
      this.overlay.replaceChildren();
      return;
    }
    const kind = this.elements.get(this.selectedId)?.kind;
    const c = item.geometry.coordinates;
    const fragment = document.createDocumentFragment();
    if (kind !== "point") {
      for (const [ring, index, [x, y]] of midpoints(kind, c)) {
        const h = svg("circle", { class: "handle mid", cx: x, cy: y, r: MID_RADIUS / this.scale }, fragment);
        h.dataset.mid = `${ring}:${index}`;
      }
    }
    for (const [ring, index, [x, y]] of vertices(kind, c)) {
      const active = this.activeVertex && this.activeVertex[0] === ring && this.activeVertex[1] === index;
      const h = svg("circle", { class: `handle${active ? " active" : ""}`, cx: x, cy: y, r: HANDLE_RADIUS / this.scale },
        fragment);
      h.dataset.vertex = `${ring}:${index}`;
    }
    this.overlay.replaceChildren(fragment);
  }

  // During a drag only the dragged shape and its handles change; nothing else is touched.
  moveLive(id) {
    const item = this.model.get(id);
    const el = this.elements.get(id);
    if (item && el) this.place(el, item.geometry);
    if (id === this.selectedId) this.drawHandles();
  }

  draft(d) {
    this.draftEl.setAttribute("d", d || "");
  }
}
