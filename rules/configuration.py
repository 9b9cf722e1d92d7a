"""Label configurations: parse, validate and index the tree of label classes of a project.

A configuration is stored as ``{"entries": [entry, ...]}`` (see docs/label-configuration.md).
``parse()`` accepts that form, a bare entry list, or the DataGym client's upload body
(docs/datagym-v1.md section 6) and returns the normalised form or raises ConfigurationError
with one message per broken rule, each naming the entry.
"""

import re
from dataclasses import dataclass, field

from rules import names

GEOMETRY_KINDS = ("point", "line", "polygon", "image_segmentation", "rectangle")
CLASSIFICATION_KINDS = ("option", "checklist", "freetext")
KINDS = GEOMETRY_KINDS + CLASSIFICATION_KINDS
NESTABLE_GEOMETRY_KINDS = ("point", "line", "polygon", "rectangle")
MAX_DEPTH = 4
MAX_KEY_LENGTH = 56
MAX_NAME_LENGTH = 100
MAX_FREETEXT_LENGTH = 10_000
DEFAULT_FREETEXT_LENGTH = 255

# Names the DataGym formats use as structure; a class with one of them would be ambiguous.
FORBIDDEN_KEYS = frozenset(
    [
        "geometry",
        "geometry_type",
        "class_name",
        "classification",
        "classifications",
        "global_classifications",
        "classification_type",
        "tag",
        "status",
        "label",
        "labels",
        "labeler",
        "label_classes",
        "reviewer",
        "image",
        "imageid",
        "external_image_id",
        "internal_image_id",
        "media",
        "mediaid",
        "external_media_id",
        "internal_media_id",
        "point",
        "line",
        "polygon",
        "rectangle",
        "checklist",
        "radio",
        "select",
        "image_segmentation",
        "nested_geometries",
        "keepdata",
        "segmentations",
    ]
)
PALETTE = (
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45",
    "#fabed4", "#469990", "#dcbeff", "#9a6324", "#800000", "#aaffc3", "#808000", "#000075",
)  # fmt: skip
KEY_PATTERN = re.compile(r"^[a-z0-9_-]+(?: [a-z0-9_-]+)*$")
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")

DATAGYM_KINDS = {
    "point": "point",
    "line": "line",
    "polygon": "polygon",
    "rectangle": "rectangle",
    "image_segmentation": "image_segmentation",
    "select": "option",
    "checklist": "checklist",
    "freetext": "freetext",
}
ENTRY_FIELDS = {"key", "name", "kind", "color", "shortcut", "required", "options", "max_length", "children"}


class ConfigurationError(ValueError):
    """A configuration broke one or more rules; ``errors`` holds one sentence per problem."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("; ".join(self.errors))


def is_geometry(kind):
    return kind in GEOMETRY_KINDS


def parse(data):
    """Return the normalised configuration for Labelyard JSON or a DataGym upload body."""
    if isinstance(data, dict) and set(data) <= {"entries"}:
        entries = data.get("entries", [])
    elif isinstance(data, list):
        entries = data
    else:
        raise ConfigurationError(["A configuration is an object with an `entries` list, or a list of entries."])
    if not isinstance(entries, list):
        raise ConfigurationError(["`entries` must be a list."])
    if any(isinstance(e, dict) and "entryKey" in e for e in entries):
        entries = [_from_datagym(e) for e in entries]
    validator = _Validator()
    normalised = [validator.entry(e, [], depth=1, parent=None) for e in entries]
    validator.check_keys(normalised)
    if validator.errors:
        raise ConfigurationError(validator.errors)
    return {"entries": normalised}


def _from_datagym(entry):
    """Translate one DataGym upload entry (entryKey, entryValue, type, ...) to Labelyard's fields."""
    if not isinstance(entry, dict):
        return entry
    kind = entry.get("type")
    result = {
        "key": entry.get("entryKey"),
        "name": entry.get("entryValue") or entry.get("entryKey"),
        "kind": DATAGYM_KINDS.get(kind.lower(), kind) if isinstance(kind, str) else kind,
        "children": [_from_datagym(c) for c in entry.get("children") or []],
    }
    for source, target in (("color", "color"), ("shortcut", "shortcut"), ("maxLength", "max_length")):
        if entry.get(source) not in (None, ""):
            result[target] = entry[source]
    if result["kind"] in CLASSIFICATION_KINDS:
        result["required"] = entry.get("required", False)
    if isinstance(entry.get("options"), dict):
        result["options"] = [{"key": k, "name": v} for k, v in entry["options"].items()]
    elif entry.get("options") is not None:
        result["options"] = entry["options"]
    return result


