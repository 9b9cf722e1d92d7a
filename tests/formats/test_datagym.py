"""DataGym JSON read (import): the seed's examples, every structural rule, and export -> import
round trips for random configurations (hypothesis)."""

import io
import time
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formats import datagym, jsonio
from rules import configuration as config
from rules import labels as labels_document
from rules import shapes

MEDIA = "0b6f3c1e-9d2a-4e7b-8f10-5a3c2d1e0f99"
SIZE = (1000, 800)

# The seed's example configuration (datagym-import-data.txt): bus, car, car_type, weather, daytime,
# plus the street line and poi point its snippets use.
SEED_CONFIGURATION = {
    "entries": [
        {"key": "bus", "name": "Bus", "kind": "rectangle"},
        {"key": "car", "name": "Car", "kind": "polygon", "children": [
            {"key": "car_type", "name": "Car type", "kind": "option", "options": ["suv", "sedan", "pickup"]},
        ]},
        {"key": "street", "name": "Street", "kind": "line"},
        {"key": "poi", "name": "Point of interest", "kind": "point"},
        {"key": "weather", "name": "Weather", "kind": "option", "options": ["sunny", "rainy", "cloudy"],
         "children": [{"key": "daytime", "name": "Daytime", "kind": "option", "options": ["day", "night"]}]},
    ]
}  # fmt: skip

# The seed's snippets (car.json, line.json, point.json, bus.json, global_classifications.json) as one file.
SEED_FILE = [
    {
        "internal_media_ID": MEDIA,
        "keepData": False,
        "global_classifications": {"weather": ["sunny", {"daytime": ["day"]}]},
        "labels": {
            "car": [{"polygon": [{"x": 57, "y": 412}, {"x": 54, "y": 463}, {"x": 130, "y": 524}],
                     "classifications": {"car_type": [None]}}],
            "street": [{"line": [{"x": 57, "y": 412}, {"x": 54, "y": 463}], "classifications": {}}],
            "poi": [{"point": [{"x": 57, "y": 412}], "classifications": {}}],
            "bus": [{"rectangle": [{"x": 272, "y": 302, "w": 324, "h": 169}], "classifications": {}}],
        },
    }
]  # fmt: skip

SEED_DOCUMENT = {
    "geometries": [
        {"class": "car", "coordinates": [[57, 412], [54, 463], [130, 524]]},
        {"class": "street", "coordinates": [[57, 412], [54, 463]]},
        {"class": "poi", "coordinates": [57, 412]},
        {"class": "bus", "coordinates": [272, 302, 324, 169]},
    ],
    "classifications": {"weather": {"values": ["sunny"], "children": {"daytime": {"values": ["day"]}}}},
}


def index_for(configuration):
    return config.Index(config.parse(configuration))


SEED_INDEX = index_for(SEED_CONFIGURATION)


def read(value, index=SEED_INDEX, **options):
    data = value if isinstance(value, bytes) else jsonio.dumps(value)
    options.setdefault("media_sizes", {MEDIA: SIZE})
    return datagym.read(data, index, **options)


def normalise(document, order=None):
    """A document without ids, sources and empty answers, geometries in configuration order."""

    def answers(given):
        result = {}
        for key, answer in (given or {}).items():
            children = answers(answer.get("children"))
            if answer.get("values") or children:
                result[key] = {"values": list(answer.get("values", [])), **({"children": children} if children else {})}
        return result

    def geometry(item):
        result = {"class": item["class"], "coordinates": jsonio.loads(jsonio.dumps(item["coordinates"]))}
        if answers(item.get("classifications")):
            result["classifications"] = answers(item.get("classifications"))
        if item.get("nested"):
            result["nested"] = sorted(
                (geometry(n) for n in item["nested"]),
                key=lambda g: (order or []).index(g["class"]) if order and g["class"] in order else 0,
            )
        return result

    geometries = [geometry(g) for g in document["geometries"]]
    if order:
        geometries.sort(key=lambda g: order.index(g["class"]))
    return {"geometries": geometries, "classifications": answers(document.get("classifications"))}


def export(configuration, document, media=MEDIA):
    stream = io.BytesIO()
    row = {"internal_media_ID": media, "external_media_ID": "a.png", "labeler": None, "status": "completed"}
    datagym.write(stream, configuration, [{**row, "document": document}])
    return stream.getvalue()


