"""The export API: a start or a reuse, every mistake a 400 that names it, and one job however many ask at once."""

import threading

import pytest
from django.db import connections
from django.test import Client

from exports.models import ExportJob
from tests.conftest import require_postgresql
from tests.exports.conftest import SEED_CONFIGURATION, add_member, make_project

DOCUMENT = {"geometries": [{"id": "b", "class": "bus", "coordinates": [10, 10, 50, 40]}], "classifications": {}}


def post(client, project, body):
    return client.post(f"/api/projects/{project.pk}/exports", body, content_type="application/json")


@pytest.mark.django_db
class TestStart:
    def test_start_then_reuse(self, admin_client, admin_user):
        """The first request makes the job (201); the same request for the unchanged project returns it (200)."""
        project = make_project("api", SEED_CONFIGURATION, [DOCUMENT])
        add_member(project, admin_user)
        first = post(admin_client, project, {"states": ["completed"], "masks": False})
        again = post(admin_client, project, {"states": ["completed"], "masks": False})
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["id"] == again.json()["id"] and ExportJob.objects.count() == 1

    @pytest.mark.parametrize(
        "body, path",
        [
            ({"states": ["done"]}, "states.0"),
            ({"states": []}, "states"),
            ({"states": "completed"}, "states"),
            ({"masks": "sometimes"}, "masks"),
            ({"mask": True}, "mask"),
            ([{"states": ["completed"]}], "non_field_errors"),
        ],
    )
    def test_mistakes_name_their_field_and_make_nothing(self, admin_client, admin_user, body, path):
        """A wrong value, a misspelt option or a body that is no object is a 400 with its path; no job."""
        project = make_project("bad", SEED_CONFIGURATION, [DOCUMENT])
        add_member(project, admin_user)
        response = post(admin_client, project, body)
        assert response.status_code == 400
        assert path in [error["path"] for error in response.json()["errors"]]
        assert not ExportJob.objects.exists()

    def test_a_project_without_labels_is_refused(self, admin_client, admin_user):
        """As the page's disabled button: nothing labelled, nothing to export."""
        project = make_project("empty", SEED_CONFIGURATION, [None])
        add_member(project, admin_user)
        response = post(admin_client, project, {})
        assert response.status_code == 400
        assert response.json()["errors"][0]["message"] == "This project has no labelled tasks to export yet."
        assert not ExportJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_parallel_requests_make_one_job(admin_user):
    """Eight identical requests at once (a double click, a retrying script) find or make one job."""
    project = make_project("race", SEED_CONFIGURATION, [DOCUMENT])
    add_member(project, admin_user)
    barrier = threading.Barrier(8)
    codes = []

    def request():
        client = Client()
        client.force_login(admin_user)
        try:
            barrier.wait(timeout=30)
            codes.append(post(client, project, {"states": ["completed"]}).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(codes) == [200] * 7 + [201]
    assert ExportJob.objects.count() == 1
    require_postgresql("proving one job under truly parallel requests")
