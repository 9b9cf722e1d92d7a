"""Fixtures of the export tests: projects with images, tasks and labels made by bulk inserts, no files."""

import uuid

import pytest
from django.contrib.auth import get_user_model

from labeling.creation import create_project
from labeling.models import Task, TaskLabels
from labeling.states import State
from projects.models import Dataset, Media, ProjectMember
from rules import labels as labels_document

# DataGym's documented export example: classes bus, car with car_type, weather
# with daytime nested under it.
SEED_CONFIGURATION = {
    "entries": [
        {"key": "bus", "name": "Bus", "kind": "rectangle"},
        {"key": "car", "name": "Car", "kind": "polygon", "children": [
            {"key": "car_type", "name": "Car type", "kind": "option",
             "options": ["suv", "sedan", "pickup", "van"]},
        ]},
        {"key": "weather", "name": "Weather", "kind": "option", "options": ["sunny", "rainy", "cloudy"],
         "children": [{"key": "daytime", "name": "Daytime", "kind": "option",
                       "options": ["day", "night", "dawn", "dusk"]}]},
    ]
}  # fmt: skip

SEGMENTATION_CONFIGURATION = {
    "entries": [
        {"key": "seqmentation", "name": "Segmentation", "kind": "image_segmentation"},
        {"key": "car", "name": "Car", "kind": "polygon"},
    ]
}


def make_project(name, configuration, documents, *, state=State.COMPLETED, size=(1920, 1080), labeler=None):
    """A project with one image and task per document (None: a task without labels), in `state`."""
    project = create_project(name, configuration, owner=labeler)
    dataset = Dataset.objects.create(name=f"{name} images")
    media = Media.objects.bulk_create(
        Media(
            id=uuid.uuid4(),
            dataset=dataset,
            original_name=f"image_{i:05d}.jpg",
            width=size[0],
            height=size[1],
            mime_type="image/jpeg",
            sha256="0" * 64,
        )
        for i in range(len(documents))
    )
    project.datasets.add(dataset)
    tasks = Task.objects.bulk_create(Task(project=project, media=m, state=state, labeler=labeler) for m in media)
    TaskLabels.objects.bulk_create(
        TaskLabels(task=t, document=d, geometry_count=labels_document.summarize(d)[0])
        for t, d in zip(tasks, documents, strict=True)
        if d is not None
    )
    project.bump_revision()
    project.refresh_from_db()
    return project


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_user("boss", password="pw-boss-123")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def add_member(project, user, role=ProjectMember.Role.ADMIN):
    ProjectMember.objects.get_or_create(project=project, user=user, defaults={"role": role})
