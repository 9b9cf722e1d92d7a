// static/labeling/geometry.js: the workspace's pure geometry, on hand-made shapes with hand-worked
// answers. Run with `node --test tests/js/` (part of `make test`).

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  bounds, clampOffset, clampPoint, midpoints, minVertices, moveVertex, pathData, pointInRing, ringInside,
  round, translate, vertices,
} from "../../static/labeling/geometry.js";

// What labeling/views/workspace.py sends today; the tests below also use other values on purpose.
const RULES = { minVertices: { line: 2, polygon: 3, ring: 3 } };

const SQUARE = [[0, 0], [10, 0], [10, 10], [0, 10]];
// An L: the square without its top-right quarter beyond (4, 4).
const L_SHAPE = [[0, 0], [10, 0], [10, 4], [4, 4], [4, 10], [0, 10]];

test("minVertices reads the page's rules; a segmentation's rings use the ring rule", () => {
  assert.equal(minVertices(RULES, "line"), 2);
  assert.equal(minVertices(RULES, "polygon"), 3);
  assert.equal(minVertices(RULES, "image_segmentation"), 3);
  const other = { minVertices: { line: 5, polygon: 6, ring: 7 } };
  assert.equal(minVertices(other, "line"), 5);
  assert.equal(minVertices(other, "polygon"), 6);
  assert.equal(minVertices(other, "image_segmentation"), 7);
});

test("minVertices refuses a kind the rules do not cover instead of guessing", () => {
  assert.throws(() => minVertices(RULES, "rectangle"), /no vertex minimum for rectangle/);
  assert.throws(() => minVertices({ minVertices: { line: 2 } }, "polygon"), /no vertex minimum for polygon/);
});

test("round keeps two decimals; clampPoint keeps a point inside the image", () => {
  assert.equal(round(3.14159), 3.14);
  assert.equal(round(2.71828), 2.72);
  assert.deepEqual(clampPoint([-5, 30.123], 20, 10), [0, 10]);
  assert.deepEqual(clampPoint([3.14159, 2.71828], 20, 10), [3.14, 2.72]);
  assert.deepEqual(clampPoint([25, -1], 20, 10), [20, 0]);
});

test("pointInRing: inside and outside a square and a concave L", () => {
  assert.equal(pointInRing([5, 5], SQUARE), true);
  assert.equal(pointInRing([15, 5], SQUARE), false);
  assert.equal(pointInRing([-1, 5], SQUARE), false);
  assert.equal(pointInRing([5, 11], SQUARE), false);
  assert.equal(pointInRing([2, 8], L_SHAPE), true); // the upright arm
  assert.equal(pointInRing([8, 2], L_SHAPE), true); // the foot
  assert.equal(pointInRing([8, 8], L_SHAPE), false); // the missing quarter
});

test("ringInside: a hole must have every vertex inside and no edge crossing the outline", () => {
  assert.equal(ringInside([[2, 2], [4, 2], [4, 4], [2, 4]], SQUARE), true);
  assert.equal(ringInside([[2, 2], [12, 2], [4, 4]], SQUARE), false); // one vertex outside
  assert.equal(ringInside([[5, 5], [9, 5], [9, 9], [5, 9]], L_SHAPE), false); // in the missing quarter
  // Every vertex lies in the L, but the edge (2, 8)-(8, 2) runs through the missing quarter at (5, 5).
  assert.equal(ringInside([[2, 8], [8, 2], [2, 2]], L_SHAPE), false);
  assert.equal(ringInside([[1, 1], [3, 1], [3, 3]], L_SHAPE), true);
});

test("pathData: SVG path data of each kind", () => {
  assert.equal(pathData("rectangle", [1, 2, 3, 4]), "M1 2h3v4h-3Z");
  assert.equal(pathData("polygon", [[0, 0], [10, 0], [0, 10]]), "M0 0L10 0L0 10Z");
  assert.equal(pathData("line", [[0, 0], [10, 0], [0, 10]]), "M0 0L10 0L0 10");
  assert.equal(
    pathData("image_segmentation", [[[0, 0], [10, 0], [10, 10]], [[2, 1], [8, 1], [8, 7]]]),
    "M0 0L10 0L10 10ZM2 1L8 1L8 7Z",
  );
  assert.equal(pathData("point", [1, 2]), "");
  assert.equal(pathData("polygon", []), "");
});

