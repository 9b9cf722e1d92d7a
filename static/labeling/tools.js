// Mouse interaction on the drawing stage: the select tool (select, move shapes, drag, insert and
// delete vertices, pan) and the drawing tools (rectangle by drag; polygon, line, segmentation
// outline and hole by clicking points, finished with Enter, a double-click or a click on the
// first point). During a drag only the dragged shape is redrawn, once per animation frame.

import {
  bounds, clampOffset, clampPoint, minVertices, moveVertex, ringInside, ringOf, translate, withRing,
} from "./geometry.js";
import { newId } from "./model.js";

const CLOSE_DISTANCE = 8; // screen pixels: a click this near the first point closes a polygon
const SAME_POINT_DISTANCE = 3; // screen pixels: the second click of a double-click adds nothing
const DRAG_THRESHOLD = 2;

export class Tools {
  constructor(view, model, image, rules, hooks) {
    this.view = view;
    this.model = model;
    this.image = image;
    this.rules = rules; // the page's label rules (labeling/views/workspace.py)
    this.hooks = hooks; // onSelect(id), onMessage(text, isError), onToolChange(tool)
    this.readOnly = false;
    this.tool = { name: "select" };
    this.points = [];
    this.cursor = null;
    this.drag = null;
    this.spaceDown = false;
    this.frame = 0;
  }

