"""Saving a task's labels: validated first, guarded by the version, counted for the task list."""

import pytest

from demo.seeding import CONFIGURATION, demo_labels
from labeling.creation import create_project
from labeling.labels import InvalidLabels, StaleVersion, read_labels, save_labels
from labeling.models import Task, TaskLabels
from projects.models import Dataset, Media


@pytest.fixture
def task(db):
    project = create_project("labels", CONFIGURATION)
    media = Media.objects.create(
        dataset=Dataset.objects.create(name="d"), original_name="a.png", width=640, height=480, mime_type="image/png"
    )
    return Task.objects.create(project=project, media=media)


def test_empty_task_reads_an_empty_document(task):
    assert read_labels(task) == ({"geometries": [], "classifications": {}}, 0)


def test_save_then_read(task):
    doc = demo_labels(640, 480)
    assert save_labels(task, doc, 0) == 1
    task.refresh_from_db()
    assert read_labels(task) == (doc, 1)
    row = TaskLabels.objects.get(task=task)
    assert (row.geometry_count, row.imported_count) == (6, 0)
    assert task.project.__class__.objects.get(pk=task.project_id).revision == 1


def test_stale_version_is_refused_and_keeps_the_first_save(task):
    first = demo_labels(640, 480)
    save_labels(task, first, 0)
    second = demo_labels(640, 480)
    second["geometries"] = []
    with pytest.raises(StaleVersion) as caught:
        save_labels(Task.objects.get(pk=task.pk), second, 0)
    assert caught.value.current == 1
    assert TaskLabels.objects.get(task=task).document == first


def test_invalid_document_writes_nothing(task):
    doc = demo_labels(640, 480)
    doc["geometries"][0]["class"] = "bus"
    with pytest.raises(InvalidLabels) as caught:
        save_labels(task, doc, 0)
    assert caught.value.errors[0][0] == "geometries[0].class"
    task.refresh_from_db()
    assert task.version == 0
    assert not TaskLabels.objects.exists()
