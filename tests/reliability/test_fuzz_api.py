"""Schemathesis over every operation of /api/schema/, with path ids swapped for real objects.

tests/api/test_schemathesis.py lets schemathesis pick ids, so most requests end in 404; here
every id names an object of a real project (its task, image, dataset, member, export), so the
generated bodies and query strings reach the views' validation and the writes behind them. The
caller is the project's admin with a token. No request may produce a 5xx, and every answer is
one the schema declares: status code, content type and body, errors included (tests/conformance.py).

Examples per operation: LABELYARD_FUZZ_EXAMPLES / 25 (8 by default, the CI budget).
"""

import os

import pytest
import schemathesis
from django.core.files.base import ContentFile
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

from exports.models import ExportJob
from labeling.creation import create_project
from labeling.models import Task
from labeling.states import State
from projects import tokens
from projects.models import Dataset, Media, ProjectMember
from tests.conformance import CHECKS
from tests.test_permission_matrix import png_bytes

EXAMPLES = max(5, int(os.environ.get("LABELYARD_FUZZ_EXAMPLES", "200")) // 25)
CONFIGURATION = {
    "entries": [
        {"key": "car", "name": "Car", "kind": "polygon", "children": [
            {"key": "kind", "name": "Kind", "kind": "option", "options": ["a", "b"]}]},
        {"key": "weather", "name": "Weather", "kind": "checklist", "options": ["sun", "rain"]},
    ]
}  # fmt: skip


@pytest.fixture(autouse=True)
def _requests_in_test_transaction(requests_in_test_transaction):
    """Schemathesis calls the WSGI app directly (tests.conftest.requests_in_test_transaction)."""


@pytest.fixture
def real_ids(django_user_model):
    """(token, {path parameter name: id}) for one populated project."""
    owner = django_user_model.objects.create_user("fuzz-owner")
    labeler = django_user_model.objects.create_user("fuzz-labeler")
    project = create_project("Fuzzed with ids", CONFIGURATION, owner=owner)
    member = ProjectMember.objects.create(project=project, user=labeler, role="labeler")
    dataset = Dataset.objects.create(name="fuzz_ids_set", created_by=owner)
    project.datasets.add(dataset)
    media = Media(dataset=dataset, original_name="a.png", width=64, height=48, mime_type="image/png", sha256="0" * 64)
    media.file.save("a.png", ContentFile(png_bytes()), save=False)
    media.save()
    task = Task.objects.create(project=project, media=media, state=State.IN_PROGRESS, labeler=owner)
    export = ExportJob.objects.create(project=project, base_url="http://testserver")
    ids = {
        "pk": project.pk,
        "project_id": project.pk,
        "id": project.pk,
        "dataset_id": dataset.pk,
        "media_id": str(media.pk),
        "task_id": task.pk,
        "member_id": member.pk,
        "job_id": export.pk,
    }
    return tokens.create_token(owner, "fuzz")[1], ids


schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_on_real_objects_is_declared(case, real_ids):
    token, ids = real_ids
    for name in case.path_parameters:
        if name in ids:
            case.path_parameters[name] = ids[name]
    # Dataset routes name their dataset `pk` too; a project id there would mostly be a 404.
    if case.path.startswith("/api/datasets/") and "pk" in case.path_parameters:
        case.path_parameters["pk"] = ids["dataset_id"]
    if case.path.startswith("/api/exports/"):
        case.path_parameters["pk"] = ids["job_id"]
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
