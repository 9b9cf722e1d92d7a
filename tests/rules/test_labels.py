"""Validation of labels documents against a configuration, and the required-answer check."""

import pytest

from demo.seeding import CONFIGURATION, demo_labels
from rules import configuration as config
from rules import labels as document
from rules import shapes

INDEX = config.Index(config.parse(CONFIGURATION))


def errors(doc, width=640, height=480):
    return document.validate(doc, INDEX, width, height)


def test_demo_labels_are_valid():
    assert errors(demo_labels(640, 480)) == []


def test_summary_counts_nested_and_imported():
    doc = demo_labels(640, 480)
    doc["geometries"][0]["source"] = "import"
    assert document.summarize(doc) == (6, 1)


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (lambda d: d["geometries"][0].update({"class": "bus"}), "geometries[0].class", "`bus` is not a geometry class"),
        (lambda d: d["geometries"][0].update({"coordinates": [[1, 1], [2, 2]]}), "geometries[0].coordinates",
         "needs at least 3 points"),
        (lambda d: d["geometries"][0]["coordinates"].__setitem__(1, [700, 3]), "geometries[0].coordinates[1][0]",
         "700 is outside the image (0 to 640)"),
        (lambda d: d["geometries"][1].update({"coordinates": [600, 10, 100, 10]}), "geometries[1].coordinates",
         "the rectangle reaches outside the image"),
        (lambda d: d["geometries"][0]["classifications"]["car_type"].update({"values": ["suvv"]}),
         "geometries[0].classifications.car_type.values", "option `suvv` is not one of suv, sedan, pickup"),
        (lambda d: d["geometries"][0]["classifications"]["car_type"].update({"values": ["suv", "sedan"]}),
         "geometries[0].classifications.car_type.values", "`car_type` takes one option; got 2"),
        (lambda d: d["geometries"][4]["coordinates"].append([[0, 0], [5, 0], [5, 5]]), "geometries[4].coordinates[2]",
         "a hole must lie inside its outline"),
        (lambda d: d["geometries"][1]["nested"][0].update({"class": "car"}), "geometries[1].nested[0].class",
         "`car` is not a geometry class here (allowed: head)"),
        (lambda d: d["geometries"][2].update({"id": "g1"}), "geometries[2].id", "id `g1` is used twice"),
        (lambda d: d["classifications"].update({"comment": {"values": ["x" * 501]}}), "classifications.comment.values",
         "text longer than 500 characters"),
        (lambda d: d["classifications"].update({"mood": {"values": []}}), "classifications.mood",
         "`mood` is not a question here"),
        (lambda d: d["geometries"][3].update({"coordinates": [True, 3]}), "geometries[3].coordinates[0]",
         "must be a number"),
    ],
)  # fmt: skip
def test_rejections(change, path, message):
    doc = demo_labels(640, 480)
    change(doc)
    found = errors(doc)
    assert any(p == path and message in m for p, m in found), found


def test_not_an_object():
    assert errors([]) == [("", "the labels document must be an object")]


def test_missing_required_names_each_question():
    doc = demo_labels(640, 480)
    doc["classifications"] = {}
    doc["geometries"][0]["classifications"] = {}
    assert document.missing_required(doc, INDEX) == [
        ("classifications.tod", "`Time of day` is required"),
        ("geometries[0].classifications.car_type", "`Car type` is required"),
    ]


SMALL = shapes.Limits(geometries=4, ring_points=5, holes=2, hole_work=50_000_000)
SQUARE = [[0, 0], [100, 0], [100, 100], [0, 100]]


def road(coordinates, gid="r1"):
    return {"id": gid, "class": "road", "coordinates": coordinates}


@pytest.mark.parametrize(
    ("geometries", "path", "message"),
    [
        ([road([[[0, 0], [1, 0], [2, 0], [3, 1], [2, 2], [0, 2]]])], "geometries[0].coordinates[0]",
         "6 points; a line or ring has at most 5 (setting LABELYARD_MAX_RING_POINTS)"),
        ([road([SQUARE, *[[[10 + i, 10], [11 + i, 10], [10 + i, 11]] for i in range(3)]])], "geometries[0].coordinates",
         "3 holes; a segmentation has at most 2 (setting LABELYARD_MAX_HOLES)"),
        ([{"id": "p", "class": "pedestrian", "coordinates": [1, 1, 5, 5],
           "nested": [{"id": f"h{i}", "class": "head", "coordinates": [2, 2]} for i in range(4)]}], "geometries",
         "5 geometries (nested ones included); a task holds at most 4 (setting LABELYARD_MAX_GEOMETRIES)"),
    ],
)  # fmt: skip
def test_limits_are_refused_naming_the_setting(geometries, path, message):
    assert document.validate({"geometries": geometries}, INDEX, 640, 480, SMALL) == [(path, message)]


def test_a_document_broken_everywhere_is_told_its_first_thousand_problems():
    """A million points outside the image made a million errors (and seconds of work)."""
    ring = [[700, 500]] * 100_000
    doc = {"geometries": [{"id": f"c{i}", "class": "car", "coordinates": ring} for i in range(10)]}
    found = errors(doc)
    assert len(found) == document.MAX_ERRORS + 1
    assert found[0] == ("geometries[0].coordinates[0][0]", "700 is outside the image (0 to 640)")
    assert found[-1] == ("", "more than 1000 errors; fix these and try again")


@pytest.mark.parametrize("value", [True, "7", None, float("nan"), 2**70, [1]])
def test_the_fast_path_leaves_every_odd_coordinate_to_the_point_by_point_check(value):
    doc = {"geometries": [{"id": "c", "class": "car", "coordinates": [[1, 1], [5, 1], [value, 5]]}]}
    assert [path for path, _ in errors(doc)] == ["geometries[0].coordinates[2][0]"]


def test_a_segmentation_ring_closing_on_itself_is_answered():
    """Three points, two distinct: the outline covers nothing, and the rings built in bulk take it."""
    doc = {"geometries": [road([[[0, 0], [50, 50], [0, 0]], [[10, 5], [20, 5], [10, 8]]])]}
    assert errors(doc) == [("geometries[0].coordinates[1]", "a hole must lie inside its outline")]
