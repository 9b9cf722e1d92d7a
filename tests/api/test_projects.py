"""The native REST API: roles decide access (strangers 404, lesser roles 403), every error is JSON."""

import io

import pytest
from PIL import Image
from rest_framework.test import APIClient

from formats import jsonio
from labeling.attaching import attach_dataset
from labeling.creation import create_project
from labeling.labels import save_labels
from labeling.models import Task
from labeling.states import State
from projects import tokens
from projects.media import add_image
from projects.models import Dataset, Media

pytestmark = pytest.mark.django_db

CONFIGURATION = {"entries": [{"key": "car", "name": "Car", "kind": "rectangle"}]}
ERROR_KEYS = {"detail", "code", "errors"}


def png(name="a.png"):
    out = io.BytesIO()
    Image.new("RGB", (30, 20)).save(out, "PNG")
    out.seek(0)
    out.name = name
    return out


def api_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.create_token(user, 'test')[1]}")
    return client


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner")


@pytest.fixture
def labeler(django_user_model):
    return django_user_model.objects.create_user("labeler")


@pytest.fixture
def project(owner, labeler):
    project = create_project("Streets", CONFIGURATION, owner=owner)
    project.memberships.create(user=labeler, role="labeler")
    return project


@pytest.fixture
def api(owner):
    return api_client(owner)


def error(response, status):
    assert response.status_code == status, response.content
    body = jsonio.loads(response.content)
    assert set(body) == ERROR_KEYS
    return body


