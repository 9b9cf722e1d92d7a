"""Deleting a project deletes its export, mask, release and import files once the deletion commits,
from the project page and the admin; single export jobs and releases deleted in the admin take
their folders unless another job still serves the files. Real commits (transactional_db)."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse

from exports import build as export_build
from exports.models import ExportJob
from labeling.models import ImportJob
from projects.models import Project
from tests.exports.test_releases import build as build_release
from tests.exports.test_releases import release_project

pytestmark = pytest.mark.django_db(transaction=True)


def stored(root, folder=""):
    """Every file and folder under MEDIA_ROOT/folder, as names relative to MEDIA_ROOT."""
    base = Path(root) / folder
    return sorted(p.relative_to(root).as_posix() for p in base.rglob("*")) if base.exists() else []


def export(project, masks=True, base_url="http://testserver"):
    options = export_build.normalise_options(None, masks)
    job, _ = export_build.start_export(project, None, options, base_url)
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE, job.error
    return job


def project_with_files(name):
    """A project with an export with masks, a bitmap release and a queued import's upload."""
    project = release_project(name)
    job = export(project)
    release = build_release(project)
    upload = ImportJob(project=project, original_name="labels.json")
    upload.file.save("labels.json", ContentFile(b"[]"), save=True)
    return project, job, release, upload


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", password="pw-root-123")


@pytest.mark.parametrize("way", ["page", "admin"])
def test_deleting_a_project_deletes_its_files(client, superuser, media_root, way):
    project, job, release, upload = project_with_files("streets")
    other, other_job, other_release, other_upload = project_with_files("fields")
    images = stored(media_root, "datasets")
    mine = [*stored(media_root, f"exports/{project.pk}"), *stored(media_root, f"releases/{project.pk}")]
    # What there is to lose: the JSON, the zip, a mask per image, the release file, COCO and bitmaps.
    assert any("/masks/" in name for name in mine) and any("/bitmaps/" in name for name in mine)
    assert job.archive in mine and release.file in mine and release.coco_file in mine
    theirs = [*stored(media_root, f"exports/{other.pk}"), *stored(media_root, f"releases/{other.pk}")]

    client.force_login(superuser)
    if way == "page":
        response = client.post(reverse("projects:delete", args=[project.pk]), {"name": project.name})
    else:
        response = client.post(reverse("admin:projects_project_delete", args=[project.pk]), {"post": "yes"})
    assert response.status_code == 302

    assert stored(media_root, f"exports/{project.pk}") == []
    assert stored(media_root, f"releases/{project.pk}") == []
    assert not (Path(media_root) / f"exports/{project.pk}").exists()
    assert not (Path(media_root) / f"releases/{project.pk}").exists()
    assert not (Path(media_root) / upload.file.name).exists()
    # Another project's files stay, and so do the images: datasets outlive the projects using them.
    assert [*stored(media_root, f"exports/{other.pk}"), *stored(media_root, f"releases/{other.pk}")] == theirs
    assert (Path(media_root) / other_upload.file.name).exists()
    assert stored(media_root, "datasets") == images


def test_files_go_only_when_the_deletion_commits(media_root):
    project, job, release, upload = project_with_files("streets")
    pk = project.pk
    files = [*stored(media_root, f"exports/{pk}"), *stored(media_root, f"releases/{pk}")]
    with pytest.raises(RuntimeError), transaction.atomic():
        project.delete()
        assert stored(media_root, f"exports/{pk}") != []  # still there inside the transaction
        raise RuntimeError("roll back")
    assert [*stored(media_root, f"exports/{pk}"), *stored(media_root, f"releases/{pk}")] == files
    assert (Path(media_root) / upload.file.name).exists()
    with transaction.atomic():
        Project.objects.get(pk=pk).delete()
    assert stored(media_root, f"exports/{pk}") == stored(media_root, f"releases/{pk}") == []


def test_an_export_job_deleted_in_the_admin(client, superuser, media_root):
    project = release_project("streets")
    first = export(project)
    # A second job of the unchanged project serves the first job's files (exports.build._reuse).
    twin = ExportJob.objects.create(
        project=project, options=first.options, base_url=first.base_url, revision=first.revision
    )
    export_build.build_export(twin.pk)
    twin.refresh_from_db()
    assert twin.file == first.file
    folder = Path(media_root) / export_build.job_dir(first)
    client.force_login(superuser)

    client.post(reverse("admin:exports_exportjob_delete", args=[first.pk]), {"post": "yes"})
    assert (folder / Path(first.file).name).exists()  # the twin still serves them
    client.post(reverse("admin:exports_exportjob_delete", args=[twin.pk]), {"post": "yes"})
    assert stored(media_root, f"exports/{project.pk}") == []


def test_a_release_deleted_in_the_admin(client, superuser, media_root):
    project = release_project("streets")
    kept, deleted = build_release(project, name="v1"), build_release(project, name="v2")
    client.force_login(superuser)
    client.post(reverse("admin:exports_release_delete", args=[deleted.pk]), {"post": "yes"})
    assert stored(media_root, f"releases/{project.pk}/{deleted.pk}") == []
    assert (Path(media_root) / kept.file).exists() and (Path(media_root) / kept.coco_file).exists()


def test_a_failed_release_replaced_by_one_of_its_name_leaves_no_folder(media_root):
    project = release_project("streets")
    failed = build_release(project, name="v1")
    failed.state = failed.State.FAILED
    failed.save(update_fields=["state"])
    assert stored(media_root, f"releases/{project.pk}/{failed.pk}") != []
    again = build_release(project, name="v1")
    assert stored(media_root, f"releases/{project.pk}/{failed.pk}") == []
    assert (Path(media_root) / again.file).exists()
