"""Names people give things cannot hide what they are: bidirectional controls (U+202E shows
`invoice\u202egnp.exe` as `invoiceexe.png`), invisible and control characters are refused everywhere
a name is stored (file, project, dataset, release names; label class and option names in
tests/rules/test_names.py)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from exports import releases
from formats import jsonio
from labeling.creation import ProjectRejected, create_project
from projects import tokens
from projects.media import ImageRejected, clean_name
from projects.models import Dataset, Media, Project

SPOOFED = "invoice\u202egnp.exe"
CONFIGURATION = {"entries": [{"key": "car", "name": "Car", "kind": "rectangle"}]}


def png(name):
    out = io.BytesIO()
    Image.new("RGB", (8, 6)).save(out, "PNG")
    out.seek(0)
    out.name = name
    return out


def test_file_name_with_a_direction_override_is_refused():
    with pytest.raises(ImageRejected) as caught:
        clean_name(SPOOFED)
    assert "U+202E" in str(caught.value)
    assert clean_name("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645.png").endswith(".png")


@pytest.mark.django_db
class TestEveryWayInRefusesThem:
    @pytest.fixture
    def owner(self, django_user_model):
        return django_user_model.objects.create_user("owner")

    @pytest.fixture
    def api(self, owner):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.create_token(owner, 'test')[1]}")
        return client

    def error(self, response):
        assert response.status_code == 400, response.content
        body = jsonio.loads(response.content)
        assert set(body) == {"detail", "code", "errors"}
        return " ".join(e["message"] for e in body["errors"])

    def test_api_upload(self, api, owner):
        dataset = Dataset.objects.create(name="d", created_by=owner)
        # Django drops unprintable characters from multipart file names itself; the `name` field is kept as sent.
        for name, code in ((SPOOFED, "U+202E"), ("a\u200b.png", "U+200B")):
            response = api.post(
                f"/api/datasets/{dataset.pk}/media", {"file": png("a.png"), "name": name}, format="multipart"
            )
            assert code in self.error(response)
        assert not Media.objects.exists()

    def test_api_project_and_dataset_names(self, api, owner):
        assert "U+202E" in self.error(api.post("/api/projects", {"name": "Team\u202eX"}, format="json"))
        assert "U+202E" in self.error(api.post("/api/datasets", {"name": "Data\u202eX"}, format="json"))
        project = create_project("Streets", CONFIGURATION, owner=owner)
        assert "U+2067" in self.error(api.patch(f"/api/projects/{project.pk}", {"name": "\u2067S"}, format="json"))
        assert list(Project.objects.values_list("name", flat=True)) == ["Streets"]
        assert not Dataset.objects.exists()

    def test_pages(self, client, owner):
        client.force_login(owner)
        page = client.post(reverse("projects:create"), {"name": "Team\u202eX", "configuration": ""})
        assert page.status_code == 200 and "U+202E" in page.content.decode()
        page = client.post(reverse("projects:datasets"), {"name": "Data\u202eX"})
        assert page.status_code == 200 and "U+202E" in page.content.decode()
        project = create_project("Streets", CONFIGURATION, owner=owner)
        upload = {"new_dataset_name": "New\u202e", "images": [png("a.png")]}
        page = client.post(reverse("projects:upload_images", args=[project.pk]), upload)
        assert page.status_code == 200 and "U+202E" in page.content.decode()
        page = client.post(reverse("projects:edit", args=[project.pk]), {"name": "S\u202e"})
        assert page.status_code == 200 and "U+202E" in page.content.decode()
        assert list(Project.objects.values_list("name", flat=True)) == ["Streets"]
        assert not Dataset.objects.exists()

    def test_create_project_and_its_command(self, tmp_path):
        with pytest.raises(ProjectRejected, match="U\\+202E"):
            create_project("Team\u202eX", CONFIGURATION)
        path = tmp_path / "config.json"
        path.write_bytes(jsonio.dumps(CONFIGURATION))
        with pytest.raises(CommandError, match="U\\+202E"):
            call_command("create_project", "--name", "Team\u202eX", "--config", str(path), stdout=io.StringIO())
        assert not Project.objects.exists()

    def test_release_names(self, owner):
        project = create_project("Streets", CONFIGURATION, owner=owner)
        with pytest.raises(releases.ReleaseError, match="U\\+202E"):
            releases.check_name(project, "v1\u202e")
