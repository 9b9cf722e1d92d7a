"""The neutral form between Labelyard and the interchange formats (COCO, YOLO, Pascal VOC, CVAT XML,
Label Studio JSON, Segments.ai releases).

Every interchange reader (``formats/<format>.py``, ``read(...)``) returns a ``Parsed``: the classes
and questions the file declares, and per image the shapes and answers it holds, named as the file
names them, each with the JSON or XML path of where it came from. It knows nothing of a project:
the import (labeling/) maps the names to a configuration's keys (by key, then by name), turns each
image into a labels document (rules/labels.py) and checks it with the same code as a save,
reporting a document's errors at the file's paths kept here.

Every interchange writer takes the configuration and the snapshot's task rows (exports/snapshot.py:
dicts with ``name``, ``width``, ``height``, ``status``, ``labeler`` and ``document``), so one
snapshot feeds any number of writers. Coordinates are the labels document's (docs/labels-document.md).
"""

from dataclasses import dataclass, field

GEOMETRY_KINDS = ("rectangle", "polygon", "line", "point", "image_segmentation")
QUESTION_KINDS = ("option", "checklist", "freetext")


@dataclass
class Question:
    """A question a file declares: a CVAT attribute, a Label Studio choice, a Segments attribute."""

    name: str
    kind: str  # one of QUESTION_KINDS
    options: list[str] = field(default_factory=list)


@dataclass
class LabelClass:
    """A class a file declares; ``kind`` is a geometry kind, or a question kind for a global question."""

    name: str
    kind: str
    questions: list[Question] = field(default_factory=list)
    options: list[str] = field(default_factory=list)  # a global option or checklist question's options


@dataclass
class Shape:
    """One object of one image: its class name, coordinates in the labels document's form, the
    answers to its questions by question name, and the path of the object in the file."""

    class_name: str
    kind: str
    coordinates: list
    path: str
    answers: dict[str, list[str]] = field(default_factory=dict)
    score: float | None = None


@dataclass
class ImageLabels:
    """The labels of one image, found by its file name; width and height when the file gives them."""

    file_name: str
    path: str
    width: int | None = None
    height: int | None = None
    shapes: list[Shape] = field(default_factory=list)
    answers: dict[str, list[str]] = field(default_factory=dict)  # global questions by name


@dataclass
class Parsed:
    """What a reader found: the declared classes, the images' labels, and every error with its path.

    A reader that found errors still returns what it could read, so one run reports them all.
    """

    classes: list[LabelClass] = field(default_factory=list)
    images: list[ImageLabels] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