def test_seed_examples_read_as_documents():
    """The seed's car, street, poi, bus and weather/daytime snippets read as one image's document."""
    items, errors = read(SEED_FILE)
    assert errors == []
    [item] = items
    assert (item.media_id, item.keep_data, item.geometry_count) == (MEDIA, False, 4)
    document = item.document()
    assert [g["source"] for g in document["geometries"]] == ["import"] * 4
    assert len({g["id"] for g in document["geometries"]}) == 4
    assert normalise(document) == SEED_DOCUMENT


def test_seed_file_round_trips_through_export():
    """Importing the export of an imported seed file gives the same document."""
    configuration = config.parse(SEED_CONFIGURATION)
    [item], _ = read(SEED_FILE)
    [again], errors = read(export(configuration, item.document()))
    assert errors == []
    order = [e["key"] for e in configuration["entries"]]
    assert normalise(again.document(), order) == normalise(item.document(), order)


def test_reference_example_with_digit_strings_and_deprecated_geometry_key():
    """DataGym's minimal import example: digit strings become numbers, `geometry` is read by the class type."""
    from demo.seeding import CONFIGURATION

    file = [{
        "internal_media_ID": MEDIA, "keepData": False,
        "global_classifications": {"tod": ["night", {"lighting": ["street_lights", "headlights"]}],
                                   "weather": ["rainy"], "comment": ["wet road"]},
        "labels": {
            "car": [{"polygon": [{"x": 120.5, "y": 340}, {"x": "310", "y": "338"}, {"x": 318, "y": 452}],
                     "classifications": {"car_type": ["sedan"], "damage": ["dent"]}}],
            "pedestrian": [{"geometry": [{"x": 402, "y": 80, "w": 64, "h": 190}],
                            "classifications": {"age_group": ["adult"]},
                            "nested_geometries": {"head": [{"point": [{"x": 431, "y": 97}],
                                                            "classifications": {"looking_at_camera": ["no"]}}]}}],
        },
    }]  # fmt: skip
    [item], errors = read(file, index_for(CONFIGURATION))
    assert errors == []
    document = item.document()
    assert document["geometries"][0]["coordinates"] == [[120.5, 340], [310, 338], [318, 452]]
    assert document["geometries"][1]["coordinates"] == [402, 80, 64, 190]
    assert document["geometries"][1]["nested"][0]["coordinates"] == [431, 97]
    assert document["classifications"]["tod"] == {
        "values": ["night"],
        "children": {"lighting": {"values": ["street_lights", "headlights"]}},
    }
    assert item.geometry_count == 3


def test_own_export_with_label_classes_checklist_children_and_segmentation_reads_back():
    """Labelyard's export (label_classes element, extra keys, checklist with a child, rings) re-imports."""
    from demo.seeding import CONFIGURATION, demo_labels

    configuration = config.parse(CONFIGURATION)
    document = demo_labels(640, 480)
    [item], errors = read(export(configuration, document), index_for(CONFIGURATION), media_sizes={MEDIA: (640, 480)})
    assert errors == []
    order = [e["key"] for e in configuration["entries"]]
    assert normalise(item.document(), order) == normalise(document, order)


def test_integers_past_64_bits_are_an_error_not_a_crash():
    data = b'[{"internal_media_ID": "m", "labels": {"poi": [{"point": [{"x": 18446744073709551616, "y": 1}]}]}}]'
    assert read(data, media_sizes=None) == ([], [("[0].labels", "a coordinate is too large")])


def test_without_media_sizes_nothing_is_bounds_checked():
    file = [{"internal_media_ID": "anything", "labels": {"poi": [{"point": [{"x": 99999, "y": 1}]}]}}]
    [item], errors = read(file, media_sizes=None)
    assert errors == []
    assert item.media_id == "anything"


def test_match_by_name_uses_external_media_id():
    file = [{"external_media_ID": "a.png", "labels": {}}, {"external_media_ID": "twice.png"}]
    items, errors = read(file, names={"a.png": MEDIA, "twice.png": None})
    assert [i.media_id for i in items] == [MEDIA]
    assert errors == [("[1].external_media_ID", "several images in this project are named `twice.png`")]


