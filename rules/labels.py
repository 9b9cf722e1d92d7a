"""The labels document of one task: its shape, validation against a configuration, and summaries.

    {"geometries": [geometry, ...], "classifications": {key: answer, ...}}
    geometry = {"id": "g1", "class": "car", "source": "human" | "import",
                "coordinates": ..., "classifications": {key: answer},
                "nested": [geometry, ...]}            # root geometries only
    answer   = {"values": ["sedan"], "children": {key: answer}}

Coordinates are image pixels from the top-left corner: a point is [x, y]; a line or polygon
[[x, y], ...]; a rectangle [x, y, w, h]; an image segmentation a list of rings, the outline
first and holes after it. docs/labels-document.md describes the format for API users.
"""

from itertools import chain
from numbers import Real

import numpy as np

from rules import shapes

SOURCES = ("human", "import")
MAX_ID_LENGTH = 64
MIN_POINTS = {"line": 2, "polygon": 3}
MIN_RING_POINTS = 3  # an image segmentation's outline and each of its holes
MAX_ERRORS = 1000  # a document broken everywhere is told its first problems, not millions of them
NUMBER_TYPES = frozenset({int, float})


def empty():
    return {"geometries": [], "classifications": {}}


def summarize(document):
    """Return (geometry_count, imported_count) over roots and nested geometries."""
    total = imported = 0
    for geometry in document.get("geometries", []):
        for item in (geometry, *geometry.get("nested", [])):
            total += 1
            imported += item.get("source") == "import"
    return total, imported


def validate(document, index, width, height, limits=shapes.DEFAULT_LIMITS):
    """Return a list of (path, message) for every way `document` breaks the configuration.

    `limits` (a rules.shapes.Limits) bounds its size; the app passes the settings' values
    (labeling/limits.py). Past MAX_ERRORS problems the check stops and says so in a last error.
    """
    checker = _Checker(index, width, height, limits)
    try:
        checker.document(document)
    except _TooManyErrors:
        checker.errors.append(("", f"more than {MAX_ERRORS} errors; fix these and try again"))
    return checker.errors


def missing_required(document, index):
    """Paths of required questions left unanswered: what blocks completing a task."""
    missing = []
    _missing_in(index.questions, document.get("classifications", {}), "classifications", missing)
    for i, geometry in enumerate(document.get("geometries", [])):
        entry = index.geometries.get(geometry.get("class"))
        if entry is None:
            continue
        path = f"geometries[{i}]"
        _missing_in(entry.questions, geometry.get("classifications", {}), f"{path}.classifications", missing)
        for j, nested in enumerate(geometry.get("nested", [])):
            child = entry.nested_geometries.get(nested.get("class"))
            if child is not None:
                nested_path = f"{path}.nested[{j}].classifications"
                _missing_in(child.questions, nested.get("classifications", {}), nested_path, missing)
    return missing


def _missing_in(questions, answers, path, missing):
    for key, entry in questions.items():
        answer = answers.get(key) or {}
        if entry.data.get("required") and not answer.get("values"):
            missing.append((f"{path}.{key}", f"`{entry.name}` is required"))
        _missing_in(entry.questions, answer.get("children", {}), f"{path}.{key}.children", missing)


def _plain_points(points, width, height):
    """`points` as an (n, 2) float array when every item is an [x, y] list of plain numbers inside
    the image, else None; the caller then finds each problem with its path, point by point.

    The common case in a few passes over the whole list instead of several calls per point: a
    16 MiB document holds millions of points.
    """
    if set(map(type, points)) != {list} or set(map(len, points)) != {2}:
        return None
    flat = list(chain.from_iterable(points))
    if not NUMBER_TYPES.issuperset(map(type, flat)):
        return None
    try:
        values = np.array(flat, dtype=np.float64)
    except OverflowError:  # an integer beyond any float
        return None
    # Integers above 2**53 round, but are far outside any image either way; NaN fails every test.
    # (Reductions over the flat array and its strided halves: numpy's axis=0 ones are 50x slower.)
    if values.min() >= 0 and values[0::2].max() <= width and values[1::2].max() <= height:
        return values.reshape(-1, 2)
    return None


