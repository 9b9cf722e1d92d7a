"""Importing a DataGym file into a project: all or nothing, counters, versions, keepData, dry run,
matching by name, the background job, and random valid and broken files (hypothesis)."""

import io
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formats import datagym, jsonio
from labeling import importing
from labeling.creation import create_project
from labeling.importing import ImportRejected, import_labels
from labeling.labels import read_labels, save_labels
from labeling.models import ImportJob, Task, TaskLabels
from projects.models import Dataset, Media, Project
from tests.formats.test_datagym import (
    MEDIA,
    REJECTIONS,
    SEED_CONFIGURATION,
    SEED_DOCUMENT,
    SEED_FILE,
    configured_documents,
    json_values,
    mutate,
    node_paths,
    normalise,
)

OTHER = "4e1d7a0c-6b3f-4d2e-8a9b-7c5f1e2d3a40"
HUMAN = {
    "geometries": [{"id": "i1", "class": "poi", "source": "human", "coordinates": [5, 5]}],
    "classifications": {"weather": {"values": ["rainy"]}},
}
names = (f"import-{n}" for n in itertools.count())


def make_project(configuration=SEED_CONFIGURATION, media=((MEDIA, "a.png"), (OTHER, "b.png")), size=(1000, 800)):
    project = create_project(next(names), configuration)
    dataset = Dataset.objects.create(name=next(names))
    for media_id, name in media:
        image = Media.objects.create(
            id=media_id, dataset=dataset, original_name=name, width=size[0], height=size[1], mime_type="image/png"
        )
        Task.objects.create(project=project, media=image)
    return project


@pytest.fixture
def project(db):
    project = make_project()
    task = Task.objects.get(media_id=OTHER)
    save_labels(task, HUMAN, 0)
    return Project.objects.get(pk=project.pk)


def state(project):
    """Everything an import may change, to prove that a rejected one changed nothing."""
    return (
        list(TaskLabels.objects.filter(task__project=project).values_list("task_id", "document", "geometry_count")),
        list(Task.objects.filter(project=project).values_list("id", "version", "state")),
        Project.objects.get(pk=project.pk).revision,
    )


def labels_of(media_id):
    return read_labels(Task.objects.get(media_id=media_id))[0]


def file_bytes(value):
    return value if isinstance(value, bytes) else jsonio.dumps(value)


def test_seed_examples_import_and_read_back_equal(project):
    """The seed's car, street, poi, bus and weather/daytime examples import and read back equal."""
    summary = import_labels(project, file_bytes(SEED_FILE))
    assert summary.as_dict() == {
        "tasks": 1, "geometries_added": 4, "geometries_replaced": 0, "classifications_set": 2, "dry_run": False,
    }  # fmt: skip
    document = labels_of(MEDIA)
    assert normalise(document) == SEED_DOCUMENT
    assert {g["source"] for g in document["geometries"]} == {"import"}
    row = TaskLabels.objects.get(task__media_id=MEDIA)
    assert (row.geometry_count, row.imported_count) == (4, 4)
    task = Task.objects.get(media_id=MEDIA)
    assert (task.version, task.state) == (1, "backlog")
    assert Project.objects.get(pk=project.pk).revision == 2  # one for the fixture's save, one for the import
    # Read back through the export: the same labels come out as went in.
    stream = io.BytesIO()
    row = {"internal_media_ID": MEDIA, "external_media_ID": "a.png", "labeler": None, "status": "completed"}
    datagym.write(stream, project.label_configuration.data, [{**row, "document": document}])
    [element] = jsonio.loads(stream.getvalue())[1:]
    assert element["labels"]["car"][0]["polygon"] == SEED_FILE[0]["labels"]["car"][0]["polygon"]
    assert element["labels"]["bus"][0]["rectangle"] == SEED_FILE[0]["labels"]["bus"][0]["rectangle"]
    assert element["global_classifications"] == SEED_FILE[0]["global_classifications"]