def test_clip_cuts_geometries_to_the_image():
    file = [{"internal_media_ID": MEDIA, "labels": {
        "car": [{"polygon": [{"x": 900, "y": 10}, {"x": 1100, "y": 10}, {"x": 1100, "y": 100}, {"x": 900, "y": 100}]}],
        "bus": [{"rectangle": [{"x": 990, "y": 790, "w": 50, "h": 50}]}],
        "poi": [{"point": [{"x": 1200, "y": 5}]}],
        "street": [{"line": [{"x": 500, "y": 400}, {"x": 1500, "y": 400}]}],
    }}]  # fmt: skip
    [item], errors = read(file, clip=True)
    assert errors == []
    coordinates = {g["class"]: g["coordinates"] for g in item.document()["geometries"]}
    assert sorted(map(tuple, coordinates["car"])) == [(900, 10), (900, 100), (1000, 10), (1000, 100)]
    assert coordinates["bus"] == [990, 790, 10, 10]
    assert coordinates["poi"] == [1000, 5]
    assert coordinates["street"] == [[500, 400], [1000, 400]]


def test_clip_refuses_a_polygon_entirely_outside():
    far = [{"x": 2000, "y": 0}, {"x": 2100, "y": 0}, {"x": 2100, "y": 50}]
    file = [{"internal_media_ID": MEDIA, "labels": {"car": [{"polygon": far}]}}]
    _, errors = read(file, clip=True)
    assert errors == [
        ("[0].labels.car[0].polygon", "clipped to the image, this polygon lies entirely outside the image")
    ]


def car(points, **extra):
    return {"internal_media_ID": MEDIA, "labels": {"car": [{"polygon": points, **extra}]}}


TRIANGLE = [{"x": 1, "y": 1}, {"x": 50, "y": 1}, {"x": 50, "y": 40}]

