"""The create_project and seed_demo management commands."""

import io

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from demo.seeding import CONFIGURATION
from formats import jsonio
from labeling.models import Task
from labeling.states import State
from projects.models import Media, Project, ProjectMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "config.json"
    path.write_bytes(jsonio.dumps(CONFIGURATION))
    return path


def images_dir(tmp_path, names=("a.png", "b.jpg")):
    folder = tmp_path / "images"
    folder.mkdir()
    for name in names:
        Image.new("RGB", (40, 30)).save(folder / name)
    return folder


def run(*args):
    out = io.StringIO()
    call_command("create_project", *args, stdout=out)
    return out.getvalue().strip()


class TestCreateProject:
    def test_prints_the_id_and_creates_tasks(self, tmp_path, config_file, django_user_model):
        django_user_model.objects.create_user("ann")
        pid = run("--name", "Streets", "--config", str(config_file), "--images", str(images_dir(tmp_path)),
                  "--owner", "ann")  # fmt: skip
        project = Project.objects.get(pk=int(pid))
        assert project.label_configuration.entries[0]["key"] == "car"
        assert sorted(Media.objects.values_list("original_name", flat=True)) == ["a.png", "b.jpg"]
        assert Task.objects.filter(project=project, state=State.BACKLOG).count() == 2
        assert ProjectMember.objects.get(project=project).role == "admin"

    def test_datagym_body(self, tmp_path):
        path = tmp_path / "dg.json"
        path.write_bytes(jsonio.dumps([{"entryKey": "car", "entryValue": "Car", "type": "polygon", "children": []}]))
        pid = run("--name", "DG", "--config", str(path))
        assert Project.objects.get(pk=int(pid)).label_configuration.entries[0]["kind"] == "polygon"

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"{nope", "is not valid JSON"),
            (b'[{"key": "car", "kind": "circle"}]', "`car`: kind must be one of"),
        ],
    )
    def test_bad_config_creates_nothing(self, tmp_path, content, message):
        path = tmp_path / "bad.json"
        path.write_bytes(content)
        with pytest.raises(CommandError, match=message):
            run("--name", "X", "--config", str(path))
        assert not Project.objects.exists()

    def test_bad_image_creates_nothing(self, tmp_path, config_file):
        folder = images_dir(tmp_path)
        (folder / "notes.txt").write_text("not an image")
        with pytest.raises(CommandError, match="`notes.txt` is not an image"):
            run("--name", "X", "--config", str(config_file), "--images", str(folder))
        assert not Project.objects.exists()
        assert not Media.objects.exists()

    def test_duplicate_name_and_unknown_owner(self, config_file):
        run("--name", "X", "--config", str(config_file))
        with pytest.raises(CommandError, match="A project without an owner is already named `X`"):
            run("--name", "X", "--config", str(config_file))
        with pytest.raises(CommandError, match="There is no user named ghost"):
            run("--name", "Y", "--config", str(config_file), "--owner", "ghost")

    def test_missing_file(self, tmp_path):
        with pytest.raises(CommandError, match="Cannot read"):
            run("--name", "X", "--config", str(tmp_path / "missing.json"))


def test_seed_demo_is_idempotent(django_user_model):
    first, second = io.StringIO(), io.StringIO()
    call_command("seed_demo", stdout=first)
    counts = (Project.objects.count(), Task.objects.count(), Media.objects.count(), django_user_model.objects.count())
    call_command("seed_demo", stdout=second)
    assert counts == (1, 12, 12, 3)
    assert (Project.objects.count(), Task.objects.count(), Media.objects.count()) == counts[:3]
    assert "Created demo project" in first.getvalue()
    assert "Found demo project" in second.getvalue()
    assert Task.objects.filter(state=State.COMPLETED).count() == 4
    assert django_user_model.objects.get(username="admin").is_superuser
