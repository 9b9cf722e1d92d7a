"""DataGym JSON (docs/export.md, docs/import.md, docs/schemas/datagym-import.schema.json;
docs/decisions.md "DataGym JSON export" and "DataGym JSON import").

``write()`` streams an export: ``[{"label_classes": [...]}, task, task, ...]``, one task at a time,
so memory does not grow with the project. Input is a normalised configuration and task rows
(plain dicts holding a labels document, see rules/labels.py). ``read()`` parses and checks
an import file against a configuration and returns one ``Item`` per image plus every error with
its JSON path; docs/import.md lists the rules.
"""

import functools
import math
import re
import uuid
from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np
import shapely

from formats import jsonio
from rules import shapes
from rules.labels import MIN_POINTS as DOCUMENT_MIN_POINTS
from rules.labels import MIN_RING_POINTS

RADIO_MAX_OPTIONS = 3  # the seed's rule: option classes with at most three options export as radio


def label_classes(configuration):
    """Every configured entry, nested ones included, depth first in configuration order."""
    classes = []

    def visit(entries):
        for entry in entries:
            kind = entry["kind"]
            if kind == "option":
                kind_key, name = (
                    "classification_type",
                    "radio" if len(entry["options"]) <= RADIO_MAX_OPTIONS else "select",
                )
            elif kind in ("checklist", "freetext"):
                kind_key, name = "classification_type", kind
            else:
                kind_key, name = "geometry_type", kind
            classes.append({"class_name": entry["key"], kind_key: name})
            visit(entry["children"])

    visit(configuration["entries"])
    return classes


QUESTION_KINDS = ("option", "checklist", "freetext")
NO_NESTED = {}  # shared by every root geometry of a class without nested classes; never mutated


class _Question:
    """One configured question, compiled once: its key, its children, and its unanswered array."""

    __slots__ = ("key", "children", "unanswered", "unanswered_children")

    def __init__(self, entry):
        self.key = entry["key"]
        self.children = [_Question(child) for child in entry["children"]]
        # Shared by every occurrence; the writer never mutates these lists.
        self.unanswered_children = [{c.key: c.unanswered} for c in self.children]
        self.unanswered = [None, *self.unanswered_children]

    def array(self, answer):
        """The DataGym classification array: the chosen values (or null), then one object per child."""
        if not answer:
            return self.unanswered
        values = answer.get("values") or [None]
        given = answer.get("children")
        if not given:
            return values + self.unanswered_children if self.children else values
        return values + [{c.key: c.array(given.get(c.key))} for c in self.children]


def _unanswered(questions):
    return {q.key: q.unanswered for q in questions}


def _answers(questions, given, unanswered):
    """DataGym classification arrays for every configured question, answered or not."""
    if not given:
        return unanswered
    return {q.key: q.array(given.get(q.key)) for q in questions}


def _points(coordinates):
    return [{"x": x, "y": y} for x, y in coordinates]


PAYLOADS = {
    "point": lambda c: [{"x": c[0], "y": c[1]}],
    "rectangle": lambda c: [{"x": c[0], "y": c[1], "w": c[2], "h": c[3]}],
    "image_segmentation": lambda c: [_points(ring) for ring in c],
    "line": _points,
    "polygon": _points,
}


class _GeometryClass:
    """One configured geometry class, compiled once: its payload writer, questions and nested classes."""

    __slots__ = ("key", "kind", "payload", "questions", "unanswered", "nested")

    def __init__(self, entry):
        self.key = entry["key"]
        self.kind = entry["kind"]
        self.payload = PAYLOADS[self.kind]
        self.questions = [_Question(c) for c in entry["children"] if c["kind"] in QUESTION_KINDS]
        self.unanswered = _unanswered(self.questions)
        self.nested = {c["key"]: _GeometryClass(c) for c in entry["children"] if c["kind"] not in QUESTION_KINDS}

    def element(self, geometry):
        return {
            self.kind: self.payload(geometry["coordinates"]),
            "classifications": _answers(self.questions, geometry.get("classifications"), self.unanswered),
        }


class _Shapes:
    """The configuration compiled for writing: root geometry classes and global questions."""

    def __init__(self, configuration):
        entries = configuration["entries"]
        self.roots = {e["key"]: _GeometryClass(e) for e in entries if e["kind"] not in QUESTION_KINDS}
        self.globals = [_Question(e) for e in entries if e["kind"] in QUESTION_KINDS]
        self.unanswered = _unanswered(self.globals)


