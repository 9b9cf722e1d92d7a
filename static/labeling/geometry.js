// Pure geometry on labels-document coordinates (image pixels): SVG path data, bounds, moving,
// clamping and hit tests. Kept free of DOM and state so every other module (and tests/js) can share it.

// Fewest vertices a line, polygon or segmentation ring may have. The numbers come from the page's
// rules (labeling/views/workspace.py, from rules/labels.py); "ring" is each ring of an image
// segmentation, its outline and every hole.
export function minVertices(rules, kind) {
  const count = rules.minVertices[kind === "image_segmentation" ? "ring" : kind];
  if (!Number.isInteger(count)) throw new Error(`The page's rules give no vertex minimum for ${kind}.`);
  return count;
}

// Two decimals keep sub-pixel precision when zoomed in without long floats in the document.
export const round = (v) => Math.round(v * 100) / 100;
export const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

export function clampPoint([x, y], width, height) {
  return [round(clamp(x, 0, width)), round(clamp(y, 0, height))];
}

function ringPath(points, close) {
  if (!points.length) return "";
  let d = `M${points[0][0]} ${points[0][1]}`;
  for (let i = 1; i < points.length; i++) d += `L${points[i][0]} ${points[i][1]}`;
  return close ? `${d}Z` : d;
}

// SVG path data for a geometry of `kind`; points are drawn as circles elsewhere.
export function pathData(kind, c) {
  switch (kind) {
    case "rectangle": return `M${c[0]} ${c[1]}h${c[2]}v${c[3]}h${-c[2]}Z`;
    case "polygon": return ringPath(c, true);
    case "line": return ringPath(c, false);
    case "image_segmentation": return c.map((ring) => ringPath(ring, true)).join("");
    default: return "";
  }
}

// Editable vertices as [ringIndex, pointIndex, [x, y]]; rectangles expose their four corners.
export function vertices(kind, c) {
  if (kind === "point") return [[0, 0, c]];
  if (kind === "rectangle") {
    const [x, y, w, h] = c;
    return [[0, 0, [x, y]], [0, 1, [x + w, y]], [0, 2, [x + w, y + h]], [0, 3, [x, y + h]]];
  }
  const rings = kind === "image_segmentation" ? c : [c];
  const out = [];
  rings.forEach((ring, r) => ring.forEach((p, i) => out.push([r, i, p])));
  return out;
}

// Midpoints of each edge, where a click inserts a new vertex (after point index `i`).
export function midpoints(kind, c) {
  if (kind !== "polygon" && kind !== "line" && kind !== "image_segmentation") return [];
  const rings = kind === "image_segmentation" ? c : [c];
  const out = [];
  rings.forEach((ring, r) => {
    const closed = kind !== "line";
    const n = closed ? ring.length : ring.length - 1;
    for (let i = 0; i < n; i++) {
      const a = ring[i];
      const b = ring[(i + 1) % ring.length];
      out.push([r, i, [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2]]);
    }
  });
  return out;
}

export function allPoints(kind, c) {
  if (kind === "point") return [c];
  if (kind === "rectangle") return [[c[0], c[1]], [c[0] + c[2], c[1] + c[3]]];
  return kind === "image_segmentation" ? c.flat() : c;
}

export function bounds(kind, c) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const [x, y] of allPoints(kind, c)) {
    minX = Math.min(minX, x); minY = Math.min(minY, y);
    maxX = Math.max(maxX, x); maxY = Math.max(maxY, y);
  }
  return { minX, minY, maxX, maxY };
}

// Coordinates of `kind` moved by (dx, dy); callers clamp the offset to keep the shape inside.
export function translate(kind, c, dx, dy) {
  const move = ([x, y]) => [round(x + dx), round(y + dy)];
  if (kind === "point") return move(c);
  if (kind === "rectangle") return [round(c[0] + dx), round(c[1] + dy), c[2], c[3]];
  if (kind === "image_segmentation") return c.map((ring) => ring.map(move));
  return c.map(move);
}

// Largest offset not beyond (dx, dy) that keeps every box inside the image.
export function clampOffset(boxes, dx, dy, width, height) {
  for (const b of boxes) {
    dx = clamp(dx, -b.minX, width - b.maxX);
    dy = clamp(dy, -b.minY, height - b.maxY);
  }
  return [dx, dy];
}

// Coordinates with vertex (ring, index) moved to point p; a rectangle corner drag resizes it.
export function moveVertex(kind, c, ring, index, p) {
  if (kind === "point") return p;
  if (kind === "rectangle") {
    const corners = vertices(kind, c).map((v) => v[2]);
    const opposite = corners[(index + 2) % 4];
    const x = Math.min(p[0], opposite[0]);
    const y = Math.min(p[1], opposite[1]);
    return [round(x), round(y), round(Math.abs(p[0] - opposite[0])), round(Math.abs(p[1] - opposite[1]))];
  }
  if (kind === "image_segmentation") {
    return c.map((r, i) => (i === ring ? r.map((q, j) => (j === index ? p : q)) : r));
  }
  return c.map((q, j) => (j === index ? p : q));
}

export function ringOf(kind, c, ring) {
  return kind === "image_segmentation" ? c[ring] : c;
}

export function withRing(kind, c, ring, points) {
  return kind === "image_segmentation" ? c.map((r, i) => (i === ring ? points : r)) : points;
}

export function pointInRing([x, y], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function segmentsCross(a, b, c, d) {
  const orient = (p, q, r) => Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  return orient(a, b, c) * orient(a, b, d) < 0 && orient(c, d, a) * orient(c, d, b) < 0;
}

// A hole must lie inside its outline: every vertex inside and no edge crossing the outline.
export function ringInside(hole, outline) {
  if (!hole.every((p) => pointInRing(p, outline))) return false;
  for (let i = 0; i < hole.length; i++) {
    const a = hole[i], b = hole[(i + 1) % hole.length];
    for (let j = 0; j < outline.length; j++) {
      if (segmentsCross(a, b, outline[j], outline[(j + 1) % outline.length])) return false;
    }
  }
  return true;
}