# (file, path, message): one case per rejection rule (docs/import.md).
REJECTIONS = [
    (b"[{", "", "the file is not valid JSON: unexpected end of data (line 1, column 3)"),
    ({"a": 1}, "", "the file must be a JSON array of images: [{...}, {...}]"),
    ([], "", "the file holds no images"),
    ([3], "[0]", "each image must be an object"),
    ([{"labels": {}}], "[0]", "internal_media_ID is missing (or match images by file name)"),
    ([{"internal_media_ID": "nope"}], "[0].internal_media_ID", "no image `nope` in this project"),
    ([{"internal_media_ID": 7}], "[0].internal_media_ID", "must be text"),
    ([{"internal_media_ID": MEDIA, "keepData": "no"}], "[0].keepData", "must be true or false"),
    ([{"internal_media_ID": MEDIA, "labels": []}], "[0].labels", "must be an object"),
    ([{"internal_media_ID": MEDIA, "labels": {"truck": []}}], "[0].labels.truck",
     "`truck` is not a geometry class of this project (classes: bus, car, street, poi)"),
    ([{"internal_media_ID": MEDIA, "labels": {"weather": []}}], "[0].labels.weather",
     "`weather` is a classification; put it under global_classifications"),
    ([{"internal_media_ID": MEDIA, "labels": {"car": {}}}], "[0].labels.car", "must be a list of geometry objects"),
    ([{"internal_media_ID": MEDIA, "labels": {"car": [1]}}], "[0].labels.car[0]", "each geometry must be an object"),
    ([car(TRIANGLE, color="red")], "[0].labels.car[0].color",
     "unknown key `color` (allowed: geometry, rectangle, polygon, point, line, image_segmentation, classifications, "
     "nested_geometries)"),
    ([{"internal_media_ID": MEDIA, "labels": {"car": [{"classifications": {}}]}}], "[0].labels.car[0]",
     "no geometry: give the polygon of this `car` under `polygon`"),
    ([{"internal_media_ID": MEDIA, "labels": {"car": [{"polygon": TRIANGLE, "geometry": TRIANGLE}]}}],
     "[0].labels.car[0]", "give the geometry once; found `geometry` and `polygon`"),
    ([{"internal_media_ID": MEDIA, "labels": {"car": [{"rectangle": [{"x": 1, "y": 1, "w": 2, "h": 2}]}]}}],
     "[0].labels.car[0].rectangle", "`car` is a polygon class; got a rectangle"),
    ([{"internal_media_ID": MEDIA, "labels": {"car": [{"geometry": [{"x": 1, "y": 1, "w": 2, "h": 2}]}]}}],
     "[0].labels.car[0].geometry", "`car` is a polygon class; got a rectangle"),
    ([{"internal_media_ID": MEDIA, "labels": {"bus": [{"polygon": TRIANGLE}]}}],
     "[0].labels.bus[0].polygon", "`bus` is a rectangle class; got a polygon"),
    ([{"internal_media_ID": MEDIA, "labels": {"bus": [{"geometry": TRIANGLE}]}}],
     "[0].labels.bus[0].geometry", "`bus` is a rectangle class; a rectangle is one {x, y, w, h} object"),
    ([car(TRIANGLE[:2])], "[0].labels.car[0].polygon", "a polygon needs at least 3 points; got 2"),
    ([{"internal_media_ID": MEDIA, "labels": {"street": [{"geometry": TRIANGLE[:1]}]}}],
     "[0].labels.street[0].geometry", "a line needs at least 2 points; got 1"),
    ([{"internal_media_ID": MEDIA, "labels": {"poi": [{"point": TRIANGLE}]}}],
     "[0].labels.poi[0].point", "a point is one {x, y} object; got 3"),
    ([car([{"x": 1, "y": 1}, {"x": "12.5", "y": 1}, {"x": 3, "y": 3}])], "[0].labels.car[0].polygon[1].x",
     "'12.5' is not a number; use a number or a string of digits"),
    ([car([{"x": 1, "y": 1}, {"x": True, "y": 1}, {"x": 3, "y": 3}])], "[0].labels.car[0].polygon[1].x",
     "must be a number or a string of digits; got true"),
    ([car([{"x": 1, "y": 1}, {"y": 1}, {"x": 3, "y": 3}])], "[0].labels.car[0].polygon[1].x", "is missing"),
    ([car([{"x": 1, "y": 1}, {"x": 1700, "y": 1}, {"x": 3, "y": 3}])], "[0].labels.car[0].polygon[1].x",
     "1700 is outside the image (0 to 1000)"),
    ([car([{"x": 1, "y": 1}, {"x": 17, "y": -2.5}, {"x": 3, "y": 3}])], "[0].labels.car[0].polygon[1].y",
     "-2.5 is outside the image (0 to 800)"),
    ([{"internal_media_ID": MEDIA, "labels": {"bus": [{"rectangle": [{"x": 990, "y": 1, "w": 20, "h": 2}]}]}}],
     "[0].labels.bus[0].rectangle[0]", "the rectangle reaches outside the image (0 to 1000 x 0 to 800)"),
    ([car(TRIANGLE, classifications={"car_type": ["suvv"]})], "[0].labels.car[0].classifications.car_type[0]",
     "option `suvv` is not one of suv, sedan, pickup"),
    ([car(TRIANGLE, classifications={"car_type": ["suv", "sedan"]})], "[0].labels.car[0].classifications.car_type",
     "`car_type` takes one option; got 2"),
    ([car(TRIANGLE, classifications={"colour": ["red"]})], "[0].labels.car[0].classifications.colour",
     "`colour` is not a classification of `car` (allowed: car_type)"),
    ([car(TRIANGLE, classifications={"car_type": "suv"})], "[0].labels.car[0].classifications.car_type",
     "a classification is a list: the chosen values, then nested classifications"),
    ([car(TRIANGLE, classifications={"car_type": [1]})], "[0].labels.car[0].classifications.car_type[0]",
     "must be a text, null or an object of nested classifications"),
    ([{"internal_media_ID": MEDIA, "global_classifications": {"mood": ["ok"]}}], "[0].global_classifications.mood",
     "`mood` is not a global classification (allowed: weather)"),
    ([{"internal_media_ID": MEDIA, "global_classifications": {"weather": ["sunny", {"daytime": ["noon"]}]}}],
     "[0].global_classifications.weather[1].daytime[0]", "option `noon` is not one of day, night"),
    ([{"internal_media_ID": MEDIA, "global_classifications": {"weather": ["sunny", {"season": ["x"]}]}}],
     "[0].global_classifications.weather[1].season",
     "`season` is not a nested classification of `weather` (allowed: daytime)"),
    ([car(TRIANGLE, nested_geometries={"wheel": []})], "[0].labels.car[0].nested_geometries.wheel",
     "`wheel` is not a nested geometry class of `car` (allowed: none)"),
]  # fmt: skip