def task_element(shapes, row):
    """One exported task: header keys in the decided order, then classifications and labels."""
    document = row["document"] or {}
    element = {
        "internal_media_ID": row["internal_media_ID"],
        "external_media_ID": row["external_media_ID"],
        "labeler": row["labeler"],
        "status": row["status"],
    }
    if row.get("segmentations") is not None:
        element["segmentations"] = row["segmentations"]
    element["global_classifications"] = _answers(shapes.globals, document.get("classifications"), shapes.unanswered)
    labels = {key: [] for key in shapes.roots}
    for geometry in document.get("geometries", ()):
        root = shapes.roots.get(geometry["class"])
        if root is None:
            continue
        item = root.element(geometry)
        if root.nested:
            nested = {key: [] for key in root.nested}
            for child in geometry.get("nested", ()):
                child_class = root.nested.get(child["class"])
                if child_class is not None:
                    nested[child_class.key].append(child_class.element(child))
            item["nested_geometries"] = nested
        else:
            item["nested_geometries"] = NO_NESTED
        labels[root.key].append(item)
    element["labels"] = labels
    return element


def header(configuration):
    """The start of an export file: the array's opening and its ``label_classes`` element."""
    return b"[" + jsonio.dumps({"label_classes": label_classes(configuration)})


FOOTER = b"]\n"


def write_tasks(stream, configuration, rows):
    """Write one element per task row, each after a separator; returns how many were written.

    Parts written this way by several processes concatenate, between header() and FOOTER, into
    one file.
    """
    shapes = _Shapes(configuration)
    count = 0
    with jsonio.collector_paused():
        for row in rows:
            stream.write(b",\n")
            stream.write(jsonio.dumps(task_element(shapes, row)))
            count += 1
    return count


def write(stream, configuration, rows):
    """Write the whole export to the binary `stream`; returns the number of tasks written."""
    stream.write(header(configuration))
    count = write_tasks(stream, configuration, rows)
    stream.write(FOOTER)
    return count


# Import ------------------------------------------------------------------------------------------


GEOMETRY_KEYS = ("geometry", "rectangle", "polygon", "point", "line", "image_segmentation")
LABEL_KEYS = (*GEOMETRY_KEYS, "classifications", "nested_geometries")
MIN_POINTS = {"point": 1, **DOCUMENT_MIN_POINTS, "ring": MIN_RING_POINTS}
MAX_ERRORS = 1000
# msgspec, like every recursive decoder, gives up at some depth; the format never needs more than 10.
TOO_DEEP = "the JSON is nested too deeply to read"
DIGITS = re.compile(r"[0-9]+")
MAX_DIGITS = 400  # a digit string this long is beyond any float and any image
PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
PROGRESS_EVERY = 500

Number = int | float | str