  attach() {
    const el = this.view.svg;
    el.addEventListener("pointerdown", (e) => this.pointerDown(e));
    el.addEventListener("pointermove", (e) => this.pointerMove(e));
    el.addEventListener("pointerup", (e) => this.pointerUp(e));
    el.addEventListener("dblclick", (e) => { e.preventDefault(); this.finish(); });
    el.addEventListener("contextmenu", (e) => e.preventDefault());
    el.addEventListener("wheel", (e) => {
      e.preventDefault();
      this.view.zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX, e.clientY);
    }, { passive: false });
  }

  get drawing() {
    return this.tool.name !== "select";
  }

  setTool(tool) {
    this.cancel();
    this.tool = tool;
    this.view.svg.classList.toggle("drawing", this.drawing);
    this.hooks.onToolChange(tool);
  }

  point(e) {
    return clampPoint(this.view.toImage(e.clientX, e.clientY), this.image.width, this.image.height);
  }

  screenDistance(a, b) {
    return Math.hypot(a[0] - b[0], a[1] - b[1]) * this.view.scale;
  }

  pointerDown(e) {
    this.view.svg.setPointerCapture(e.pointerId);
    if (e.button === 1 || e.button === 2 || this.spaceDown) {
      this.drag = { type: "pan", x: e.clientX, y: e.clientY };
      this.view.svg.classList.add("panning");
      return;
    }
    if (e.button !== 0) return;
    if (this.drawing && !this.readOnly) {
      this.drawDown(e);
      return;
    }
    const target = e.target.dataset || {};
    const selected = this.view.selectedId;
    if (!this.readOnly && selected && (target.vertex || target.mid)) {
      const [ring, index] = (target.vertex || target.mid).split(":").map(Number);
      if (target.mid) {
        this.insertVertex(selected, ring, index, this.point(e));
        this.startVertexDrag(e, selected, ring, index + 1, true);
      } else if (e.altKey) {
        this.deleteVertex(selected, ring, index);
      } else {
        this.startVertexDrag(e, selected, ring, index, false);
      }
      return;
    }
    if (target.id) {
      this.hooks.onSelect(target.id);
      if (!this.readOnly) this.drag = { type: "move", id: target.id, start: this.point(e), x: e.clientX, y: e.clientY };
      return;
    }
    this.hooks.onSelect(null);
    this.drag = { type: "pan", x: e.clientX, y: e.clientY };
    this.view.svg.classList.add("panning");
  }

  startVertexDrag(e, id, ring, index, started) {
    this.view.activeVertex = [ring, index];
    this.view.drawHandles();
    this.drag = { type: "vertex", id, ring, index, started, x: e.clientX, y: e.clientY };
  }

  pointerMove(e) {
    const drag = this.drag;
    if (!drag) {
      if (this.drawing && this.points.length) {
        this.cursor = this.point(e);
        this.schedule(() => this.drawDraft());
      }
      return;
    }
    if (drag.type === "pan") {
      this.view.panBy(e.clientX - drag.x, e.clientY - drag.y);
      drag.x = e.clientX;
      drag.y = e.clientY;
      return;
    }
    if (drag.type === "rect") {
      drag.end = this.point(e);
      this.schedule(() => this.view.draft(rectPath(drag.start, drag.end)));
      return;
    }
    if (!drag.started) {
      if (Math.hypot(e.clientX - drag.x, e.clientY - drag.y) < DRAG_THRESHOLD) return;
      drag.started = true;
      this.model.checkpoint();
      if (drag.type === "move") drag.original = this.snapshotShape(drag.id);
    }
    const p = this.point(e);
    if (drag.type === "vertex") {
      const g = this.model.get(drag.id).geometry;
      g.coordinates = moveVertex(this.view.elements.get(drag.id).kind, g.coordinates, drag.ring, drag.index, p);
      if (this.view.elements.get(drag.id).kind === "rectangle") {
        // A corner dragged past the opposite one becomes another corner; follow it.
        drag.index = cornerIndex(g.coordinates, p);
        this.view.activeVertex = [0, drag.index];
      }
      this.schedule(() => this.view.moveLive(drag.id));
    } else {
      this.moveShape(drag, p);
    }
  }

  snapshotShape(id) {
    const item = this.model.get(id);
    const shapes = [item.geometry, ...(item.parent ? [] : item.geometry.nested || [])];
    return shapes.map((g) => ({ g, kind: this.view.elements.get(g.id).kind, c: g.coordinates }));
  }

  // Move a shape (and, for a root, the shapes nested in it) without leaving the image.
  moveShape(drag, p) {
    const boxes = drag.original.map((s) => bounds(s.kind, s.c));
    const [dx, dy] = clampOffset(boxes, p[0] - drag.start[0], p[1] - drag.start[1], this.image.width, this.image.height);
    for (const s of drag.original) s.g.coordinates = translate(s.kind, s.c, dx, dy);
    this.schedule(() => { for (const s of drag.original) this.view.moveLive(s.g.id); });
  }

  pointerUp() {
    const drag = this.drag;
    this.drag = null;
    this.view.svg.classList.remove("panning");
    if (!drag) return;
    if (drag.type === "rect") {
      this.view.draft("");
      const end = drag.end || drag.start;
      const [x, y] = [Math.min(drag.start[0], end[0]), Math.min(drag.start[1], end[1])];
      const [w, h] = [Math.abs(end[0] - drag.start[0]), Math.abs(end[1] - drag.start[1])];
      if (w >= 1 && h >= 1) this.create([x, y, +w.toFixed(2), +h.toFixed(2)]);
    } else if ((drag.type === "vertex" || drag.type === "move") && drag.started) {
      cancelAnimationFrame(this.frame);
      this.frame = 0;
      const ids = drag.type === "move" ? drag.original.map((s) => s.g.id) : [drag.id];
      for (const id of ids) this.view.moveLive(id);
      this.model.touched(ids);
    }
  }

  schedule(work) {
    this.pending = work;
    if (!this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.pending();
      });
    }
  }

  // --- drawing ----------------------------------------------------------------------------------
  drawDown(e) {
    const p = this.point(e);
    const kind = this.tool.kind;
    if (kind === "rectangle") {
      this.drag = { type: "rect", start: p };
      return;
    }
    if (kind === "point") {
      this.create(p);
      return;
    }
    const last = this.points[this.points.length - 1];
    if (last && this.screenDistance(last, p) < SAME_POINT_DISTANCE) return;
    const closes = kind !== "line" && this.points.length >= minVertices(this.rules, kind)
      && this.screenDistance(this.points[0], p) < CLOSE_DISTANCE;
    if (closes) {
      this.finish();
      return;
    }
    this.points.push(p);
    this.cursor = p;
    this.drawDraft();
  }

  drawDraft() {
    const pts = this.cursor ? [...this.points, this.cursor] : this.points;
    if (!pts.length) {
      this.view.draft("");
      return;
    }
    const d = pts.map(([x, y], i) => `${i ? "L" : "M"}${x} ${y}`).join("");
    this.view.draft(this.tool.kind === "line" ? d : `${d}Z`);
  }

  finish() {
    if (!this.drawing || !this.points.length) return;
    const kind = this.tool.kind;
    const points = this.points;
    const needed = minVertices(this.rules, kind);
    if (points.length < needed) {
      this.hooks.onMessage(`A ${kind === "line" ? "line" : "polygon"} needs at least ${needed} points.`, true);
      return;
    }
    this.cancel();
    if (this.tool.name === "hole") this.addHole(points);
    else this.create(kind === "image_segmentation" ? [points] : points);
  }

  cancel() {
    this.points = [];
    this.cursor = null;
    if (this.drag && this.drag.type === "rect") this.drag = null;
    this.view.draft("");
  }

  undoPoint() {
    this.points.pop();
    this.drawDraft();
  }

  create(coordinates) {
    const geometry = { id: newId(), class: this.tool.entry.key, source: "human", coordinates, classifications: {} };
    const parentId = this.tool.parentId || null;
    if (parentId && !this.model.get(parentId)) {
      this.hooks.onMessage("The shape this was to be nested in is gone; select it again.", true);
      return;
    }
    this.model.add(geometry, parentId);
    this.hooks.onSelect(geometry.id);
  }

  addHole(points) {
    const item = this.model.get(this.tool.targetId);
    if (!item) return;
    const outline = item.geometry.coordinates[0];
    if (!ringInside(points, outline)) {
      this.hooks.onMessage("A hole must lie inside the outline of its segmentation.", true);
      return;
    }
    this.model.setCoordinates(item.geometry.id, [...item.geometry.coordinates, points]);
    this.hooks.onSelect(item.geometry.id);
  }

  // --- vertex editing -----------------------------------------------------------------------------
  insertVertex(id, ring, index, p) {
    const kind = this.view.elements.get(id).kind;
    const c = this.model.get(id).geometry.coordinates;
    const points = [...ringOf(kind, c, ring)];
    points.splice(index + 1, 0, p);
    this.model.setCoordinates(id, withRing(kind, c, ring, points));
  }

  deleteVertex(id, ring, index) {
    const kind = this.view.elements.get(id).kind;
    if (kind === "point" || kind === "rectangle") {
      this.hooks.onMessage("Points and rectangles have no vertices to delete; delete the shape instead.", true);
      return;
    }
    const c = this.model.get(id).geometry.coordinates;
    const points = ringOf(kind, c, ring).filter((_, i) => i !== index);
    const needed = minVertices(this.rules, kind);
    if (kind === "image_segmentation" && ring > 0 && points.length < needed) {
      this.model.setCoordinates(id, c.filter((_, i) => i !== ring));
    } else if (points.length < needed) {
      this.hooks.onMessage(`This ${kind.replace("_", " ")} has the fewest points it can have.`, true);
      return;
    } else {
      this.model.setCoordinates(id, withRing(kind, c, ring, points));
    }
    this.view.activeVertex = null;
    this.view.drawHandles();
  }
}

function rectPath(a, b) {
  const x = Math.min(a[0], b[0]), y = Math.min(a[1], b[1]);
  return `M${x} ${y}h${Math.abs(b[0] - a[0])}v${Math.abs(b[1] - a[1])}h${-Math.abs(b[0] - a[0])}Z`;
}

function cornerIndex([x, y, w, h], p) {
  const corners = [[x, y], [x + w, y], [x + w, y + h], [x, y + h]];
  let best = 0;
  corners.forEach((c, i) => {
    if (Math.hypot(c[0] - p[0], c[1] - p[1]) < Math.hypot(corners[best][0] - p[0], corners[best][1] - p[1])) best = i;
  });
  return best;
}
