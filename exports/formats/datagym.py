"""DataGym JSON (spec: shared/seeds/datagym-export-data.md; decisions.md "DataGym JSON export").

``write()`` streams an export: ``[{"label_classes": [...]}, task, task, ...]``, one task at a time,
so memory does not grow with the project. Input is a normalised configuration and task rows
(plain dicts holding a labels document, see labeling/document.py).
"""

from labelyard import jsonio

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


def _answers(questions, given):
    """DataGym classification arrays for every configured question: values, then children."""
    result = {}
    for entry in questions:
        answer = given.get(entry["key"]) or {}
        values = answer.get("values") or [None]
        children = answer.get("children") or {}
        # A question's children are all questions: geometries never nest under classifications.
        result[entry["key"]] = [*values, *({k: v} for k, v in _answers(entry["children"], children).items())]
    return result


def _geometry_payload(kind, coordinates):
    if kind == "point":
        return [{"x": coordinates[0], "y": coordinates[1]}]
    if kind == "rectangle":
        x, y, w, h = coordinates
        return [{"x": x, "y": y, "w": w, "h": h}]
    if kind == "image_segmentation":
        return [[{"x": x, "y": y} for x, y in ring] for ring in coordinates]
    return [{"x": x, "y": y} for x, y in coordinates]


class _Shapes:
    """Per-entry lookups derived once from the configuration."""

    def __init__(self, configuration):
        self.roots = [e for e in configuration["entries"] if e["kind"] not in ("option", "checklist", "freetext")]
        self.globals = [e for e in configuration["entries"] if e["kind"] in ("option", "checklist", "freetext")]
        self.by_root = {e["key"]: e for e in self.roots}

    @staticmethod
    def questions(entry):
        return [c for c in entry["children"] if c["kind"] in ("option", "checklist", "freetext")]

    @staticmethod
    def nested(entry):
        return [c for c in entry["children"] if c["kind"] not in ("option", "checklist", "freetext")]


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
    element["global_classifications"] = _answers(shapes.globals, document.get("classifications") or {})
    labels = {entry["key"]: [] for entry in shapes.roots}
    for geometry in document.get("geometries", ()):
        entry = shapes.by_root.get(geometry["class"])
        if entry is None:
            continue
        nested_entries = {e["key"]: e for e in shapes.nested(entry)}
        nested = {key: [] for key in nested_entries}
        for child in geometry.get("nested", ()):
            child_entry = nested_entries.get(child["class"])
            if child_entry is not None:
                nested[child["class"]].append(
                    {
                        child_entry["kind"]: _geometry_payload(child_entry["kind"], child["coordinates"]),
                        "classifications": _answers(shapes.questions(child_entry), child.get("classifications") or {}),
                    }
                )
        labels[entry["key"]].append(
            {
                entry["kind"]: _geometry_payload(entry["kind"], geometry["coordinates"]),
                "classifications": _answers(shapes.questions(entry), geometry.get("classifications") or {}),
                "nested_geometries": nested,
            }
        )
    element["labels"] = labels
    return element


def write(stream, configuration, rows):
    """Write the export to the binary `stream`; returns the number of tasks written."""
    shapes = _Shapes(configuration)
    stream.write(b"[")
    stream.write(jsonio.dumps({"label_classes": label_classes(configuration)}))
    count = 0
    for row in rows:
        stream.write(b",\n")
        stream.write(jsonio.dumps(task_element(shapes, row)))
        count += 1
    stream.write(b"]\n")
    return count