class TestProjects:
    def test_create_list_update(self, api):
        response = api.post("/api/projects", {"name": "New", "configuration": CONFIGURATION}, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["role"] == "admin"
        pk = response.json()["id"]
        assert [p["name"] for p in api.get("/api/projects").json()["results"]] == ["New"]
        assert api.patch(f"/api/projects/{pk}", {"description": "x"}, format="json").json()["description"] == "x"

    def test_duplicate_name_and_bad_configuration_are_400(self, api, project):
        body = error(api.post("/api/projects", {"name": "Streets"}, format="json"), 400)
        assert body["errors"][0]["path"] == "name"
        body = error(api.post("/api/projects", {"name": "X", "configuration": {"entries": [{}]}}, format="json"), 400)
        assert body["errors"]

    def test_stranger_404_lesser_role_403(self, project, labeler, django_user_model):
        stranger = api_client(django_user_model.objects.create_user("stranger"))
        error(stranger.get(f"/api/projects/{project.pk}"), 404)
        error(stranger.get(f"/api/projects/{project.pk}/tasks"), 404)
        lesser = api_client(labeler)
        assert lesser.get(f"/api/projects/{project.pk}").status_code == 200
        error(lesser.patch(f"/api/projects/{project.pk}", {"name": "Mine"}, format="json"), 403)
        error(
            lesser.put(f"/api/projects/{project.pk}/configuration", {"configuration": CONFIGURATION}, format="json"),
            403,
        )

    def test_huge_ids_and_unknown_paths_are_json_404(self, api):
        error(api.get(f"/api/projects/{2**70}"), 404)
        error(api.get(f"/api/tasks/{2**70}"), 404)
        error(api.post("/api/no/such/thing", {}, format="json"), 404)
        error(api.get("/api/projects/"), 404)  # no APPEND_SLASH redirect under /api/

    def test_malformed_json_is_400(self, api):
        error(api.generic("POST", "/api/projects", b"{nope", content_type="application/json"), 400)


class TestConfiguration:
    def test_get_and_put(self, api, project):
        assert api.get(f"/api/projects/{project.pk}/configuration").json()["entries"][0]["key"] == "car"
        new = {"entries": [{"key": "bus", "name": "Bus", "kind": "polygon"}]}
        response = api.put(f"/api/projects/{project.pk}/configuration", {"configuration": new}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["entries"][0]["key"] == "bus"

    def test_dropping_a_labelled_class_needs_confirm(self, api, project, owner):
        """Without `confirm`, a change that would delete labels is a 409 in the error body; nothing changes."""
        dataset = Dataset.objects.create(name="d", created_by=owner)
        add_image(dataset, png("street.png"), "street.png")
        attach_dataset(project, dataset)
        task = Task.objects.select_related("project", "media").get(project=project)
        box = {"id": "g1", "class": "car", "coordinates": [1, 1, 8, 8]}
        save_labels(task, {"geometries": [box], "classifications": {}}, 0)
        new = {"entries": [{"key": "bus", "name": "Bus", "kind": "polygon"}]}
        url = f"/api/projects/{project.pk}/configuration"
        body = error(api.put(url, {"configuration": new, "confirm": False}, format="json"), 409)
        assert (body["code"], body["errors"]) == ("confirmation_needed", [])
        assert api.get(url).json()["entries"][0]["key"] == "car"

    def test_invalid_lists_every_rule(self, api, project):
        bad = {"entries": [{"key": "status", "kind": "polygon"}, {"key": "x", "kind": "circle"}]}
        body = error(api.put(f"/api/projects/{project.pk}/configuration", {"configuration": bad}, format="json"), 400)
        assert len(body["errors"]) >= 2
        assert all(e["path"] == "configuration" for e in body["errors"])


class TestDatasetsAndMedia:
    def test_upload_list_download_delete(self, api, project):
        dataset = api.post("/api/datasets", {"name": "batch"}, format="json").json()
        attached = api.post(f"/api/projects/{project.pk}/datasets", {"dataset": dataset["id"]}, format="json")
        assert attached.status_code == 201
        response = api.post(f"/api/datasets/{dataset['id']}/media", {"file": png()}, format="multipart")
        assert response.status_code == 201, response.content
        media = response.json()
        assert (media["width"], media["height"]) == (30, 20)
        assert Task.objects.filter(project=project).count() == 1
        listed = api.get(f"/api/datasets/{dataset['id']}/media", {"name": "a."}).json()["results"]
        assert [m["id"] for m in listed] == [media["id"]]
        download = api.get(media["file_url"])
        assert download.status_code == 200 and download["Content-Type"] == "image/png"
        assert api.delete(f"/api/media/{media['id']}").status_code == 204
        assert not Media.objects.exists() and not Task.objects.exists()

    def test_not_an_image_is_400(self, api, owner):
        dataset = Dataset.objects.create(name="d", created_by=owner)
        fake = io.BytesIO(b"not an image")
        fake.name = "x.png"
        body = error(api.post(f"/api/datasets/{dataset.pk}/media", {"file": fake}, format="multipart"), 400)
        assert body["errors"][0]["path"] == "file"

    def test_labeler_cannot_change_a_dataset(self, project, labeler, owner):
        dataset = Dataset.objects.create(name="d", created_by=owner)
        project.datasets.add(dataset)
        lesser = api_client(labeler)
        assert lesser.get(f"/api/datasets/{dataset.pk}").status_code == 200
        error(lesser.post(f"/api/datasets/{dataset.pk}/media", {"file": png()}, format="multipart"), 403)


class TestMembers:
    def test_add_change_remove_and_keep_an_admin(self, api, project, django_user_model):
        django_user_model.objects.create_user("newbie")
        response = api.post(f"/api/projects/{project.pk}/members", {"username": "newbie"}, format="json")
        assert response.status_code == 201, response.content
        member = response.json()
        assert member["role"] == "labeler"
        url = f"/api/projects/{project.pk}/members/{member['id']}"
        assert api.patch(url, {"role": "reviewer"}, format="json").json()["role"] == "reviewer"
        assert api.delete(url).status_code == 204
        admin = project.memberships.get(role="admin")
        error(api.patch(f"/api/projects/{project.pk}/members/{admin.pk}", {"role": "labeler"}, format="json"), 400)
        error(api.post(f"/api/projects/{project.pk}/members", {"username": "ghost"}, format="json"), 400)


class TestTasks:
    @pytest.fixture
    def task(self, project, owner):
        dataset = Dataset.objects.create(name="d", created_by=owner)
        add_image(dataset, png("street.png"), "street.png")
        attach_dataset(project, dataset)
        return Task.objects.get(project=project)

    def test_filters(self, api, project, task):
        url = f"/api/projects/{project.pk}/tasks"
        assert len(api.get(url, {"state": "backlog", "name": "stre"}).json()["results"]) == 1
        assert api.get(url, {"state": "waiting"}).json()["results"] == []
        assert len(api.get(url, {"labeler": "none"}).json()["results"]) == 1
        error(api.get(url, {"state": "bogus"}), 400)

    def test_move_and_assign(self, api, task, labeler):
        moved = api.post(f"/api/tasks/{task.pk}/state", {"state": "waiting"}, format="json")
        assert moved.json()["state"] == State.WAITING
        refused = error(api.post(f"/api/tasks/{task.pk}/state", {"state": "reviewed"}, format="json"), 409)
        assert (refused["code"], refused["errors"]) == ("transition", [])
        assert (
            api.post(f"/api/tasks/{task.pk}/assign", {"labeler": "labeler"}, format="json").json()["labeler"]
            == "labeler"
        )
        error(api.post(f"/api/tasks/{task.pk}/assign", {"labeler": "ghost"}, format="json"), 400)
        assert api.post(f"/api/tasks/{task.pk}/assign", {"labeler": None}, format="json").json()["labeler"] is None

    def test_labeler_cannot_move(self, task, labeler):
        error(api_client(labeler).post(f"/api/tasks/{task.pk}/state", {"state": "waiting"}, format="json"), 403)


def test_docs_need_no_cdn(client, owner):
    client.force_login(owner)
    page = client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar" in page
    assert "cdn." not in page
