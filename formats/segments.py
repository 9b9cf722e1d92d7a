"""Segments.ai release files: write a release of snapshot rows in the structure the `segments-ai` SDK loads.

Follows docs/segments-release.md (sections 2-6 and the producer pitfalls of section 11) with the
choices of docs/releases.md. Pure: the caller passes plain dicts and the URLs to write, and streams the
result into a binary file.
"""

from pathlib import PurePosixPath

from formats import jsonio
from raster.masks import AREA_KINDS

SEGMENTATION_BITMAP = "segmentation-bitmap"
VECTOR = "vector"
TASK_TYPES = (SEGMENTATION_BITMAP, VECTOR)
LABELSET = "ground-truth"
FORMAT_VERSION = "0.1"
OWNER = "labelyard"
# segments.typing.LabelStatus values Labelyard writes.
LABELED, REVIEWED = "LABELED", "REVIEWED"
VECTOR_TYPES = {"rectangle": "bbox", "polygon": "polygon", "image_segmentation": "polygon", "line": "polyline"}
INPUT_TYPES = {"option": "select", "checklist": "multiselect", "freetext": "text"}
GEOMETRY_KINDS = ("point", "line", "polygon", "rectangle", "image_segmentation")
# Keys of a category that go into the file; the others are for the writers only.
CATEGORY_KEYS = ("id", "name", "color", "has_instances", "attributes")


def default_task_type(configuration):
    """segmentation-bitmap when the configuration has a segmentation class, vector otherwise (decisions.md)."""
    kinds = {entry["kind"] for _, entry in _geometry_entries(configuration)}
    return SEGMENTATION_BITMAP if "image_segmentation" in kinds else VECTOR


def categories(configuration, task_type):
    """The release's categories: geometry classes depth first, ids 1..N in list order (section 4).

    A bitmap release holds area classes only (rectangles, polygons, segmentations); the others have
    no pixels. For the writers each category keeps its `key` (the class key; `root/child` for nested
    classes, whose keys are unique only under their root), `kind` and `questions` ({key: kind});
    `attributes` defines the classification questions under it.
    """
    result = []
    for path, entry in _geometry_entries(configuration):
        if task_type == SEGMENTATION_BITMAP and entry["kind"] not in AREA_KINDS:
            continue
        color = entry.get("color") or "#808080"
        result.append(
            {
                "id": len(result) + 1,
                "name": entry["name"],
                "key": path,
                "kind": entry["kind"],
                "questions": question_kinds(entry.get("children", [])),
                "color": [int(color[i : i + 2], 16) for i in (1, 3, 5)],
                "has_instances": True,
                "attributes": attribute_definitions(entry.get("children", [])),
            }
        )
    return result


def attribute_definitions(entries):
    """Attribute definitions of the classification questions among `entries` and below them, flattened.

    Keys are unique within a root's subtree (decisions.md "Label configuration"), so nested questions
    can sit beside their parents without clashing.
    """
    result = []
    for entry in entries:
        kind = entry["kind"]
        if kind in INPUT_TYPES:
            definition = {"name": entry["key"], "input_type": INPUT_TYPES[kind]}
            if "options" in entry:
                definition["values"] = [option["key"] for option in entry["options"]]
            definition["is_mandatory"] = bool(entry.get("required"))
            result.append(definition)
            result.extend(attribute_definitions(entry.get("children", [])))
    return result


def attributes(answers, kinds):
    """Flat {question key: value} of a classifications object: one text, a list for checklists.

    Unanswered questions are left out; `kinds` maps question keys to their kind.
    """
    result = {}
    if not answers:
        return result
    for key, answer in answers.items():
        values = answer.get("values")
        if values:
            result[key] = list(values) if kinds.get(key) == "checklist" else values[0]
        children = answer.get("children")
        if children:
            result.update(attributes(children, kinds))
    return result


def objects(document, kinds):
    """(geometry, category key, kind) of a document's geometries in release order: each root, then its nested ones.

    This order gives the annotation ids 1..n and, in a bitmap, which object lies on top (the later).
    `kinds` maps category keys to kinds; classes missing from it are left out.
    """
    result = []
    for geometry in (document or {}).get("geometries", ()):
        root = geometry.get("class")
        if root in kinds:
            result.append((geometry, root, kinds[root]))
        for item in geometry.get("nested", ()):
            key = f"{root}/{item.get('class')}"
            if key in kinds:
                result.append((item, key, kinds[key]))
    return result


def area_objects(document, kinds):
    """objects() of area kinds only: what a segmentation bitmap holds, in its id order."""
    return [item for item in objects(document, kinds) if item[2] in AREA_KINDS]


def question_kinds(entries):
    """{key: kind} of the classification questions among `entries` and below them."""
    result = {}
    for entry in entries:
        if entry["kind"] in INPUT_TYPES:
            result[entry["key"]] = entry["kind"]
            result.update(question_kinds(entry.get("children", [])))
    return result


