"""Names people give things cannot hide what they are: bidirectional controls (U+202E shows
`invoice\u202egnp.exe` as `invoiceexe.png`), invisible and control characters are refused everywhere
a name is stored (file, project, dataset, release, label class and option names)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from exports import releases
from labelyard import jsonio
from projects import config, tokens
from projects.creation import ProjectRejected, create_project
from projects.media import ImageRejected, clean_name
from projects.models import Dataset, Media, Project
from projects.names import hidden_characters

SPOOFED = "invoice\u202egnp.exe"
CONFIGURATION = {"entries": [{"key": "car", "name": "Car", "kind": "rectangle"}]}


def png(name):
    out = io.BytesIO()
    Image.new("RGB", (8, 6)).save(out, "PNG")
    out.seek(0)
    out.name = name
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain name.png", []),
        (SPOOFED, ["\u202e"]),
        ("a\u2066b\u2069c", ["\u2066", "\u2069"]),  # isolates: Cf
        ("a\u200fb\u200eb", ["\u200f", "\u200e"]),  # right-to-left and left-to-right marks: Cf
        ("ca\u200bt", ["\u200b"]),  # zero width space: Cf, two names that look alike
        ("\ufeffbom", ["\ufeff"]),
        ("a\u0085b\x7f", ["\u0085", "\x7f"]),  # Cc beyond ASCII's first 32
        ("line\u2028break", ["\u2028"]),  # Zl
        ("twice\u202e\u202e", ["\u202e"]),
        # Zero-width non-joiner and joiner write Persian words and emoji sequences.
        ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", []),
        ("\U0001f469\u200d\U0001f4bb", []),
        ("\u0645\u062b\u0627\u0644 \u05d3\u05d5\u05d2\u05de\u05d4", []),  # right-to-left letters are fine
    ],
)
def test_hidden_characters(text, expected):
    assert hidden_characters(text) == expected


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


def test_label_class_and_option_names():
    entries = [
        {"key": "car", "name": "Car\u202e", "kind": "rectangle"},
        {"key": "weather", "kind": "option", "options": [{"key": "sun", "name": "Su\u200bn"}]},
    ]
    with pytest.raises(config.ConfigurationError) as caught:
        config.parse({"entries": entries})
    assert [e.split(":")[0] for e in caught.value.errors] == ["`car`", "`weather`"]
    assert "U+202E" in caught.value.errors[0] and "U+200B" in caught.value.errors[1]
