"""`manage.py export_labels`: the JSON and masks written without a broker, reuse, and argument mistakes."""

import pytest
from django.core.management import CommandError, call_command

from exports.models import ExportJob
from formats import jsonio
from tests.exports.conftest import SEED_CONFIGURATION, SEGMENTATION_CONFIGURATION, make_project

pytestmark = pytest.mark.django_db

RING = [[100, 100], [900, 120], [800, 700], [150, 650]]
SEGMENTED = {"geometries": [{"id": "s", "class": "seqmentation", "coordinates": [RING]}]}


def export(*args):
    call_command("export_labels", *map(str, args))


def test_writes_the_json_and_the_masks(tmp_path):
    """The file holds the tasks, and the masks folder one PNG per image and segmentation class."""
    project = make_project("cmd", SEGMENTATION_CONFIGURATION, [SEGMENTED, SEGMENTED])
    export(project.pk, "--out", tmp_path / "labels.json", "--masks", tmp_path / "masks")
    assert len(jsonio.loads((tmp_path / "labels.json").read_bytes())) == 3  # the classes, then two tasks
    assert len(list((tmp_path / "masks").glob("*/seqmentation.png"))) == 2


def test_an_unchanged_project_writes_the_reused_masks(tmp_path):
    """A second run reuses the first job's files, masks included (it once looked in its own empty folder)."""
    project = make_project("again", SEGMENTATION_CONFIGURATION, [SEGMENTED])
    export(project.pk, "--out", tmp_path / "a.json", "--masks", tmp_path / "first")
    export(project.pk, "--out", tmp_path / "b.json", "--masks", tmp_path / "second")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert len(list((tmp_path / "second").glob("*/seqmentation.png"))) == 1


@pytest.mark.parametrize(
    "configuration, states", [(SEED_CONFIGURATION, "completed"), (SEGMENTATION_CONFIGURATION, "waiting")]
)
def test_no_masks_to_write_gives_an_empty_folder(tmp_path, configuration, states):
    """Without segmentation classes, or without tasks in the states, the masks folder is made empty."""
    project = make_project("none", configuration, [SEGMENTED if configuration is SEGMENTATION_CONFIGURATION else None])
    export(project.pk, "--out", tmp_path / "labels.json", "--masks", tmp_path / "masks", "--states", states)
    assert (tmp_path / "masks").is_dir() and not any((tmp_path / "masks").iterdir())


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--out", "{tmp}"], "is a folder"),
        (["--out", "{tmp}/missing/labels.json"], "does not exist"),
        (["--out", "{tmp}/labels.json", "--masks", "{tmp}/file.txt"], "is a file"),
        (["--out", "{tmp}/labels.json", "--base-url", "not a url"], "not an http(s) URL"),
        (["--out", "{tmp}/labels.json", "--states", "done,completed"], "Unknown task state(s) done"),
    ],
)
def test_argument_mistakes_are_reported_before_exporting(tmp_path, arguments, message):
    """Each mistake is a CommandError that names it, and no export job is made."""
    (tmp_path / "file.txt").write_text("x")
    project = make_project("bad", SEGMENTATION_CONFIGURATION, [SEGMENTED])
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        export(project.pk, *(a.format(tmp=tmp_path) for a in arguments))
    assert not ExportJob.objects.exists()


def test_an_unknown_project_is_a_sentence(tmp_path):
    with pytest.raises(CommandError, match="There is no project 999999"):
        export(999999, "--out", tmp_path / "labels.json")