test("vertices: a rectangle's four corners, a segmentation's points ring by ring", () => {
  assert.deepEqual(vertices("rectangle", [1, 2, 3, 4]), [[0, 0, [1, 2]], [0, 1, [4, 2]], [0, 2, [4, 6]], [0, 3, [1, 6]]]);
  assert.deepEqual(vertices("point", [7, 8]), [[0, 0, [7, 8]]]);
  assert.deepEqual(
    vertices("image_segmentation", [[[0, 0], [9, 0], [9, 9]], [[1, 1], [2, 1], [2, 2]]]),
    [[0, 0, [0, 0]], [0, 1, [9, 0]], [0, 2, [9, 9]], [1, 0, [1, 1]], [1, 1, [2, 1]], [1, 2, [2, 2]]],
  );
});

test("midpoints: a line has no closing edge, a polygon has; points and rectangles have none", () => {
  const ring = [[0, 0], [10, 0], [10, 10]];
  assert.deepEqual(midpoints("line", ring), [[0, 0, [5, 0]], [0, 1, [10, 5]]]);
  assert.deepEqual(midpoints("polygon", ring), [[0, 0, [5, 0]], [0, 1, [10, 5]], [0, 2, [5, 5]]]);
  assert.deepEqual(midpoints("point", [1, 1]), []);
  assert.deepEqual(midpoints("rectangle", [0, 0, 4, 4]), []);
});

test("bounds of a rectangle, a polygon and a segmentation with a hole", () => {
  assert.deepEqual(bounds("rectangle", [1, 2, 3, 4]), { minX: 1, minY: 2, maxX: 4, maxY: 6 });
  assert.deepEqual(bounds("polygon", L_SHAPE), { minX: 0, minY: 0, maxX: 10, maxY: 10 });
  assert.deepEqual(bounds("point", [3, 4]), { minX: 3, minY: 4, maxX: 3, maxY: 4 });
  assert.deepEqual(
    bounds("image_segmentation", [[[5, 1], [9, 2], [6, 8]], [[6, 3], [7, 3], [7, 4]]]),
    { minX: 5, minY: 1, maxX: 9, maxY: 8 },
  );
});

test("translate moves every point, a rectangle only its corner, and rounds", () => {
  assert.deepEqual(translate("rectangle", [1, 2, 3, 4], 10, 20), [11, 22, 3, 4]);
  assert.deepEqual(translate("point", [0.1, 0], 0.2, 0), [0.3, 0]);
  assert.deepEqual(translate("line", [[0, 0], [1, 1]], 2, 3), [[2, 3], [3, 4]]);
  assert.deepEqual(translate("image_segmentation", [[[0, 0], [4, 0], [4, 4]]], 1, 1), [[[1, 1], [5, 1], [5, 5]]]);
});

test("clampOffset stops every box at the image border", () => {
  const boxes = [{ minX: 5, minY: 2, maxX: 15, maxY: 6 }, { minX: 8, minY: 1, maxX: 9, maxY: 3 }];
  assert.deepEqual(clampOffset(boxes, 10, 10, 20, 10), [5, 4]);
  assert.deepEqual(clampOffset(boxes, -10, -10, 20, 10), [-5, -1]);
  assert.deepEqual(clampOffset(boxes, 1, 1, 20, 10), [1, 1]);
});

test("moveVertex: a corner drag resizes a rectangle, past the opposite corner too", () => {
  assert.deepEqual(moveVertex("rectangle", [0, 0, 10, 10], 0, 2, [4, 6]), [0, 0, 4, 6]);
  assert.deepEqual(moveVertex("rectangle", [0, 0, 10, 10], 0, 0, [15, 12]), [10, 10, 5, 2]);
  assert.deepEqual(moveVertex("polygon", [[0, 0], [4, 0], [4, 4]], 0, 1, [5, 1]), [[0, 0], [5, 1], [4, 4]]);
  assert.deepEqual(
    moveVertex("image_segmentation", [[[0, 0], [9, 0], [9, 9]], [[1, 1], [2, 1], [2, 2]]], 1, 2, [3, 3]),
    [[[0, 0], [9, 0], [9, 9]], [[1, 1], [2, 1], [3, 3]]],
  );
  assert.deepEqual(moveVertex("point", [1, 1], 0, 0, [2, 2]), [2, 2]);
});
