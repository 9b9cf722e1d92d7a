"""Configuration changes: labels of removed classes go only with confirmation; new required
questions send completed tasks back to the queue."""

import copy

import pytest
from django.urls import reverse

from demo.seeding import CONFIGURATION, demo_labels
from formats import jsonio
from labeling.configuring import ConfirmationNeeded, plan_change, save_configuration
from labeling.creation import create_project
from labeling.labels import save_labels
from labeling.lifecycle import move
from labeling.models import Task, TaskLabels
from labeling.states import State
from projects.models import Dataset, Media

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(django_user_model):
    owner = django_user_model.objects.create_user("owner")
    project = create_project("cfg", CONFIGURATION, owner=owner)
    dataset = Dataset.objects.create(name="d")
    project.datasets.add(dataset)
    for i, state in enumerate([State.COMPLETED, State.REVIEWED, State.SKIPPED, State.WAITING]):
        media = Media.objects.create(
            dataset=dataset, original_name=f"{i}.png", width=640, height=480, mime_type="image/png"
        )
        task = Task.objects.create(project=project, media=media, state=State.IN_PROGRESS)
        save_labels(task, demo_labels(640, 480), 0)
        if state != State.WAITING:
            move(task, State.COMPLETED if state != State.SKIPPED else State.SKIPPED)
            if state == State.REVIEWED:
                move(task, State.REVIEWED)
        else:
            move(task, State.WAITING)
    return project


def without(key):
    changed = copy.deepcopy(CONFIGURATION)
    changed["entries"] = [e for e in changed["entries"] if e["key"] != key]
    return changed


def with_required_question(root_key):
    changed = copy.deepcopy(CONFIGURATION)
    root = next(e for e in changed["entries"] if e["key"] == root_key)
    root.setdefault("children", []).append(
        {"key": "visible", "name": "Visible", "kind": "option", "required": True, "options": ["yes", "no"]}
    )
    return changed


def test_removing_a_class_with_labels_needs_confirmation_and_changes_nothing(project):
    before = list(TaskLabels.objects.order_by("task_id").values_list("document", flat=True))
    with pytest.raises(ConfirmationNeeded) as caught:
        save_configuration(project, without("car"))
    assert "4 label(s) on 4 task(s)" in str(caught.value)
    assert list(TaskLabels.objects.order_by("task_id").values_list("document", flat=True)) == before
    assert project.label_configuration.__class__.objects.get(project=project).revision == 0


def test_confirmed_removal_deletes_only_that_class(project):
    versions = dict(Task.objects.values_list("pk", "version"))
    save_configuration(project, without("car"), confirm=True)
    for row in TaskLabels.objects.all():
        classes = [g["class"] for g in row.document["geometries"]]
        assert "car" not in classes
        assert classes == ["pedestrian", "marking", "traffic_light", "road"]
        assert row.geometry_count == 5
    assert all(v == versions[pk] + 1 for pk, v in Task.objects.values_list("pk", "version"))


def test_removed_option_is_deleted_from_answers(project):
    changed = copy.deepcopy(CONFIGURATION)
    changed["entries"][0]["children"][0]["options"] = ["suv", "pickup"]
    assert plan_change(project, changed).removed_labels == 4
    save_configuration(project, changed, confirm=True)
    answer = TaskLabels.objects.first().document["geometries"][0]["classifications"]["car_type"]
    assert answer == {"values": []}


def test_kind_change_counts_as_removal(project):
    changed = copy.deepcopy(CONFIGURATION)
    changed["entries"][2]["kind"] = "polygon"
    with pytest.raises(ConfirmationNeeded):
        save_configuration(project, changed)


def test_new_required_question_requeues_completed_and_reviewed_tasks(project):
    save_configuration(project, with_required_question("car"))
    states = sorted(Task.objects.values_list("state", flat=True))
    assert states == [State.SKIPPED, State.WAITING, State.WAITING, State.WAITING]


def test_adding_an_optional_question_changes_no_task(project):
    changed = with_required_question("car")
    changed["entries"][0]["children"][-1]["required"] = False
    saved = save_configuration(project, changed)
    assert saved.change_summary == "No existing labels are affected."
    assert Task.objects.filter(state=State.COMPLETED).count() == 1


def test_invalid_configuration_changes_nothing(project):
    with pytest.raises(ValueError):
        save_configuration(project, [{"key": "a", "kind": "circle"}])
    assert Task.objects.filter(state=State.WAITING).count() == 1


def test_page_asks_for_confirmation(client, project):
    client.force_login(project.created_by)
    url = reverse("projects:configuration", args=[project.pk])
    text = jsonio.dumps_text(without("car"))
    page = client.post(url, {"configuration": text}).content.decode()
    assert "will be deleted" in page
    assert 'name="confirm"' in page
    assert TaskLabels.objects.first().document["geometries"][0]["class"] == "car"
    response = client.post(url, {"configuration": text, "confirm": "on"})
    assert response.status_code == 302
    assert TaskLabels.objects.first().document["geometries"][0]["class"] == "pedestrian"
