// static/labeling/panels.js: the question panel's rules come from the page's rules object
// (labeling/views/workspace.py), so the same options render as radios or a dropdown by its values.
// Importing panels.js needs no DOM; only building elements does.

import assert from "node:assert/strict";
import { test } from "node:test";

import { freetextMaxLength, optionControl } from "../../static/labeling/panels.js";

const optionQuestion = (count) => ({
  key: "q", name: "Q", kind: "option", children: [],
  options: Array.from({ length: count }, (_, i) => ({ key: `o${i}`, name: `O${i}` })),
});

test("with the rule sent today (3), three options are radios and four a dropdown", () => {
  const rules = { radioMaxOptions: 3 };
  assert.equal(optionControl(optionQuestion(1), rules), "radio");
  assert.equal(optionControl(optionQuestion(3), rules), "radio");
  assert.equal(optionControl(optionQuestion(4), rules), "select");
});

test("another radioMaxOptions in the page's rules moves the boundary", () => {
  assert.equal(optionControl(optionQuestion(4), { radioMaxOptions: 4 }), "radio");
  assert.equal(optionControl(optionQuestion(5), { radioMaxOptions: 4 }), "select");
  assert.equal(optionControl(optionQuestion(2), { radioMaxOptions: 1 }), "select");
});

test("a freetext box is as long as its question allows, else the rules' default", () => {
  assert.equal(freetextMaxLength({ kind: "freetext", max_length: 500 }, { freetextDefaultLength: 255 }), 500);
  assert.equal(freetextMaxLength({ kind: "freetext" }, { freetextDefaultLength: 255 }), 255);
  assert.equal(freetextMaxLength({ kind: "freetext" }, { freetextDefaultLength: 40 }), 40);
});
