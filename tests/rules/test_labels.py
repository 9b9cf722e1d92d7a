"""Validation of labels documents against a configuration, and the required-answer check."""

import pytest

from demo.seeding import CONFIGURATION, demo_labels
from rules import configuration as config
from rules import labels as document

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