def test_keep_data_adds_geometries_with_fresh_ids_and_overwrites_answers_key_by_key(project):
    file = [{"internal_media_ID": OTHER, "global_classifications": {"weather": ["sunny"]},
             "labels": {"poi": [{"point": [{"x": 7, "y": 7}]}]}}]  # fmt: skip
    summary = import_labels(project, file_bytes(file))
    assert (summary.geometries_added, summary.geometries_replaced) == (1, 0)
    document = labels_of(OTHER)
    assert [(g["id"], g["source"]) for g in document["geometries"]] == [("i1", "human"), ("i2", "import")]
    assert document["classifications"] == {"weather": {"values": ["sunny"]}}
    row = TaskLabels.objects.get(task__media_id=OTHER)
    assert (row.geometry_count, row.imported_count) == (2, 1)


def test_null_answer_with_keep_data_clears_that_question(project):
    import_labels(project, file_bytes([{"internal_media_ID": OTHER, "global_classifications": {"weather": [None]}}]))
    assert labels_of(OTHER)["classifications"] == {}
    assert len(labels_of(OTHER)["geometries"]) == 1


def test_keep_data_false_replaces_everything(project):
    file = [{"internal_media_ID": OTHER, "keepData": False, "labels": {"poi": [{"point": [{"x": 1, "y": 2}]}]}}]
    summary = import_labels(project, file_bytes(file))
    assert (summary.geometries_added, summary.geometries_replaced) == (1, 1)
    document = labels_of(OTHER)
    assert document["classifications"] == {}
    assert [(g["class"], g["coordinates"], g["source"]) for g in document["geometries"]] == [("poi", [1, 2], "import")]


def test_same_image_twice_in_one_file_applies_in_order(project):
    point = {"poi": [{"point": [{"x": 1, "y": 2}]}]}
    file = [{"internal_media_ID": MEDIA, "labels": point}, {"internal_media_ID": MEDIA, "labels": point}]
    import_labels(project, file_bytes(file))
    assert [g["id"] for g in labels_of(MEDIA)["geometries"]] == ["i1", "i2"]
    assert Task.objects.get(media_id=MEDIA).version == 1


def test_dry_run_reports_and_writes_nothing(project):
    before = state(project)
    summary = import_labels(project, file_bytes(SEED_FILE), dry_run=True)
    assert (summary.tasks, summary.geometries_added, summary.dry_run) == (1, 4, True)
    assert state(project) == before


def test_match_by_name(project):
    file = [
        {"internal_media_ID": "from-another-server", "external_media_ID": "a.png", "labels": SEED_FILE[0]["labels"]}
    ]
    with pytest.raises(ImportRejected):
        import_labels(project, file_bytes(file))
    import_labels(project, file_bytes(file), match_by_name=True)
    assert len(labels_of(MEDIA)["geometries"]) == 4


def test_clip(project):
    file = [{"internal_media_ID": MEDIA, "labels": {"poi": [{"point": [{"x": 1001, "y": 2}]}]}}]
    with pytest.raises(ImportRejected) as caught:
        import_labels(project, file_bytes(file))
    assert caught.value.errors == [
        {"path": "[0].labels.poi[0].point[0].x", "message": "1001 is outside the image (0 to 1000)"}
    ]
    import_labels(project, file_bytes(file), clip=True)
    assert labels_of(MEDIA)["geometries"][0]["coordinates"] == [1000, 2]


@pytest.mark.parametrize(("file", "path", "message"), REJECTIONS, ids=[r[2][:40] for r in REJECTIONS])
def test_rejected_file_reports_path_and_message_and_changes_nothing(project, file, path, message):
    """Each rejection rule: the exact path and message, and not one row changed."""
    before = state(project)
    valid = [{"internal_media_ID": OTHER, "keepData": False, "labels": SEED_FILE[0]["labels"]}]
    combined = file if isinstance(file, bytes) or not isinstance(file, list) or not file else [*valid, *file]
    with pytest.raises(ImportRejected) as caught:
        import_labels(project, file_bytes(combined))
    shift = 1 if combined is not file else 0
    expected = path.replace("[0]", f"[{shift}]", 1) if path.startswith("[0]") else path
    assert {"path": expected, "message": message} in caught.value.errors
    assert state(project) == before