@pytest.mark.parametrize(("file", "path", "message"), REJECTIONS, ids=[r[2][:40] for r in REJECTIONS])
def test_rejection_rules(file, path, message):
    """Each broken rule is reported at its JSON path with a plain message, and nothing is returned."""
    items, errors = read(file)
    assert (path, message) in errors
    assert items == [] or all(i.position != 0 for i in items)


def test_every_error_of_the_file_is_reported():
    file = [car(TRIANGLE[:2]), car(TRIANGLE, classifications={"car_type": ["x"]}), {"internal_media_ID": "gone"}]
    _, errors = read(file)
    assert [path for path, _ in errors] == [
        "[0].labels.car[0].polygon",
        "[1].labels.car[0].classifications.car_type[0]",
        "[2].internal_media_ID",
    ]


def test_segmentation_rings_and_holes():
    configuration = {"entries": [{"key": "road", "name": "Road", "kind": "image_segmentation"}]}
    outline = [{"x": 0, "y": 0}, {"x": 100, "y": 0}, {"x": 100, "y": 100}, {"x": 0, "y": 100}]
    inside = [{"x": 10, "y": 10}, {"x": 20, "y": 10}, {"x": 20, "y": 20}]
    outside = [{"x": 200, "y": 10}, {"x": 220, "y": 10}, {"x": 220, "y": 20}]
    good = [{"internal_media_ID": MEDIA, "labels": {"road": [{"image_segmentation": [outline, inside]}]}}]
    [item], errors = read(good, index_for(configuration))
    assert errors == []
    assert item.document()["geometries"][0]["coordinates"][1] == [[10, 10], [20, 10], [20, 20]]
    bad = [{"internal_media_ID": MEDIA, "labels": {"road": [{"image_segmentation": [outline, outside]}]}}]
    _, errors = read(bad, index_for(configuration))
    assert errors == [("[0].labels.road[0].image_segmentation[1]", "a hole must lie inside its outline")]


# -- property tests -------------------------------------------------------------------------

QUESTION_KINDS = ("option", "checklist", "freetext")
ROOT_KINDS = ("point", "line", "polygon", "rectangle", "image_segmentation")
NESTED_KINDS = ("point", "line", "polygon", "rectangle")


@st.composite
def configurations(draw):
    counter = iter(range(1000))

    def question(depth):
        kind = draw(st.sampled_from(QUESTION_KINDS))
        entry = {"key": f"q{next(counter)}", "name": "Q", "kind": kind, "children": []}
        if kind == "freetext":
            entry["max_length"] = draw(st.integers(1, 20))
        else:
            entry["options"] = [f"o{i}" for i in range(draw(st.integers(1, 5)))]
        if depth < 3 and draw(st.booleans()):
            entry["children"] = [question(depth + 1)]
        return entry

    def geometry(kinds, depth):
        entry = {"key": f"g{next(counter)}", "name": "G", "kind": draw(st.sampled_from(kinds))}
        entry["children"] = [question(depth + 1) for _ in range(draw(st.integers(0, 2)))]
        if depth == 1 and draw(st.booleans()):
            entry["children"].append(geometry(NESTED_KINDS, 2))
        return entry

    roots = [geometry(ROOT_KINDS, 1) for _ in range(draw(st.integers(1, 3)))]
    globals_ = [question(1) for _ in range(draw(st.integers(0, 2)))]
    return config.parse({"entries": roots + globals_})


coordinate = st.one_of(st.integers(0, 300), st.floats(0, 300, allow_nan=False).map(lambda v: round(v, 2)))


@st.composite
def answers(draw, questions):
    result = {}
    for entry in questions:
        if draw(st.booleans()):
            continue
        options = [o["key"] for o in entry.get("options", [])]
        if entry["kind"] == "option":
            values = [draw(st.sampled_from(options))]
        elif entry["kind"] == "checklist":
            values = draw(st.lists(st.sampled_from(options), min_size=1, unique=True))
        else:
            alphabet = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
            values = [draw(st.text(alphabet, min_size=1, max_size=entry["max_length"]))]
        answer = {"values": values}
        children = draw(answers(entry["children"]))
        if children:
            answer["children"] = children
        result[entry["key"]] = answer
    return result


