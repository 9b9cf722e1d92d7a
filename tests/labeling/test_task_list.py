"""The task list: filters, sorting, the labeler's own view and admin bulk actions."""

import pytest
from django.urls import reverse

from labeling import bulk
from labeling.creation import create_project
from labeling.models import Task, TaskLabels
from labeling.states import State
from projects.models import Dataset, Media, ProjectMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(django_user_model):
    project = create_project("tl", None, owner=django_user_model.objects.create_user("ann"))
    labeler = django_user_model.objects.create_user("lab")
    ProjectMember.objects.create(project=project, user=labeler, role="labeler")
    dataset = Dataset.objects.create(name="d")
    project.datasets.add(dataset)
    states = [State.BACKLOG, State.BACKLOG, State.WAITING, State.COMPLETED, State.REVIEWED]
    for i, state in enumerate(states):
        media = Media.objects.create(dataset=dataset, original_name=f"img_{i}.png", width=9, height=9,
                                     mime_type="image/png")  # fmt: skip
        task = Task.objects.create(project=project, media=media, state=state,
                                   labeler=labeler if state == State.COMPLETED else None)  # fmt: skip
        if i == 3:
            TaskLabels.objects.create(task=task, geometry_count=3, imported_count=2)
    return project


def names(response):
    return [t.media.original_name for t in response.context["page"]]


def test_filters_and_sort(client, project):
    client.force_login(project.created_by)
    url = reverse("labeling:task_list", args=[project.pk])
    assert names(client.get(url, {"state": "backlog"})) == ["img_0.png", "img_1.png"]
    assert names(client.get(url, {"imported": "on"})) == ["img_3.png"]
    assert names(client.get(url, {"name": "IMG_4"})) == ["img_4.png"]
    assert names(client.get(url, {"sort": "-name"}))[0] == "img_4.png"
    assert client.get(url, {"state": "nonsense", "page": "x"}).status_code == 200


def test_labeler_sees_only_own_tasks_and_cannot_bulk(client, project):
    labeler = ProjectMember.objects.get(role="labeler").user
    client.force_login(labeler)
    url = reverse("labeling:task_list", args=[project.pk])
    assert names(client.get(url)) == ["img_3.png"]
    assert client.post(url, {"action": "reset", "tasks": ["1"]}).status_code == 403


def test_bulk_release_via_page(client, project):
    client.force_login(project.created_by)
    ids = list(project.tasks.values_list("pk", flat=True))
    url = reverse("labeling:task_list", args=[project.pk])
    response = client.post(url, {"action": "release", "tasks": ids}, follow=True)
    assert "2 task(s) changed" in response.content.decode()
    assert project.tasks.filter(state=State.WAITING).count() == 3


def test_bulk_assign_needs_a_labeler_of_the_project(project, django_user_model):
    tasks = project.tasks.all()
    assert bulk.assign(tasks, project, ProjectMember.objects.get(role="labeler").user) == 3
    with pytest.raises(bulk.BulkActionError, match="stranger is not a labeler of tl"):
        bulk.assign(tasks, project, django_user_model.objects.create_user("stranger"))


def test_reset_keeps_labels(project):
    assert bulk.reset(project.tasks.all()) == 2
    done = project.tasks.get(media__original_name="img_3.png")
    assert (done.state, done.labeler) == (State.WAITING, None)
    assert TaskLabels.objects.filter(task=done).exists()


def test_hold(project):
    assert bulk.hold(project.tasks.all()) == 1
    assert project.tasks.filter(state=State.BACKLOG).count() == 3
