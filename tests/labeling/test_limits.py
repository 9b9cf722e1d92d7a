"""The size limits the app passes to the pure checks come from the settings (labeling/limits.py)."""

from labeling import limits
from rules import configuration as config
from rules import labels as labels_document
from rules import shapes

INDEX = config.Index(config.parse({"entries": [{"key": "road", "name": "Road", "kind": "image_segmentation"}]}))
SQUARE = [[0, 0], [100, 0], [100, 100], [0, 100]]


def test_the_settings_give_the_limits(settings):
    settings.LABELYARD_MAX_GEOMETRIES = 7
    settings.LABELYARD_MAX_RING_POINTS = 8
    settings.LABELYARD_MAX_HOLES = 0
    settings.LABELYARD_MAX_HOLE_CHECK_WORK = 9
    assert limits.from_settings() == shapes.Limits(geometries=7, ring_points=8, holes=0, hole_work=9)
    doc = {"geometries": [{"id": "g", "class": "road", "coordinates": [SQUARE, [[10, 10], [20, 10], [10, 20]]]}]}
    assert labels_document.validate(doc, INDEX, 640, 480, limits.from_settings()) == [
        ("geometries[0].coordinates", "1 holes; a segmentation has at most 0 (setting LABELYARD_MAX_HOLES)")
    ]


def test_the_pure_defaults_are_the_settings_defaults():
    """The README's table ("Configuration by environment"): 20,000, 100,000, 1,000 and 50,000,000."""
    readme = shapes.Limits(geometries=20_000, ring_points=100_000, holes=1_000, hole_work=50_000_000)
    assert readme == shapes.DEFAULT_LIMITS
