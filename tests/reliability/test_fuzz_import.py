"""Property-based fuzzing of what reads untrusted labels: the DataGym import reader
(formats.datagym.read), a whole dry-run import (labeling.importing.import_labels), and
the labels document check (rules.labels.validate). Whatever the input, each answers with
errors or a result, never an exception, and a dry run writes nothing.

The number of generated inputs per test is LABELYARD_FUZZ_EXAMPLES (200 by default, the CI
budget); docs/reliability.md has the command for a long run.
"""

import os
import re
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formats import datagym, jsonio
from labeling import importing
from labeling.models import TaskLabels
from labeling.states import State
from rules import configuration as config
from rules import labels as labels_document
from tests.exports.conftest import make_project

EXAMPLES = int(os.environ.get("LABELYARD_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

CONFIGURATION = {
    "entries": [
        {"key": "car", "name": "Car", "kind": "polygon", "children": [
            {"key": "car_type", "name": "Car type", "kind": "option", "options": ["suv", "van"], "required": True},
            {"key": "wheel", "name": "Wheel", "kind": "point"},
        ]},
        {"key": "box", "name": "Box", "kind": "rectangle"},
        {"key": "lane", "name": "Lane", "kind": "line"},
        {"key": "road", "name": "Road", "kind": "image_segmentation"},
        {"key": "weather", "name": "Weather", "kind": "checklist", "options": ["sun", "rain"]},
        {"key": "note", "name": "Note", "kind": "freetext", "max_length": 20},
    ]
}  # fmt: skip
INDEX = config.Index(config.parse(CONFIGURATION))
MEDIA = [str(uuid.UUID(int=n)) for n in range(1, 4)]
SIZES = dict.fromkeys(MEDIA, (640, 480))
KEYS = ["car", "car_type", "wheel", "box", "lane", "road", "weather", "note", "geometry", "", "CAR", "x" * 80]

# Numbers at and past every edge: negative, fractional, beyond the image, beyond 64 bits.
numbers = st.one_of(
    st.integers(-10, 700), st.floats(allow_nan=False, allow_infinity=False), st.integers(-(2**70), 2**70)
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=12), st.sampled_from(KEYS + MEDIA))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), inner,
                                                     max_size=4)
    ),
    max_leaves=25,
)  # fmt: skip
xy = st.fixed_dictionaries({"x": numbers, "y": numbers})
corner = st.fixed_dictionaries({"x": numbers, "y": numbers, "w": numbers, "h": numbers})
shape = st.one_of(
    st.fixed_dictionaries({"polygon": st.lists(xy, max_size=6)}),
    st.fixed_dictionaries({"line": st.lists(xy, max_size=4)}),
    st.fixed_dictionaries({"point": st.lists(xy, max_size=2)}),
    st.fixed_dictionaries({"top_left": corner}),
    st.fixed_dictionaries({"segmentation": st.lists(st.lists(xy, max_size=5), max_size=2)}),
    json_values,
)
label = st.one_of(
    st.builds(lambda s, c, n: {**(s if isinstance(s, dict) else {"polygon": s}), "classifications": c, **n}, shape,
              st.dictionaries(st.sampled_from(KEYS), st.lists(st.one_of(st.none(), st.text(max_size=8)), max_size=2),
                              max_size=2),
              st.dictionaries(st.sampled_from(KEYS), st.lists(shape, max_size=2), max_size=2)),
    json_values,
)  # fmt: skip
image = st.fixed_dictionaries(
    {},
    optional={
        "internal_media_ID": st.one_of(st.sampled_from(MEDIA), json_values),
        "external_media_ID": json_values,
        "keepData": st.one_of(st.booleans(), json_values),
        "global_classifications": st.one_of(
            st.dictionaries(st.sampled_from(KEYS), st.lists(st.one_of(st.none(), st.text(max_size=25)), max_size=3)),
            json_values,
        ),
        "labels": st.one_of(
            st.dictionaries(st.sampled_from(KEYS), st.lists(label, max_size=3), max_size=3), json_values
        ),
        "label_classes": json_values,
    },
)