class _XY(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A point of a point, line, polygon or segmentation ring: just x and y, as the seed's schema says."""

    x: Number
    y: Number


class _Corner(msgspec.Struct, gc=False):
    """A rectangle's {x, y, w, h}; other keys are ignored, as the seed's schema ignores them."""

    x: Number
    y: Number
    w: Number
    h: Number


class _AnyCorner(msgspec.Struct, gc=False):
    """An item of the deprecated `geometry` key: {x, y} or {x, y, w, h}, read by the class's type."""

    x: Number
    y: Number
    w: Number | msgspec.UnsetType = msgspec.UNSET
    h: Number | msgspec.UnsetType = msgspec.UNSET


Points = list[_XY] | msgspec.UnsetType
Corners = list[_Corner] | msgspec.UnsetType
AnyCorners = list[_AnyCorner] | msgspec.UnsetType


class _Nested(msgspec.Struct):
    """A nested geometry object; unknown keys are ignored, as the seed's schema ignores them."""

    geometry: AnyCorners = msgspec.UNSET
    rectangle: Corners = msgspec.UNSET
    polygon: Points = msgspec.UNSET
    point: Points = msgspec.UNSET
    line: Points = msgspec.UNSET
    image_segmentation: list[list[_XY]] | msgspec.UnsetType = msgspec.UNSET
    classifications: dict[str, Any] = {}
    nested_geometries: dict[str, Any] = {}


class _Label(_Nested, forbid_unknown_fields=True):
    """A root geometry object: the seed's schema forbids unknown keys here and nests objects."""

    nested_geometries: dict[str, list[_Nested]] = {}


class _Image(msgspec.Struct):
    """One element of the file; other keys (labeler, status, segmentations, ...) are ignored."""

    internal_media_ID: str | msgspec.UnsetType = msgspec.UNSET
    external_media_ID: Any = msgspec.UNSET
    keepData: bool = True  # noqa: N815 - the file's key
    global_classifications: dict[str, Any] = {}
    labels: dict[str, list[_Label]] = {}
    label_classes: Any = msgspec.UNSET


@dataclass(frozen=True, slots=True)
class Item:
    """One image's imported labels, ready to write.

    ``geometries`` is the JSON (bytes) of the document's geometry list, ids ``i1``, ``i2``, ...
    in file order and ``source`` "import": kept serialised so a large file costs about its own
    size in memory, not ten times that as Python objects (performance-notes.md).
    ``classifications`` maps each global question named in the file to its answer; an empty
    answer (``[null]``) clears that question when the existing labels are kept.
    """

    position: int
    media_id: str
    keep_data: bool
    geometries: bytes
    classifications: dict
    geometry_count: int
    answer_count: int

    def document(self):
        """The labels document this item gives an image that had no labels."""
        return {
            "geometries": jsonio.loads(self.geometries),
            "classifications": {k: v for k, v in self.classifications.items() if answered(v)},
        }


def answered(answer):
    """True for an answer with a value or an answered nested question; others are left out."""
    return bool(answer["values"] or answer.get("children"))


def read(data, index, media_sizes=None, *, names=None, clip=False, progress=None, limits=shapes.DEFAULT_LIMITS):
    """Parse and check a DataGym import file; return (items, errors).

    `data` is the file's bytes; `index` a rules.configuration.Index. `media_sizes` maps each image
    id the file may name to its (width, height); None skips the image and bounds checks.
    `names` maps file names to image ids (None for a name several images share) and turns on
    matching by ``external_media_ID``. `clip` cuts geometries to the image instead of refusing
    coordinates outside it. `progress(done, total)` is called now and then. Errors are
    (path, message) pairs such as ``("[3].labels.car[0].polygon[1].x", "700 is outside ...")``;
    items are only meaningful when there are none. `limits` (a rules.shapes.Limits; the app passes
    the settings' values, labeling/limits.py) bounds each image's labels as a save bounds a task's.
    """
    reader = _Reader(index, media_sizes, names, clip, limits)
    elements = reader.elements(data)
    items = []
    total = len(elements)
    # Parsing is bound by allocations; the cyclic collector finds nothing in fresh parse trees.
    with jsonio.collector_paused():
        try:
            for position, raw in enumerate(elements):
                item = reader.element(raw, position)
                if item is not None:
                    items.append(item)
                if progress is not None and position % PROGRESS_EVERY == PROGRESS_EVERY - 1:
                    progress(position + 1, total)
        except _TooManyErrors:
            pass
    errors = reader.errors
    if len(errors) >= MAX_ERRORS:
        errors = [*errors[:MAX_ERRORS], ("", f"more than {MAX_ERRORS} errors; fix these and try again")]
    return items, errors


@functools.lru_cache(maxsize=4096)
def _segment(key):
    return f".{key}" if PLAIN_KEY.fullmatch(key) else f"[{jsonio.dumps_text(key)}]"


def _key_path(path, key):
    return path + _segment(key)


def _kind_name(kind):
    return "an image_segmentation" if kind == "image_segmentation" else f"a {kind}"


def _number_text(value):
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, _OutOfRange):
        return value.text
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # orjson writes no integer past 64 bits
    try:
        return jsonio.dumps_text(value)
    except TypeError:  # such an integer inside a list or an object
        return repr(value)