def write(stream, release, configuration, samples, renamed=None):
    """Write the release file into the binary `stream`, one sample at a time.

    `release`: {name, description, created_at, dataset_name, task_type, categories}. `samples` yields
    {uuid, name, image_url, metadata, label_status, document, created_by} plus, in bitmap releases,
    `bitmap_url` and `instances` (indexes into area_objects() of the objects present in the bitmap,
    in id order). A sample whose `label_status` is None, or a bitmap sample without instances, gets a
    null label (section 11, pitfalls 1 and 7). Returns (samples, labelled samples, annotations).
    The dict `renamed`, if given, gets {uuid: name} of the samples whose name unique_name() changed,
    so other files of the release (COCO) can name them alike.
    """
    task_type = release["task_type"]
    by_key = {category["key"]: category for category in release["categories"]}
    kinds = {key: category["kind"] for key, category in by_key.items()}
    questions = question_kinds([e for e in configuration.get("entries", []) if e["kind"] in INPUT_TYPES])
    header = {
        "name": release["name"],
        "description": release["description"],
        "created_at": release["created_at"],
        "dataset": {
            "name": release["dataset_name"],
            "owner": OWNER,
            "description": "",
            "category": "other",
            "task_type": task_type,
            "task_attributes": {
                "format_version": FORMAT_VERSION,
                "categories": [{k: v for k, v in c.items() if k in CATEGORY_KEYS} for c in release["categories"]],
                "image_attributes": attribute_definitions(
                    [e for e in configuration.get("entries", []) if e["kind"] in INPUT_TYPES]
                ),
            },
            "labelsets": [{"name": LABELSET, "description": "", "is_groundtruth": True}],
            "samples": [],
        },
    }
    opening = jsonio.dumps(header)
    # The samples list is the last key; it is streamed between the header's two halves.
    stream.write(opening[: -len(b"]}}")])
    names = set()
    counts = [0, 0, 0]
    for sample in samples:
        label = _label(sample, task_type, by_key, kinds, questions)
        name = unique_name(sample["name"], sample["uuid"], names)
        if renamed is not None and name != sample["name"]:
            renamed[sample["uuid"]] = name
        entry = {
            "uuid": sample["uuid"],
            "name": name,
            "attributes": {"image": {"url": sample["image_url"]}},
            "metadata": sample["metadata"],
            "labels": {LABELSET: label},
        }
        if counts[0]:
            stream.write(b",")
        stream.write(jsonio.dumps(entry))
        counts[0] += 1
        if label is not None:
            counts[1] += 1
            counts[2] += len(label["attributes"]["annotations"])
    stream.write(b"]}}")
    return tuple(counts)


def _label(sample, task_type, by_key, kinds, questions):
    if sample["label_status"] is None or sample["document"] is None:
        return None
    document = sample["document"]
    if task_type == SEGMENTATION_BITMAP:
        present = area_objects(document, kinds)
        annotations = [
            _annotation(number, *present[index][:2], by_key)
            for number, index in enumerate(sample["instances"], start=1)
        ]
        if not annotations:
            return None
        payload = {
            "format_version": FORMAT_VERSION,
            "annotations": annotations,
            "segmentation_bitmap": {"url": sample["bitmap_url"]},
        }
    else:
        annotations = []
        for geometry, key, kind in objects(document, kinds):
            annotation = _annotation(len(annotations) + 1, geometry, key, by_key)
            annotation["type"], annotation["points"] = _vector(kind, geometry["coordinates"])
            annotations.append(annotation)
        payload = {"format_version": FORMAT_VERSION, "annotations": annotations}
    payload["image_attributes"] = attributes(document.get("classifications"), questions)
    return {"label_status": sample["label_status"], "attributes": payload, "created_by": sample["created_by"]}


def _annotation(number, geometry, key, by_key):
    category = by_key[key]
    return {
        "id": number,
        "category_id": category["id"],
        "track_id": number,
        "attributes": attributes(geometry.get("classifications"), category["questions"]),
    }


def _vector(kind, coordinates):
    """(type, points) of a geometry in absolute pixel coordinates (docs/segments-release.md section 6.2)."""
    if kind == "point":
        return "point", [[float(coordinates[0]), float(coordinates[1])]]
    if kind == "rectangle":
        x, y, w, h = coordinates
        return "bbox", [[float(x), float(y)], [float(x + w), float(y + h)]]
    # A vector polygon has no holes: a segmentation is written as its outline (docs/releases.md).
    ring = coordinates[0] if kind == "image_segmentation" else coordinates
    return VECTOR_TYPES[kind], [[float(x), float(y)] for x, y in ring]


def unique_name(name, uuid, used):
    """The image's name, made safe as the SDK's cache file name: no '/', and a stem no other sample has.

    The SDK caches `<stem><extension of the URL>`, so `a.jpg` and `a.png` would share a file
    (docs/segments-release.md section 11, pitfall 2). A later sample with a taken stem gets its media id appended.
    """
    path = PurePosixPath(name.replace("/", "_").replace("\\", "_") or "image")
    stem = path.stem
    if stem in used:
        stem = f"{stem}-{uuid[:8]}"
        path = path.with_stem(stem) if path.suffix else PurePosixPath(stem)
    used.add(stem)
    return str(path)


def _geometry_entries(configuration):
    """(category key, entry) of every geometry class: roots, and nested classes as `root/child`."""
    for entry in configuration.get("entries", []):
        if entry["kind"] in GEOMETRY_KINDS:
            yield entry["key"], entry
            for child in entry.get("children", []):
                if child["kind"] in GEOMETRY_KINDS:
                    yield f"{entry['key']}/{child['key']}", child