@st.composite
def coordinates_for(draw, kind):
    if kind == "point":
        return [draw(coordinate), draw(coordinate)]
    if kind == "rectangle":
        x, y = draw(st.integers(0, 200)), draw(st.integers(0, 200))
        return [x, y, draw(st.integers(0, 100)), draw(st.integers(0, 100))]
    if kind == "image_segmentation":
        x, y = draw(st.integers(0, 100)), draw(st.integers(0, 100))
        outline = [[x, y], [x + 100, y], [x + 100, y + 100], [x, y + 100]]
        hole = [[x + 10, y + 10], [x + 20, y + 10], [x + 20, y + 20]]
        return [outline, hole] if draw(st.booleans()) else [outline]
    minimum = 2 if kind == "line" else 3
    return draw(st.lists(st.tuples(coordinate, coordinate).map(list), min_size=minimum, max_size=8))


def questions_of(entry):
    return [c for c in entry["children"] if c["kind"] in QUESTION_KINDS]


@st.composite
def documents(draw, configuration):
    geometries = []
    for entry in configuration["entries"]:
        if entry["kind"] in QUESTION_KINDS:
            continue
        for _ in range(draw(st.integers(0, 2))):
            geometry = {"id": "x", "class": entry["key"], "source": "human",
                        "coordinates": draw(coordinates_for(entry["kind"])),
                        "classifications": draw(answers(questions_of(entry)))}  # fmt: skip
            nested = []
            for child in entry["children"]:
                if child["kind"] not in QUESTION_KINDS:
                    for _ in range(draw(st.integers(0, 2))):
                        coordinates = draw(coordinates_for(child["kind"]))
                        answered = draw(answers(questions_of(child)))
                        nested.append(
                            {"id": "y", "class": child["key"], "coordinates": coordinates, "classifications": answered}
                        )
            if nested:
                geometry["nested"] = nested
            geometries.append(geometry)
    globals_ = [e for e in configuration["entries"] if e["kind"] in QUESTION_KINDS]
    return {"geometries": geometries, "classifications": draw(answers(globals_))}


@st.composite
def configured_documents(draw):
    configuration = draw(configurations())
    return configuration, draw(documents(configuration))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configured_documents())
def test_export_then_import_gives_the_same_labels(case):
    """For a random configuration and labels, read(write(labels)) == labels, modulo ids and source."""
    configuration, document = case
    [item], errors = read(export(configuration, document), config.Index(configuration), media_sizes={MEDIA: (400, 400)})
    assert errors == []
    order = [e["key"] for e in configuration["entries"]]
    imported = item.document()
    assert normalise(imported, order) == normalise(document, order)
    ids = [g["id"] for root in imported["geometries"] for g in (root, *root.get("nested", []))]
    assert len(set(ids)) == len(ids)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


def mutate(value, path, replacement):
    """`value` with the node at `path` (a list of keys/indexes) replaced."""
    if not path:
        return replacement
    head, rest = path[0], path[1:]
    if isinstance(value, list):
        copy = list(value)
        copy[head] = mutate(copy[head], rest, replacement)
        return copy
    return {**value, head: mutate(value[head], rest, replacement)}


def node_paths(value, prefix=()):
    yield list(prefix)
    if isinstance(value, list):
        for i, child in enumerate(value):
            yield from node_paths(child, (*prefix, i))
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from node_paths(child, (*prefix, key))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configured_documents(), st.data())
def test_mutated_files_give_errors_not_exceptions(case, data):
    """Replacing any node of a valid file with any JSON value gives items or errors, never an exception."""
    configuration, document = case
    file = jsonio.loads(export(configuration, document))
    path = data.draw(st.sampled_from(list(node_paths(file))))
    broken = mutate(file, path, data.draw(json_values))
    items, errors = read(broken, config.Index(configuration), media_sizes={MEDIA: (400, 400)})
    assert all(isinstance(p, str) and isinstance(m, str) and m for p, m in errors)
    for item in items:
        jsonio.dumps(item.document())


SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"
LABELYARD_SCHEMA = jsonio.loads((SCHEMAS / "datagym-import.schema.json").read_bytes())
ORIGINAL_SCHEMA = jsonio.loads((SCHEMAS / "datagym-original-import.schema.json").read_bytes())
SEED_SCHEMA_EXAMPLES = [
    SEED_FILE,
    [
        {
            "internal_media_ID": MEDIA,
            "labels": {"car": [{"geometry": TRIANGLE, "classifications": {"car_type": ["suv"]}}]},
        }
    ],
    [
        {
            "internal_media_ID": MEDIA,
            "labels": {"bus": [{"rectangle": [{"x": "1", "y": 2, "w": 3, "h": 4, "extra": 1}]}]},
        }
    ],
    [{"internal_media_ID": MEDIA, "global_classifications": {"weather": ["sunny", {"daytime": ["day"]}]}}],
    [{"internal_media_ID": MEDIA, "keepData": True, "labels": {}}],
]


@pytest.mark.parametrize("file", SEED_SCHEMA_EXAMPLES)
def test_files_the_seed_schema_accepts_are_accepted(file):
    """Files valid under DataGym's schema pass Labelyard's schema and read without errors."""
    jsonschema.validate(file, ORIGINAL_SCHEMA)
    jsonschema.validate(file, LABELYARD_SCHEMA)
    assert read(file)[1] == []


def test_labelyard_schema_accepts_labelyard_exports():
    """The shipped schema accepts an export with label_classes, checklist children and segmentation rings."""
    from demo.seeding import CONFIGURATION, demo_labels

    jsonschema.validate(jsonio.loads(export(config.parse(CONFIGURATION), demo_labels(640, 480))), LABELYARD_SCHEMA)


def test_point_objects_of_polygons_are_just_x_and_y():
    file = [car([{"x": 1, "y": 1}, {"x": 5, "y": 1, "w": 2}, {"x": 3, "y": 3}])]
    assert read(file)[1] == [("[0].labels.car[0].polygon[1].w", "unexpected key `w`; a point here is just {x, y}")]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(file, LABELYARD_SCHEMA)


# -- limits, numbers out of range, costly shapes ------------------------------------------------

ROAD_INDEX = index_for({"entries": [{"key": "road", "name": "Road", "kind": "image_segmentation"},
                                    {"key": "car", "name": "Car", "kind": "polygon"},
                                    {"key": "street", "name": "Street", "kind": "line"}]})  # fmt: skip
SMALL = shapes.Limits(geometries=3, ring_points=5, holes=2, hole_work=50_000_000)


def xy(points):
    return [{"x": x, "y": y} for x, y in points]


def image(labels):
    return [{"internal_media_ID": MEDIA, "labels": labels}]


SQUARE = xy([(0, 0), (100, 0), (100, 100), (0, 100)])


@pytest.mark.parametrize(
    ("labels", "path", "message"),
    [
        ({"car": [{"polygon": xy([(0, 0), (1, 0), (2, 0), (3, 1), (2, 2), (0, 2)])}]}, "[0].labels.car[0].polygon",
         "6 points; a line or ring has at most 5 (setting LABELYARD_MAX_RING_POINTS)"),
        ({"road": [{"image_segmentation": [SQUARE, *[xy([(9 + i, 9), (9 + i, 8), (8, 8)]) for i in range(3)]]}]},
         "[0].labels.road[0].image_segmentation",
         "3 holes; a segmentation has at most 2 (setting LABELYARD_MAX_HOLES)"),
        ({"car": [{"polygon": SQUARE}] * 2, "road": [{"image_segmentation": [SQUARE]}] * 2}, "[0].labels",
         "4 geometries (nested ones included); a task holds at most 3 (setting LABELYARD_MAX_GEOMETRIES)"),
    ],
)  # fmt: skip
def test_limits_are_errors_with_their_path_naming_the_setting(labels, path, message):
    assert read(image(labels), ROAD_INDEX, limits=SMALL) == ([], [(path, message)])


def test_the_reader_and_a_save_give_the_same_hole_answers():
    """One hole check (rules/shapes.py): a hole along the edge, one at a corner, one leaving."""
    rings = [[(0, 0), (100, 0), (100, 100), (0, 100)], [(0, 40), (10, 45), (0, 50)],
             [(0, 0), (10, 5), (5, 10)], [(90, 50), (110, 50), (100, 60)]]  # fmt: skip
    _, errors = read(image({"road": [{"image_segmentation": [xy(r) for r in rings]}]}), ROAD_INDEX)
    coordinates = [[list(point) for point in ring] for ring in rings]
    saved = labels_document.validate(
        {"geometries": [{"id": "g", "class": "road", "coordinates": coordinates}]}, ROAD_INDEX, *SIZE
    )
    assert errors == [("[0].labels.road[0].image_segmentation[3]", "a hole must lie inside its outline")]
    assert saved == [("geometries[0].coordinates[3]", "a hole must lie inside its outline")]