def encode(value):
    """JSON bytes of `value`, integers past 64 bits included (orjson refuses to write those)."""

    def mark(item):
        if isinstance(item, bool) or not isinstance(item, int) or -(2**63) <= item < 2**64:
            if isinstance(item, dict):
                return {k: mark(v) for k, v in item.items()}
            return [mark(v) for v in item] if isinstance(item, list) else item
        return f"__big{item}__"

    return re.sub(rb'"__big(-?[0-9]+)__"', rb"\1", jsonio.dumps(mark(value)))


files = st.one_of(st.lists(image, max_size=4).map(encode), json_values.map(encode), st.binary(max_size=200))


def check_errors(errors):
    assert isinstance(errors, list)
    for path, message in errors:
        assert isinstance(path, str) and isinstance(message, str) and message


@FUZZ
@given(data=files, clip=st.booleans())
def test_reader_answers_with_errors_or_items(data, clip):
    items, errors = datagym.read(data, INDEX, SIZES, clip=clip)
    check_errors(errors)
    if not errors:
        for item in items:
            document = item.document()
            assert labels_document.validate(document, INDEX, 640, 480) == [], "the reader let through invalid labels"


@FUZZ
@given(data=files)
def test_reader_matching_by_name(data):
    names = {"a.png": MEDIA[0], "b.png": None}
    _, errors = datagym.read(data, INDEX, SIZES, names=names)
    check_errors(errors)


@pytest.fixture(scope="module")
def project(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        project = make_project("fuzzed import", CONFIGURATION, [None] * 3, state=State.WAITING, size=(640, 480))
        datasets = list(project.datasets.all())
        yield project
        # Committed outside the tests' transactions: remove everything, images included, for later tests.
        project.delete()
        for dataset in datasets:
            dataset.delete()


@pytest.mark.django_db
@FUZZ
@given(data=files, match_by_name=st.booleans(), clip=st.booleans())
def test_dry_run_import_never_crashes_or_writes(project, data, match_by_name, clip):
    ids = [str(t.media_id) for t in project.tasks.order_by("pk")]
    data = data.replace(MEDIA[0].encode(), ids[0].encode()) if isinstance(data, bytes) else data
    try:
        summary = importing.import_labels(project, data, dry_run=True, match_by_name=match_by_name, clip=clip)
    except importing.ImportRejected as rejected:
        assert rejected.errors and all(e["message"] for e in rejected.errors)
    else:
        assert summary.dry_run
    assert not TaskLabels.objects.filter(task__project=project).exists()


geometry = st.fixed_dictionaries(
    {"id": st.one_of(st.text(max_size=70), json_values), "class": st.one_of(st.sampled_from(KEYS), json_values),
     "coordinates": st.one_of(st.lists(numbers, max_size=4), st.lists(st.lists(numbers, max_size=3), max_size=5),
                              st.lists(st.lists(st.lists(numbers, max_size=2), max_size=5), max_size=2), json_values)},
    optional={"source": st.one_of(st.sampled_from(["human", "import"]), json_values),
              "classifications": json_values, "nested": st.one_of(st.lists(json_values, max_size=3), json_values)},
)  # fmt: skip
documents = st.one_of(
    st.fixed_dictionaries(
        {"geometries": st.one_of(st.lists(geometry, max_size=5), json_values)},
        optional={"classifications": json_values},
    ),
    json_values,
)


@FUZZ
@given(document=documents, width=st.integers(1, 5000), height=st.integers(1, 5000))
def test_document_validation_reports_instead_of_raising(document, width, height):
    errors = labels_document.validate(document, INDEX, width, height)
    check_errors(errors)


def test_reader_refuses_deep_nesting_with_an_error():
    """JSON nested 10,000 deep is an error with a message, not a crash."""
    _, errors = datagym.read(b"[" * 10_000 + b"]" * 10_000, INDEX, SIZES)
    check_errors(errors)
    assert errors == [("", "the JSON is nested too deeply to read")]
    nested_inside_an_image = b'[{"internal_media_ID": "x", "labels": ' + b"[" * 10_000 + b"]" * 10_000 + b"}]"
    _, errors = datagym.read(nested_inside_an_image, INDEX, SIZES)
    assert ("", "the JSON is nested too deeply to read") in errors or any("too deeply" in m for _, m in errors)