class _TooManyErrors(Exception):
    pass


class _Checker:
    def __init__(self, index, width, height, limits):
        self.index = index
        self.width = width
        self.height = height
        self.limits = limits
        self.holes = shapes.HoleCheck(limits)
        self.errors = []
        self.ids = set()

    def fail(self, path, message):
        if len(self.errors) == MAX_ERRORS:
            raise _TooManyErrors
        self.errors.append((path, message))

    def document(self, document):
        if not isinstance(document, dict):
            self.fail("", "the labels document must be an object")
            return
        unknown = set(document) - {"geometries", "classifications"}
        if unknown:
            self.fail("", f"unknown key(s): {', '.join(sorted(unknown))}")
        geometries = document.get("geometries", [])
        if not isinstance(geometries, list):
            self.fail("geometries", "must be a list")
            geometries = []
        count = len(geometries) + sum(
            len(g["nested"]) for g in geometries if isinstance(g, dict) and isinstance(g.get("nested"), list)
        )
        if count > self.limits.geometries:
            self.fail("geometries", self.limits.geometries_error(count))
            return
        for i, geometry in enumerate(geometries):
            self.geometry(geometry, f"geometries[{i}]", self.index.geometries, nested_allowed=True)
        self.answers(document.get("classifications", {}), self.index.questions, "classifications")

    def geometry(self, geometry, path, classes, nested_allowed):
        if not isinstance(geometry, dict):
            self.fail(path, "each geometry must be an object")
            return
        allowed = {"id", "class", "source", "coordinates", "classifications"} | (
            {"nested"} if nested_allowed else set()
        )
        unknown = set(geometry) - allowed
        if unknown:
            self.fail(path, f"unknown key(s): {', '.join(sorted(unknown))}")
        gid = geometry.get("id")
        if not isinstance(gid, str) or not 0 < len(gid) <= MAX_ID_LENGTH:
            self.fail(f"{path}.id", f"id must be text of 1 to {MAX_ID_LENGTH} characters")
        elif gid in self.ids:
            self.fail(f"{path}.id", f"id `{gid}` is used twice")
        else:
            self.ids.add(gid)
        if geometry.get("source", "human") not in SOURCES:
            self.fail(f"{path}.source", "source must be human or import")
        key = geometry.get("class")
        entry = classes.get(key) if isinstance(key, str) else None
        if entry is None:
            choices = ", ".join(classes) or "none"
            self.fail(f"{path}.class", f"`{key}` is not a geometry class here (allowed: {choices})")
            return
        self.coordinates(geometry.get("coordinates"), entry.kind, f"{path}.coordinates")
        self.answers(geometry.get("classifications", {}), entry.questions, f"{path}.classifications")
        nested = geometry.get("nested", [])
        if not isinstance(nested, list):
            self.fail(f"{path}.nested", "must be a list")
            return
        for j, child in enumerate(nested):
            self.geometry(child, f"{path}.nested[{j}]", entry.nested_geometries, nested_allowed=False)

    def number(self, value, path, limit):
        if isinstance(value, bool) or not isinstance(value, Real) or value != value:
            self.fail(path, f"must be a number; got {value!r}")
            return False
        if not 0 <= value <= limit:
            self.fail(path, f"{value} is outside the image (0 to {limit})")
            return False
        return True

    def pair(self, value, path):
        if not isinstance(value, list) or len(value) != 2:
            self.fail(path, "a point is [x, y]")
            return False
        ok_x = self.number(value[0], f"{path}[0]", self.width)
        ok_y = self.number(value[1], f"{path}[1]", self.height)
        return ok_x and ok_y

    def ring(self, value, path, minimum):
        if not isinstance(value, list) or len(value) < minimum:
            self.fail(path, f"needs at least {minimum} points")
            return False
        if len(value) > self.limits.ring_points:
            self.fail(path, self.limits.ring_points_error(len(value)))
            return False
        if _plain_points(value, self.width, self.height) is not None:
            return True
        checked = [self.pair(p, f"{path}[{i}]") for i, p in enumerate(value)]
        return all(checked)

    def coordinates(self, value, kind, path):
        if kind == "point":
            self.pair(value, path)
        elif kind in MIN_POINTS:
            self.ring(value, path, MIN_POINTS[kind])
        elif kind == "rectangle":
            self.rectangle(value, path)
        else:
            self.segmentation(value, path)

    def rectangle(self, value, path):
        if not isinstance(value, list) or len(value) != 4:
            self.fail(path, "a rectangle is [x, y, w, h]")
            return
        limits = (self.width, self.height, self.width, self.height)
        checked = [self.number(v, f"{path}[{i}]", lim) for i, (v, lim) in enumerate(zip(value, limits, strict=True))]
        if all(checked):
            x, y, w, h = value
            if x + w > self.width or y + h > self.height:
                self.fail(path, "the rectangle reaches outside the image")

    def segmentation(self, value, path):
        if not isinstance(value, list) or not value:
            self.fail(path, "a segmentation is a list of rings: the outline, then holes")
            return
        if len(value) - 1 > self.limits.holes:
            self.fail(path, self.limits.holes_error(len(value) - 1))
            return
        limit = self.limits.ring_points
        xy = None
        if all(isinstance(r, list) and MIN_RING_POINTS <= len(r) <= limit for r in value):
            # All rings at once: a segmentation may hold a thousand small holes.
            xy = _plain_points(list(chain.from_iterable(value)), self.width, self.height)
        if xy is None:
            checked = [self.ring(r, f"{path}[{i}]", MIN_RING_POINTS) for i, r in enumerate(value)]
            if not all(checked):
                return
            xy = np.array(list(chain.from_iterable(value)), dtype=np.float64)
        try:
            outside = self.holes.holes_outside(xy, [len(r) for r in value])
        except shapes.TooMuchWork as error:
            self.fail(path, str(error))
            return
        for i in outside:
            self.fail(f"{path}[{i}]", "a hole must lie inside its outline")

    def answers(self, answers, questions, path):
        if not isinstance(answers, dict):
            self.fail(path, "classifications must be an object")
            return
        for key, answer in answers.items():
            entry = questions.get(key)
            if entry is None:
                choices = ", ".join(questions) or "none"
                self.fail(f"{path}.{key}", f"`{key}` is not a question here (allowed: {choices})")
                continue
            self.answer(answer, entry, f"{path}.{key}")

    def answer(self, answer, entry, path):
        if not isinstance(answer, dict) or set(answer) - {"values", "children"}:
            self.fail(path, 'an answer is {"values": [...], "children": {...}}')
            return
        values = answer.get("values", [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            self.fail(f"{path}.values", "values must be a list of text")
            values = []
        if entry.kind == "option" and len(values) > 1:
            self.fail(f"{path}.values", f"`{entry.key}` takes one option; got {len(values)}")
        if entry.kind in ("option", "checklist"):
            options = entry.option_keys
            for value in values:
                if value not in options:
                    self.fail(f"{path}.values", f"option `{value}` is not one of {', '.join(options)}")
            if len(set(values)) != len(values):
                self.fail(f"{path}.values", "an option is chosen twice")
        if entry.kind == "freetext":
            if len(values) > 1:
                self.fail(f"{path}.values", "a freetext answer is one text")
            elif values and len(values[0]) > entry.data["max_length"]:
                self.fail(f"{path}.values", f"text longer than {entry.data['max_length']} characters")
        self.answers(answer.get("children", {}), entry.questions, f"{path}.children")
