"""The project dashboard: counts per state, per class (roots and nested), per day and per labeler."""

import pytest
from django.urls import reverse

from demo.seeding import CONFIGURATION, demo_labels
from labeling import dashboard
from labeling.creation import create_project
from labeling.labels import save_labels
from labeling.lifecycle import move
from labeling.models import Task, TaskEvent
from labeling.states import State
from projects.models import Dataset, Media, ProjectMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(django_user_model):
    project = create_project("dash", CONFIGURATION, owner=django_user_model.objects.create_user("ann"))
    dataset = Dataset.objects.create(name="d")
    for i in range(3):
        media = Media.objects.create(dataset=dataset, original_name=f"{i}.png", width=640, height=480,
                                     mime_type="image/png")  # fmt: skip
        Task.objects.create(project=project, media=media, state=State.WAITING)
    return project


def label_one(project, user):
    task = project.tasks.filter(state=State.WAITING).select_related("project", "media").first()
    move(task, State.IN_PROGRESS, labeler=user)
    save_labels(task, demo_labels(640, 480), task.version, user)
    move(task, State.COMPLETED)
    project.refresh_from_db()


def test_counts_follow_the_work(project, django_user_model):
    lab = django_user_model.objects.create_user("lab")
    ProjectMember.objects.create(project=project, user=lab, role="labeler")
    assert all(row["count"] == 0 for row in dashboard.class_rows(project))
    label_one(project, lab)
    label_one(project, lab)
    counts = {row["name"]: row["count"] for row in dashboard.class_rows(project)}
    assert counts == {"Car": 2, "Pedestrian": 2, "Pedestrian › Head": 2, "Lane marking": 2, "Traffic light": 2,
                      "Road": 2}  # fmt: skip
    assert dashboard.finished_per_day(project)[-1][1] == 2
    assert dashboard.labeler_rows(project) == [
        {"labeler__username": "lab", "in_progress": 0, "finished": 2, "geometries": 12}
    ]
    assert TaskEvent.objects.filter(to_state=State.COMPLETED, user=lab).count() == 2


def test_home_page_shows_the_charts(client, project, django_user_model):
    lab = django_user_model.objects.create_user("lab")
    label_one(project, lab)
    client.force_login(project.created_by)
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    for part in ('id="task-counts"', 'id="class-counts"', 'id="per-day"', 'id="labeler-counts"', "Pedestrian › Head"):
        assert part in page


def test_bars_scale_to_the_largest():
    assert dashboard.bars([0, 5, 10], width=30, height=100) == [
        (1.0, 100.0, 8.0, 0.0, 0),
        (11.0, 50.0, 8.0, 50.0, 5),
        (21.0, 0.0, 8.0, 100.0, 10),
    ]
    assert dashboard.bars([]) == []