class _OutOfRange:
    """A JSON number no float can hold, such as 1e400, kept as its text to be reported."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


def _float(text):
    value = float(text)
    return value if math.isfinite(value) else _OutOfRange(text)


# The untyped parse of an element that failed the typed one: numbers out of range become markers
# (msgspec would otherwise stop at the first one, naming no usable path).
UNTYPED = msgspec.json.Decoder(float_hook=_float)


class _TooManyErrors(Exception):
    """MAX_ERRORS is reached: reading stops, and the caller says there were more."""


def _tidy(value):
    """Shapely gives floats; whole numbers go back to ints so clipped output stays exact JSON."""
    return int(value) if value.is_integer() else value


class _Reader:
    def __init__(self, index, media_sizes, names, clip, limits):
        self.index = index
        self.media_sizes = media_sizes
        self.names = names
        self.clip = clip
        self.limits = limits
        self.errors = []
        self.decoder = msgspec.json.Decoder(_Image)
        self.option_sets = {}

    def fail(self, path, message):
        self.errors.append((path, message))
        if len(self.errors) > MAX_ERRORS:
            raise _TooManyErrors

    def elements(self, data):
        try:
            elements = msgspec.json.decode(data, type=list[msgspec.Raw])
        except msgspec.ValidationError:
            self.fail("", "the file must be a JSON array of images: [{...}, {...}]")
            return []
        except msgspec.DecodeError:
            self.fail("", f"the file is not valid JSON: {_syntax_error(data)}")
            return []
        except RecursionError:
            self.fail("", TOO_DEEP)
            return []
        if not elements:
            self.fail("", "the file holds no images")
        return elements

    def element(self, raw, position):
        path = f"[{position}]"
        try:
            image = self.decoder.decode(raw)
        except msgspec.ValidationError as error:
            self.structure_errors(raw, path, str(error))
            return None
        except RecursionError:
            self.fail(path, TOO_DEEP)
            return None
        if image.label_classes is not msgspec.UNSET and image.internal_media_ID is msgspec.UNSET:
            return None  # the class list an export starts with (decisions.md)
        media = self.media(image, path)
        size = self.media_sizes.get(media) if self.media_sizes is not None and media else None
        return self.image(image, path, position, media, size)

    def media(self, image, path):
        by_name = self.names is not None and isinstance(image.external_media_ID, str)
        if by_name:
            name = image.external_media_ID
            if name not in self.names:
                self.fail(f"{path}.external_media_ID", f"no image named `{name}` in this project")
                return None
            if self.names[name] is None:
                self.fail(f"{path}.external_media_ID", f"several images in this project are named `{name}`")
                return None
            return self.names[name]
        media = image.internal_media_ID
        if media is msgspec.UNSET:
            hint = "" if self.names is not None else " (or match images by file name)"
            self.fail(path, f"internal_media_ID is missing{hint}")
            return None
        if self.media_sizes is None or media in self.media_sizes:
            return media
        try:
            canonical = str(uuid.UUID(media))
        except ValueError:
            canonical = None
        if canonical in self.media_sizes:
            return canonical
        self.fail(f"{path}.internal_media_ID", f"no image `{media}` in this project")
        return None

    def image(self, image, path, position, media, size):
        before = len(self.errors)
        self.ids = 0
        self.answer_count = 0
        # The same bounds as a task's labels on save (rules/shapes.py), checked per image.
        self.holes = shapes.HoleCheck(self.limits)
        count = sum(
            len(objects) + sum(len(children) for obj in objects for children in obj.nested_geometries.values())
            for objects in image.labels.values()
        )
        if count > self.limits.geometries:
            self.fail(f"{path}.labels", self.limits.geometries_error(count))
            return None
        geometries = []
        for key, objects in image.labels.items():
            labels_path = _key_path(f"{path}.labels", key)
            entry = self.entry(self.index.geometries, key)
            if entry is None:
                if self.entry(self.index.questions, key) is not None:
                    self.fail(labels_path, f"`{key}` is a classification; put it under global_classifications")
                else:
                    allowed = ", ".join(self.index.geometries) or "none"
                    self.fail(labels_path, f"`{key}` is not a geometry class of this project (classes: {allowed})")
                continue
            for j, obj in enumerate(objects):
                geometry = self.geometry(obj, entry, f"{labels_path}[{j}]", size, nested_allowed=True)
                if geometry is not None:
                    geometries.append(geometry)
        answers = self.answers(
            image.global_classifications, self.index.questions, path, ".global_classifications", "global"
        )
        if len(self.errors) > before or media is None:
            return None
        try:
            encoded = jsonio.dumps(geometries)
        except TypeError:
            # Only integers past 64 bits get here, when no image size bounds them.
            self.fail(f"{path}.labels", "a coordinate is too large")
            return None
        return Item(
            position=position,
            media_id=media,
            keep_data=image.keepData,
            geometries=encoded,
            classifications=answers,
            geometry_count=self.ids,
            answer_count=self.answer_count,
        )

    @staticmethod
    def entry(entries, key):
        # Keys are stored lower-cased; DataGym matched class keys regardless of case too.
        return entries.get(key) or entries.get(key.lower())

    def geometry(self, obj, entry, path, size, nested_allowed):
        values = (obj.geometry, obj.rectangle, obj.polygon, obj.point, obj.line, obj.image_segmentation)
        if values.count(msgspec.UNSET) != len(values) - 1:
            given = [key for key, value in zip(GEOMETRY_KEYS, values, strict=True) if value is not msgspec.UNSET]
            if given:
                self.fail(path, f"give the geometry once; found {' and '.join(f'`{k}`' for k in given)}")
            else:
                self.fail(path, f"no geometry: give the {entry.kind} of this `{entry.key}` under `{entry.kind}`")
            return None
        key = entry.kind
        value = getattr(obj, key)
        if value is msgspec.UNSET:
            key = next(k for k, v in zip(GEOMETRY_KEYS, values, strict=True) if v is not msgspec.UNSET)
            value = getattr(obj, key)
        coordinates = self.coordinates(value, key, entry, _key_path(path, key), size)
        self.ids += 1
        geometry = {
            "id": f"i{self.ids}",
            "class": entry.key,
            "source": "import",
            "coordinates": coordinates,
            "classifications": self.answers(obj.classifications, entry.questions, path, ".classifications", entry),
        }
        nested_path = f"{path}.nested_geometries"
        if nested_allowed:
            nested = []
            for key, objects in obj.nested_geometries.items():
                child_path = _key_path(nested_path, key)
                child = self.entry(entry.nested_geometries, key)
                if child is None:
                    allowed = ", ".join(entry.nested_geometries) or "none"
                    self.fail(
                        child_path, f"`{key}` is not a nested geometry class of `{entry.key}` (allowed: {allowed})"
                    )
                    continue
                for j, child_obj in enumerate(objects):
                    item = self.geometry(child_obj, child, f"{child_path}[{j}]", size, nested_allowed=False)
                    if item is not None:
                        nested.append(item)
            if nested:
                geometry["nested"] = nested
        elif obj.nested_geometries:
            self.fail(nested_path, "a nested geometry cannot have nested geometries of its own")
        return geometry

    def coordinates(self, value, key, entry, path, size):
        kind = entry.kind
        if key != "geometry" and key != kind:
            self.fail(path, f"`{entry.key}` is {_kind_name(kind)} class; got {_kind_name(key)}")
            return None
        if key == "geometry" and kind != "rectangle":
            if any(p.w is not msgspec.UNSET or p.h is not msgspec.UNSET for p in value):
                self.fail(path, f"`{entry.key}` is {_kind_name(kind)} class; got a rectangle")
                return None
            value = [_XY(p.x, p.y) for p in value]
        if kind == "image_segmentation":
            # The deprecated `geometry` key can only hold points: one outline without holes.
            rings = [value] if key == "geometry" else value
            return self.segmentation(rings, entry, path, size)
        if kind == "rectangle":
            return self.rectangle(value, entry, path, size)
        return self.points(value, entry.kind, entry.key, path, size)

    def points(self, items, kind, class_key, path, size):
        """Points of a point, line, polygon or segmentation ring (`kind` "ring"), checked and converted."""
        minimum = MIN_POINTS[kind]
        if kind == "point" and len(items) != 1:
            self.fail(path, f"a point is one {{x, y}} object; got {len(items)}")
            return None
        if len(items) < minimum:
            self.fail(path, f"{_kind_name(kind)} needs at least {minimum} points; got {len(items)}")
            return None
        if len(items) > self.limits.ring_points:
            self.fail(path, self.limits.ring_points_error(len(items)))
            return None
        xs = [p.x for p in items]
        ys = [p.y for p in items]
        try:
            low_x, high_x, low_y, high_y = min(xs), max(xs), min(ys), max(ys)
            numeric = str not in (type(low_x), type(high_x), type(low_y), type(high_y))
        except TypeError:  # numbers mixed with digit strings
            numeric = False
        if not numeric:
            xs = [self.number(v, f"{path}[{i}].x") for i, v in enumerate(xs)]
            ys = [self.number(v, f"{path}[{i}].y") for i, v in enumerate(ys)]
            if None in xs or None in ys:
                return None
            low_x, high_x, low_y, high_y = min(xs), max(xs), min(ys), max(ys)
        if size is not None and (low_x < 0 or low_y < 0 or high_x > size[0] or high_y > size[1]):
            if not self.clip:
                self.outside(xs, ys, path, size)
                return None
            if kind == "point":
                return [min(max(xs[0], 0), size[0]), min(max(ys[0], 0), size[1])]
            return self.clipped(list(zip(xs, ys, strict=True)), kind, path, size)
        if kind == "point":
            return [xs[0], ys[0]]
        return list(zip(xs, ys, strict=True))

    def rectangle(self, items, entry, path, size):
        if len(items) != 1 or items[0].w is msgspec.UNSET or items[0].h is msgspec.UNSET:
            self.fail(path, f"`{entry.key}` is a rectangle class; a rectangle is one {{x, y, w, h}} object")
            return None
        corner = items[0]
        values = [corner.x, corner.y, corner.w, corner.h]
        at = path + "[0]"
        if str in map(type, values):
            values = [self.number(value, f"{at}.{name}") for name, value in zip("xywh", values, strict=True)]
            if None in values:
                return None
        x, y, w, h = values
        if size is None:
            return values
        width, height = size
        if min(x, y) < 0 or x + w > width or y + h > height:
            if not self.clip:
                self.fail(at, f"the rectangle reaches outside the image (0 to {width} x 0 to {height})")
                return None
            left, top = max(x, 0), max(y, 0)
            right, bottom = min(x + w, width), min(y + h, height)
            if right < left or bottom < top:
                self.fail(at, "the rectangle lies entirely outside the image")
                return None
            return [left, top, right - left, bottom - top]
        return values

    def segmentation(self, rings, entry, path, size):
        if not rings:
            self.fail(path, "a segmentation needs its outline ring, then any holes")
            return None
        if len(rings) - 1 > self.limits.holes:
            self.fail(path, self.limits.holes_error(len(rings) - 1))
            return None
        result = []
        for i, ring in enumerate(rings):
            ring_path = f"{path}[{i}]"
            points = self.points(ring, "ring", entry.key, ring_path, None)
            if points is None:
                continue
            result.append(points)
        if len(result) != len(rings):
            return None
        inside = size is None or all(_inside([p[0] for p in r], [p[1] for p in r], size) for r in result)
        if not inside and not self.clip:
            for i, ring in enumerate(result):
                self.outside([p[0] for p in ring], [p[1] for p in ring], f"{path}[{i}]", size)
            return None
        try:
            points = np.array([point for ring in result for point in ring], dtype=np.float64)
        except OverflowError:  # an integer beyond any float, where no image size bounds it
            self.fail(path, "a coordinate is too large")
            return None
        # The check a save runs (rules/shapes.py), on the coordinates as given.
        try:
            outside = self.holes.holes_outside(points, [len(ring) for ring in result])
        except shapes.TooMuchWork as error:
            self.fail(path, str(error))
            return None
        for i in outside:
            self.fail(f"{path}[{i}]", "a hole must lie inside its outline")
        if outside:
            return None
        return result if inside else self.clipped(result, entry.kind, path, size)

    def clipped(self, coordinates, kind, path, size):
        """Cut a line, polygon or segmentation to the image (shapely); one piece must remain."""
        frame = shapely.box(0, 0, *size)
        crossed = f"this {kind} crosses itself, so it cannot be clipped to the image"
        try:
            if kind == "line":
                shape = shapely.LineString(coordinates)
            elif kind == "polygon":
                shape = shapely.Polygon(coordinates)
            else:
                shape = shapely.Polygon(coordinates[0], coordinates[1:])
        except OverflowError:
            self.fail(path, "a coordinate is too large")
            return None
        # GEOS's overlay of a shape that crosses itself thousands of times runs for minutes
        # (docs/benchmarks.md "Validation"); the validity tests stop at the first crossing.
        if not (shapely.is_simple(shape) if kind == "line" else shapely.is_valid(shape)):
            if kind == "image_segmentation":
                crossed = f"this {kind} crosses itself or its holes cross it, so it cannot be clipped to the image"
            self.fail(path, crossed)
            return None
        try:
            cut = shape.intersection(frame)
        except shapely.errors.GEOSException:
            self.fail(path, crossed)
            return None
        if cut.is_empty or cut.geom_type not in ("LineString", "Polygon"):
            where = "lies entirely outside the image" if cut.is_empty else "falls apart into several pieces"
            self.fail(path, f"clipped to the image, this {kind} {where}")
            return None

        def ring(coords, closed):
            points = [(_tidy(x), _tidy(y)) for x, y in coords]
            return points[:-1] if closed else points

        if kind == "line":
            return ring(cut.coords, closed=False)
        if kind == "polygon":
            return ring(cut.exterior.coords, closed=True)
        return [ring(cut.exterior.coords, closed=True), *(ring(r.coords, closed=True) for r in cut.interiors)]

    def number(self, value, path):
        if isinstance(value, str):
            if len(value) > MAX_DIGITS and DIGITS.fullmatch(value):
                self.fail(path, f"{value[:20]!r}... ({len(value)} digits) is out of range for a number")
                return None
            if DIGITS.fullmatch(value):
                return int(value)
            self.fail(path, f"{value!r} is not a number; use a number or a string of digits")
            return None
        return value

    def outside(self, xs, ys, path, size):
        for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
            for name, value, limit in (("x", x, size[0]), ("y", y, size[1])):
                if not 0 <= value <= limit:
                    self.fail(f"{path}[{i}].{name}", f"{_number_text(value)} is outside the image (0 to {limit})")

    def answers(self, arrays, questions, parent_path, suffix, owner):
        """Answers for `questions` from DataGym arrays: value items, then {child: array} objects.

        The path is `parent_path` + `suffix`, joined only when there is an error to report.
        """
        if not isinstance(arrays, dict):
            self.fail(parent_path + suffix, "classifications must be an object")
            return {}
        result = {}
        for key, array in arrays.items():
            entry = questions.get(key)
            if entry is not None and type(array) is list and len(array) == 1 and type(array[0]) is str:
                # The common case, one chosen option, without the general walk below.
                options = self.option_sets.get(id(entry))
                if options is None:
                    options = self.option_sets[id(entry)] = frozenset(entry.option_keys)
                if array[0] in options:
                    result[key] = {"values": array}
                    self.answer_count += 1
                    continue
            key_path = _key_path(parent_path + suffix, key)
            entry = self.entry(questions, key) if isinstance(key, str) else None
            if entry is None:
                allowed = ", ".join(questions) or "none"
                where = "a global classification" if owner == "global" else f"a classification of `{owner.key}`"
                self.fail(key_path, f"`{key}` is not {where} (allowed: {allowed})")
                continue
            answer = self.answer(array, entry, key_path)
            if answer is None:
                continue
            if owner == "global" or answered(answer):
                result[entry.key] = answer
        return result

    def answer(self, array, entry, path):
        if not isinstance(array, list):
            self.fail(path, "a classification is a list: the chosen values, then nested classifications")
            return None
        values = []
        children = {}
        for k, item in enumerate(array):
            if item is None:
                continue
            if isinstance(item, str):
                values.append((k, item))
            elif isinstance(item, dict):
                for child_key, child_array in item.items():
                    child_path = _key_path(f"{path}[{k}]", child_key)
                    child = self.entry(entry.questions, child_key)
                    if child is None:
                        allowed = ", ".join(entry.questions) or "none"
                        message = f"`{child_key}` is not a nested classification of `{entry.key}` (allowed: {allowed})"
                        self.fail(child_path, message)
                        continue
                    if child.key in children:
                        self.fail(child_path, f"`{child.key}` is answered twice")
                        continue
                    answer = self.answer(child_array, child, child_path)
                    if answer is not None and answered(answer):
                        children[child.key] = answer
            else:
                self.fail(f"{path}[{k}]", "must be a text, null or an object of nested classifications")
        self.check_values(values, entry, path)
        result = {"values": [v for _, v in values]}
        if children:
            result["children"] = children
        if result["values"]:
            self.answer_count += 1
        return result

    def check_values(self, values, entry, path):
        kind = entry.kind
        if kind == "freetext":
            if len(values) > 1:
                self.fail(path, f"`{entry.key}` takes one text; got {len(values)}")
            for k, text in values:
                if len(text) > entry.data["max_length"]:
                    self.fail(f"{path}[{k}]", f"the text is longer than {entry.data['max_length']} characters")
                if "\x00" in text:
                    self.fail(f"{path}[{k}]", "the text contains a NUL character")
            return
        if kind == "option" and len(values) > 1:
            self.fail(path, f"`{entry.key}` takes one option; got {len(values)}")
        options = entry.option_keys
        seen = set()
        for k, value in values:
            if value not in options:
                self.fail(f"{path}[{k}]", f"option `{value}` is not one of {', '.join(options)}")
            elif value in seen:
                self.fail(f"{path}[{k}]", f"option `{value}` is chosen twice")
            seen.add(value)

    def structure_errors(self, raw, path, fallback):
        """Every structural error of one element, found by walking it untyped (the slow path)."""
        before = len(self.errors)
        try:
            element = UNTYPED.decode(raw)
        except msgspec.ValidationError:
            # Only integers of thousands of digits get here; orjson tells where the first one is.
            self.fail(path, f"a number is out of range: {_syntax_error(raw)}")
            return
        _out_of_range(element, path, self.fail)
        _Structure(self.fail).element(element, path)
        if len(self.errors) == before:
            self.fail(path, fallback)


def _out_of_range(value, path, fail):
    """Report every number of `value` (an untyped element) that no float holds, with its path."""
    if isinstance(value, _OutOfRange):
        fail(path, f"the number {value.text} is out of range")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, list | dict | _OutOfRange):
                _out_of_range(item, f"{path}[{i}]", fail)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, list | dict | _OutOfRange):
                _out_of_range(item, _key_path(path, key), fail)


def _inside(xs, ys, size):
    return min(xs) >= 0 and min(ys) >= 0 and max(xs) <= size[0] and max(ys) <= size[1]


def _syntax_error(data):
    """orjson reports line and column, which msgspec does not; only run on a broken file."""
    try:
        jsonio.loads(data)
    except jsonio.JSONDecodeError as error:
        return f"{error.msg} (line {error.lineno}, column {error.colno})"
    return "unexpected end of data"


class _Structure:
    """Walks one untyped element the way the typed decoder reads it, reporting each problem."""

    def __init__(self, fail):
        self.fail = fail

    def element(self, element, path):
        if not isinstance(element, dict):
            self.fail(path, "each image must be an object")
            return
        if "internal_media_ID" in element and not isinstance(element["internal_media_ID"], str):
            self.fail(f"{path}.internal_media_ID", "must be text")
        if "keepData" in element and not isinstance(element["keepData"], bool):
            self.fail(f"{path}.keepData", "must be true or false")
        if not isinstance(element.get("global_classifications", {}), dict):
            self.fail(f"{path}.global_classifications", "must be an object")
        labels = element.get("labels", {})
        if not isinstance(labels, dict):
            self.fail(f"{path}.labels", "must be an object")
            return
        for key, objects in labels.items():
            self.objects(objects, _key_path(f"{path}.labels", key), nested=False)

    def objects(self, objects, path, nested):
        if not isinstance(objects, list):
            self.fail(path, "must be a list of geometry objects")
            return
        for j, obj in enumerate(objects):
            self.label(obj, f"{path}[{j}]", nested)

    def label(self, obj, path, nested):
        if not isinstance(obj, dict):
            self.fail(path, "each geometry must be an object")
            return
        for key, value in obj.items():
            key_path = _key_path(path, key)
            if key == "image_segmentation":
                if not isinstance(value, list):
                    self.fail(key_path, "must be a list of rings")
                else:
                    for i, ring in enumerate(value):
                        self.points(ring, f"{key_path}[{i}]", corner="ring")
            elif key in GEOMETRY_KEYS:
                self.points(value, key_path, corner=key)
            elif key == "classifications":
                if not isinstance(value, dict):
                    self.fail(key_path, "must be an object")
            elif key == "nested_geometries":
                if not isinstance(value, dict):
                    self.fail(key_path, "must be an object")
                elif not nested:
                    for child_key, objects in value.items():
                        self.objects(objects, _key_path(key_path, child_key), nested=True)
            elif not nested:
                self.fail(key_path, f"unknown key `{key}` (allowed: {', '.join(LABEL_KEYS)})")

    def points(self, points, path, corner):
        """`corner` is the geometry key: rectangles need x, y, w, h; others are exactly {x, y}."""
        if not isinstance(points, list):
            self.fail(path, "must be a list of {x, y} objects")
            return
        required = "xywh" if corner == "rectangle" else "xy"
        for i, point in enumerate(points):
            at = f"{path}[{i}]"
            if not isinstance(point, dict):
                self.fail(at, "must be an {x, y, w, h} object" if corner == "rectangle" else "must be an {x, y} object")
                continue
            if corner not in ("rectangle", "geometry"):
                for name in point:
                    if name not in ("x", "y"):
                        self.fail(_key_path(at, name), f"unexpected key `{name}`; a point here is just {{x, y}}")
            for name in ("x", "y", "w", "h"):
                if name not in point:
                    if name in required:
                        self.fail(f"{at}.{name}", "is missing")
                    continue
                value = point[name]
                if isinstance(value, _OutOfRange):
                    continue  # reported with its path by _out_of_range
                if isinstance(value, bool) or not isinstance(value, int | float | str):
                    self.fail(f"{at}.{name}", f"must be a number or a string of digits; got {_number_text(value)}")
