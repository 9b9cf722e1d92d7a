// static/labeling/model.js: configuration lookups driven by the page's rules, the labels document
// with undo/redo, and answers. Expected values are worked out by hand.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Classes, Labels, emptyDocument, getAnswer, newId, setAnswer } from "../../static/labeling/model.js";

// What labeling/views/workspace.py sends today (rules/configuration.py GEOMETRY_KINDS).
const RULES = { geometryKinds: ["point", "line", "polygon", "image_segmentation", "rectangle"] };

const question = (key, kind, children = []) => ({ key, name: key, kind, options: [{ key: "a", name: "A" }], children });
const CONFIGURATION = {
  entries: [
    { key: "car", name: "Car", kind: "polygon", color: "#ff0000", shortcut: "1",
      children: [question("car_type", "option")] },
    { key: "pedestrian", name: "Pedestrian", kind: "rectangle", color: "#00ff00", shortcut: "2",
      children: [{ key: "head", name: "Head", kind: "point", color: "#0000ff", shortcut: "3", children: [] },
        question("age", "option")] },
    question("tod", "option", [question("lighting", "option")]),
  ],
};

const shape = (id, cls, extra = {}) => ({ id, class: cls, source: "human", coordinates: [[0, 0], [4, 0], [4, 4]], ...extra });

function labels() {
  const model = new Labels(new Classes(CONFIGURATION, RULES));
  model.load(emptyDocument());
  return model;
}

test("Classes splits roots, nested classes and questions by the page's geometry kinds", () => {
  const classes = new Classes(CONFIGURATION, RULES);
  assert.deepEqual(classes.roots.map((e) => e.key), ["car", "pedestrian"]);
  assert.deepEqual(classes.questions.map((e) => e.key), ["tod"]);
  assert.deepEqual(classes.nestedOf("pedestrian").map((e) => e.key), ["head"]);
  assert.deepEqual(classes.nestedOf("car"), []);
  assert.deepEqual(classes.questionsOf(classes.byRoot.get("pedestrian")).map((e) => e.key), ["age"]);
  assert.equal(classes.byShortcut("3", "pedestrian").key, "head");
  assert.equal(classes.byShortcut("1", null).key, "car");
  assert.equal(classes.byShortcut("3", null), undefined);
  assert.equal(classes.classId({ class: "head" }, { class: "pedestrian" }), "pedestrian/head");
});

test("Classes takes its geometry kinds from the rules it is given, not from a copy of its own", () => {
  const classes = new Classes(CONFIGURATION, { geometryKinds: ["polygon", "point"] });
  assert.deepEqual(classes.roots.map((e) => e.key), ["car"]);
  assert.deepEqual(classes.questions.map((e) => e.key), ["pedestrian", "tod"]);
});

test("add, nest and remove; removing a root drops its nested shapes from the index", () => {
  const model = labels();
  model.add(shape("p1", "pedestrian", { coordinates: [1, 1, 5, 5] }));
  model.add(shape("h1", "head", { coordinates: [2, 2] }), "p1");
  assert.equal(model.get("h1").parent.id, "p1");
  assert.equal(model.entryOf("h1").key, "head");
  assert.deepEqual(model.doc.geometries[0].nested.map((g) => g.id), ["h1"]);
  model.remove("h1");
  assert.equal("nested" in model.doc.geometries[0], false); // an empty nested list is dropped
  model.add(shape("h2", "head", { coordinates: [3, 3] }), "p1");
  model.remove("p1");
  assert.deepEqual(model.doc.geometries, []);
  assert.equal(model.get("p1"), undefined);
  assert.equal(model.get("h2"), undefined);
});

test("undo and redo walk the history; a new change clears the redo side", () => {
  const model = labels();
  model.add(shape("a", "car"));
  model.add(shape("b", "car"));
  model.setCoordinates("a", [[1, 1], [5, 1], [5, 5]]);
  const ids = () => model.doc.geometries.map((g) => g.id);

  assert.equal(model.undo(), true);
  assert.deepEqual(model.get("a").geometry.coordinates, [[0, 0], [4, 0], [4, 4]]);
  assert.equal(model.undo(), true);
  assert.deepEqual(ids(), ["a"]);
  assert.equal(model.undo(), true);
  assert.deepEqual(ids(), []);
  assert.equal(model.undo(), false); // nothing left to undo

  assert.equal(model.redo(), true);
  assert.equal(model.redo(), true);
  assert.deepEqual(ids(), ["a", "b"]);
  assert.equal(model.get("b").geometry.id, "b"); // the index follows the restored document

  model.remove("b");
  assert.equal(model.redo(), false);
  assert.equal(model.redoStack.length, 0);
  assert.deepEqual(ids(), ["a"]);
});

test("edits with the same coalesce key are one undo step", () => {
  const model = labels();
  for (const text of ["w", "we", "wet"]) {
    model.change((doc) => setAnswer(doc.classifications, ["tod"], [text]), { ids: [], coalesce: "text:tod" });
  }
  model.change((doc) => setAnswer(doc.classifications, ["tod"], ["day"]), { ids: [] });
  assert.equal(model.undoStack.length, 2);
  model.undo();
  assert.deepEqual(getAnswer(model.doc.classifications, ["tod"]), ["wet"]);
  model.undo();
  assert.deepEqual(model.doc.classifications, {});
});

test("the history keeps the last 200 steps", () => {
  const model = labels();
  for (let i = 0; i < 205; i++) model.add(shape(`g${i}`, "car"));
  assert.equal(model.undoStack.length, 200);
  while (model.undo());
  assert.equal(model.doc.geometries.length, 5); // the first five additions can no longer be undone
});

test("revision counts every change, undo and redo; load starts a new history", () => {
  const model = labels();
  const heard = [];
  model.onChange((detail) => heard.push(detail));
  assert.equal(model.revision, 0);
  model.add(shape("a", "car"));
  model.undo();
  model.redo();
  assert.equal(model.revision, 3);
  assert.deepEqual(heard.map((d) => [d.ids, Boolean(d.history)]), [[["a"], false], [null, true], [null, true]]);
  model.load({ geometries: [shape("z", "car")] });
  assert.deepEqual(model.doc.classifications, {});
  assert.equal(model.get("z").geometry.id, "z");
  assert.equal(model.undo(), false);
  assert.equal(model.redo(), false);
});

test("setAnswer prunes empty answers; getAnswer reads nested ones", () => {
  const answers = {};
  setAnswer(answers, ["tod", "lighting"], ["street_lights"]);
  assert.deepEqual(answers, { tod: { values: [], children: { lighting: { values: ["street_lights"] } } } });
  assert.deepEqual(getAnswer(answers, ["tod", "lighting"]), ["street_lights"]);
  assert.deepEqual(getAnswer(answers, ["tod"]), []);
  assert.deepEqual(getAnswer(answers, ["weather"]), []);
  setAnswer(answers, ["tod"], ["night"]);
  setAnswer(answers, ["tod", "lighting"], []);
  assert.deepEqual(answers, { tod: { values: ["night"] } });
  setAnswer(answers, ["tod"], []);
  assert.deepEqual(answers, {});
});

test("newId gives distinct ids within the server's 64-character limit", () => {
  const ids = new Set(Array.from({ length: 1000 }, newId));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.ok(id.length <= 64, id);
});