@pytest.mark.parametrize(
    ("number", "path"),
    [
        (b"1e400", "[0].labels.car[0].polygon[1].x"),
        (b"-1e400", "[0].labels.car[0].polygon[1].x"),
    ],
)
def test_numbers_beyond_any_float_are_errors_with_their_path(number, path):
    polygon = b'[{"x": 1, "y": 1}, {"x": %b, "y": 2}, {"x": 3, "y": 9}]' % number
    data = b'[{"internal_media_ID": "%b", "labels": {"car": [{"polygon": %b}]}}]' % (MEDIA.encode(), polygon)
    assert read(data) == ([], [(path, f"the number {number.decode()} is out of range")])


def test_numbers_out_of_range_anywhere_in_an_image_are_found():
    data = b'[{"internal_media_ID": "%b", "global_classifications": {"weather": [1e999]}, "labels": {}}]'
    _, errors = read(data % MEDIA.encode())
    assert ("[0].global_classifications.weather[0]", "the number 1e999 is out of range") in errors


def test_an_integer_of_thousands_of_digits_is_an_error_not_a_crash():
    data = b'[{"internal_media_ID": "%b", "labels": {"poi": [{"point": [{"x": %b, "y": 1}]}]}}]'
    _, errors = read(data % (MEDIA.encode(), b"1" * 5000))
    assert [path for path, _ in errors] == ["[0]"]
    assert errors[0][1].startswith("a number is out of range")
    _, errors = read(image({"poi": [{"point": [{"x": "1" * 5000, "y": 1}]}]}))
    assert errors == [
        ("[0].labels.poi[0].point[0].x", "'11111111111111111111'... (5000 digits) is out of range for a number")
    ]


def test_an_integer_past_64_bits_outside_the_image_is_reported_with_its_digits():
    """2**70 made the error message itself fail (orjson writes no such integer): a 500."""
    data = b'[{"internal_media_ID": "%b", "labels": {"poi": [{"point": [{"x": 1180591620717411303424, "y": 1}]}]}}]'
    assert read(data % MEDIA.encode()) == (
        [], [("[0].labels.poi[0].point[0].x", "1180591620717411303424 is outside the image (0 to 1000)")]
    )  # fmt: skip


def grid_crossing(rows, low=100.0, high=1100.0):
    """A ring zig-zagging `rows` times each way across a square: it crosses itself rows x rows times."""
    ring = []
    for i in range(rows):
        y = 100 + 600 * i / rows
        ring += [(low, y), (high, y)] if i % 2 == 0 else [(high, y), (low, y)]
    for j in range(rows):
        x = 100.5 + 800 * j / rows
        ring += [(x, 700), (x, 100)] if j % 2 == 0 else [(x, 100), (x, 700)]
    return ring


@pytest.mark.parametrize(("key", "kind"), [("car", "polygon"), ("street", "line")])
def test_clipping_a_shape_that_crosses_itself_thousands_of_times_is_refused_at_once(key, kind):
    """GEOS's overlay of these 2,000 points (250,000 crossings) with the image ran for 30 s and 8 s."""
    file = image({key: [{kind: xy(grid_crossing(500))}]})
    start = time.perf_counter()
    _, errors = read(file, ROAD_INDEX, clip=True)
    assert time.perf_counter() - start < 2
    assert errors == [
        (f"[0].labels.{key}[0].{kind}", f"this {kind} crosses itself, so it cannot be clipped to the image")
    ]


def test_a_segmentation_outline_crossing_itself_250000_times_is_checked_at_once():
    """The old check repaired the outline first (buffer(0)): a minute for this 20 KB shape."""
    ring = grid_crossing(500, high=900.0)
    file = image({"road": [{"image_segmentation": [xy(ring), xy([(400.1, 400.1), (400.3, 400.1), (400.1, 400.3)])]}]})
    start = time.perf_counter()
    read(file, ROAD_INDEX)
    assert time.perf_counter() - start < 2