def to_datagym(config):
    """The configuration as DataGym's entry list (the v1 API answers with it)."""

    def convert(entry):
        kind = entry["kind"]
        result = {
            "entryKey": entry["key"],
            "entryValue": entry["name"],
            "type": "select" if kind == "option" else kind,
            "color": entry.get("color"),
            "shortcut": entry.get("shortcut"),
            "required": entry.get("required", False),
            "maxLength": entry.get("max_length"),
            "options": {o["key"]: o["name"] for o in entry["options"]} if "options" in entry else None,
            "children": [convert(c) for c in entry["children"]],
        }
        return result

    return [convert(e) for e in config["entries"]]


class _Validator:
    def __init__(self):
        self.errors = []
        self.shortcuts = {}
        self.color_index = 0

    def fail(self, path, message):
        where = " > ".join(f"`{p}`" for p in path) if path else "configuration"
        self.errors.append(f"{where}: {message}")

    def entry(self, raw, parent_path, depth, parent):
        if not isinstance(raw, dict):
            self.fail(parent_path, "each entry must be an object")
            return None
        key = raw.get("key")
        label = key if isinstance(key, str) and key else f"#{len(self.errors) + 1}"
        path = [*parent_path, label]
        unknown = sorted(set(raw) - ENTRY_FIELDS)
        if unknown:
            self.fail(path, f"unknown field(s) {', '.join(unknown)}")
        key = self.key(raw.get("key"), path)
        kind = raw.get("kind")
        if kind not in KINDS:
            self.fail(path, f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
            kind = None
        name = raw.get("name", key)
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
            self.fail(path, f"name must be text of 1 to {MAX_NAME_LENGTH} characters")
        elif names.problem(name):
            self.fail(path, names.problem(name, "name"))
        result = {"key": key, "name": name, "kind": kind}
        if kind is not None:
            self.placement(kind, path, depth, parent)
            if is_geometry(kind):
                self.geometry_fields(raw, result, path)
            else:
                self.classification_fields(raw, result, path)
        children = raw.get("children", [])
        if not isinstance(children, list):
            self.fail(path, "children must be a list")
            children = []
        if children and depth >= MAX_DEPTH:
            self.fail(path, f"the tree may be at most {MAX_DEPTH} levels deep")
            children = []
        result["children"] = [self.entry(c, path, depth + 1, result) for c in children]
        return result

    def key(self, key, path):
        if not isinstance(key, str) or not key:
            self.fail(path, "every entry needs a key")
            return key
        key = key.lower()
        if len(key) > MAX_KEY_LENGTH or not KEY_PATTERN.match(key):
            self.fail(
                path,
                f"key must be 1 to {MAX_KEY_LENGTH} letters, digits, '_', '-' or single inner spaces",
            )
        elif key in FORBIDDEN_KEYS:
            self.fail(path, f"`{key}` is a reserved word of the label formats and cannot be a key")
        return key

    def placement(self, kind, path, depth, parent):
        if not is_geometry(kind):
            return
        if parent is None:
            return
        if not is_geometry(parent.get("kind")):
            self.fail(path, "a geometry cannot be nested under a classification")
        elif depth > 2:
            self.fail(path, "nested geometries may only sit directly under a root geometry")
        elif kind not in NESTABLE_GEOMETRY_KINDS:
            self.fail(path, f"{kind} classes cannot be nested; nest point, line, polygon or rectangle")

    def geometry_fields(self, raw, result, path):
        for name in ("required", "options", "max_length"):
            if name in raw:
                self.fail(path, f"`{name}` belongs to classifications, not to a {result['kind']}")
        color = raw.get("color")
        if color is None:
            color = PALETTE[self.color_index % len(PALETTE)]
            self.color_index += 1
        elif not isinstance(color, str) or not COLOR_PATTERN.match(color):
            self.fail(path, f"color must look like #1f77b4; got {color!r}")
        result["color"] = color.lower() if isinstance(color, str) else color
        shortcut = raw.get("shortcut")
        if isinstance(shortcut, int) and not isinstance(shortcut, bool):
            shortcut = str(shortcut)
        if shortcut is not None:
            if not isinstance(shortcut, str) or not re.fullmatch(r"[0-9]", shortcut):
                self.fail(path, f"shortcut must be one digit 0-9; got {shortcut!r}")
            elif shortcut in self.shortcuts:
                self.fail(path, f"shortcut {shortcut} is already used by `{self.shortcuts[shortcut]}`")
            else:
                self.shortcuts[shortcut] = result["key"]
        result["shortcut"] = shortcut

    def classification_fields(self, raw, result, path):
        kind = result["kind"]
        for name in ("color", "shortcut"):
            if raw.get(name) is not None:
                self.fail(path, f"`{name}` belongs to geometries, not to a {kind} question")
        required = raw.get("required", False)
        if not isinstance(required, bool):
            self.fail(path, "required must be true or false")
        result["required"] = required
        if kind == "freetext":
            if "options" in raw:
                self.fail(path, "a freetext question has no options")
            max_length = raw.get("max_length", DEFAULT_FREETEXT_LENGTH)
            if (
                isinstance(max_length, bool)
                or not isinstance(max_length, int)
                or not 1 <= max_length <= MAX_FREETEXT_LENGTH
            ):
                self.fail(path, f"max_length must be a whole number from 1 to {MAX_FREETEXT_LENGTH}")
            result["max_length"] = max_length
            return
        if "max_length" in raw:
            self.fail(path, f"max_length belongs to freetext questions, not to a {kind}")
        result["options"] = self.options(raw.get("options"), path, kind)

    def options(self, options, path, kind):
        if not isinstance(options, list) or not options:
            self.fail(path, f"{kind} questions need at least one option")
            return []
        seen = set()
        result = []
        for option in options:
            if isinstance(option, str):
                option = {"key": option, "name": option}
            key = option.get("key") if isinstance(option, dict) else None
            if not isinstance(key, str) or not key.strip() or key != key.strip() or len(key) > MAX_NAME_LENGTH:
                self.fail(path, f"option keys must be text of 1 to {MAX_NAME_LENGTH} characters; got {key!r}")
                continue
            if key in seen:
                self.fail(path, f"option `{key}` appears twice")
                continue
            seen.add(key)
            name = option.get("name", key)
            if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
                self.fail(path, f"option `{key}` needs a name of 1 to {MAX_NAME_LENGTH} characters")
            elif names.problem(name):
                self.fail(path, names.problem(name, f"option `{key}`'s name"))
            result.append({"key": key, "name": name})
        return result

    def check_keys(self, roots):
        """Keys are unique among the roots and within each root's subtree (decisions.md)."""
        seen_roots = set()
        for root in roots:
            if not root or not isinstance(root.get("key"), str):
                continue
            if root["key"] in seen_roots:
                self.fail([root["key"]], "another root entry has the same key")
            seen_roots.add(root["key"])
            seen = {root["key"]}
            for path, entry in _walk(root["children"], [root["key"]]):
                key = entry.get("key")
                if isinstance(key, str) and key in seen:
                    self.fail(path, f"key `{key}` is used twice under `{root['key']}`")
                seen.add(key)


def _walk(entries, parent_path):
    for entry in entries:
        if not entry:
            continue
        path = [*parent_path, entry.get("key")]
        yield path, entry
        yield from _walk(entry.get("children", []), path)


@dataclass(frozen=True)
class Entry:
    """One configured class with its nested questions and nested geometry classes split apart."""

    key: str
    name: str
    kind: str
    data: dict
    questions: dict = field(default_factory=dict)
    nested_geometries: dict = field(default_factory=dict)

    @property
    def is_geometry(self):
        return self.kind in GEOMETRY_KINDS

    @property
    def option_keys(self):
        return [o["key"] for o in self.data.get("options", [])]


class Index:
    """Fast lookups over a normalised configuration: root geometries, global questions, children."""

    def __init__(self, config):
        self.config = config
        self.geometries = {}
        self.questions = {}
        for raw in config["entries"]:
            entry = _build(raw)
            (self.geometries if entry.is_geometry else self.questions)[entry.key] = entry

    @property
    def has_segmentation(self):
        return any(e.kind == "image_segmentation" for e in self.geometries.values())


def _build(raw):
    entry = Entry(key=raw["key"], name=raw["name"], kind=raw["kind"], data=raw)
    for child in raw["children"]:
        built = _build(child)
        (entry.nested_geometries if built.is_geometry else entry.questions)[built.key] = built
    return entry