def test_file_over_the_limit_is_refused(project, settings):
    settings.LABELYARD_MAX_IMPORT_BYTES = 10
    with pytest.raises(importing.FileTooLarge) as caught:
        import_labels(project, file_bytes(SEED_FILE))
    assert caught.value.status_code == 413
    assert "LABELYARD_MAX_IMPORT_BYTES" in caught.value.errors[0]["message"]


def test_name_shared_by_two_images_cannot_match(db):
    project = make_project(media=((MEDIA, "same.png"),))
    other_dataset = Dataset.objects.create(name=next(names))
    twin = Media.objects.create(
        dataset=other_dataset, original_name="same.png", width=10, height=10, mime_type="image/png"
    )
    Task.objects.create(project=project, media=twin)
    with pytest.raises(ImportRejected) as caught:
        import_labels(project, file_bytes([{"external_media_ID": "same.png"}]), match_by_name=True)
    assert caught.value.errors == [
        {"path": "[0].external_media_ID", "message": "several images in this project are named `same.png`"}
    ]


def test_import_job_runs_inline_and_a_second_run_does_nothing(project):
    upload = SimpleUploadedFile("seed.json", file_bytes(SEED_FILE), content_type="application/json")
    job = importing.start_import(project, upload)
    assert job.state == ImportJob.State.DONE
    assert job.summary["geometries_added"] == 4
    assert not job.file
    importing.run_import_job(job.pk)
    assert len(labels_of(MEDIA)["geometries"]) == 4
    assert Task.objects.get(media_id=MEDIA).version == 1


def test_rejected_import_job_keeps_the_errors(project):
    upload = SimpleUploadedFile("bad.json", file_bytes([{"internal_media_ID": "x"}]))
    job = importing.start_import(project, upload)
    assert job.state == ImportJob.State.FAILED and job.rejected
    assert job.errors == [{"path": "[0].internal_media_ID", "message": "no image `x` in this project"}]


@pytest.mark.worker
def test_large_import_runs_in_a_worker_process(celery_worker, settings):
    from tests.conftest import wait_for

    settings.LABELYARD_IMPORT_INLINE_BYTES = 0
    project = make_project()
    upload = SimpleUploadedFile("seed.json", file_bytes(SEED_FILE))
    job = importing.start_import(project, upload)
    assert job.state == ImportJob.State.QUEUED

    def finished():
        return ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.DONE).exists()

    wait_for(finished, timeout=60, message=f"the worker (log: {celery_worker.log_path})")
    assert len(labels_of(MEDIA)["geometries"]) == 4


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=configured_documents(), data=st.data())
def test_random_valid_files_import_and_read_back_equal_and_broken_ones_are_errors(db, case, data):
    """A valid file for a random configuration imports and reads back equal; a mutated one never crashes."""
    # Examples share the test's database; each one undoes its own rows.
    with transaction.atomic():
        check_random_file(*case, data)
        transaction.set_rollback(True)


def check_random_file(configuration, document, data):
    project = make_project(configuration, media=((MEDIA, "a.png"),), size=(400, 400))
    stream = io.BytesIO()
    row = {"internal_media_ID": MEDIA, "external_media_ID": "a.png", "labeler": None, "status": "completed"}
    datagym.write(stream, configuration, [{**row, "document": document}])
    import_labels(project, stream.getvalue())
    order = [e["key"] for e in configuration["entries"]]
    assert normalise(labels_of(MEDIA), order) == normalise(document, order)

    file = jsonio.loads(stream.getvalue())
    path = data.draw(st.sampled_from(list(node_paths(file))))
    broken = mutate(file, path, data.draw(json_values))
    try:
        import_labels(project, jsonio.dumps(broken))
    except ImportRejected as rejected:
        assert all(e["message"] for e in rejected.errors)
