"""Export jobs from start to finish: create or reuse, claim, snapshot, write, render masks, finish.

Every step that a Celery job runs is idempotent by claim (docs/decisions.md "Jobs are idempotent by
claim"): a conditional update
takes the job, output goes to a temporary name and is renamed into place, and one conditional update
marks the job done. A job's files live in MEDIA_ROOT/exports/<project>/<job>/; the row points at a
file only once the file is complete, so a killed worker never leaves a download link to half a file.
"""

import logging
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from background import claims
from exports import jobs, pipeline, snapshot
from exports.models import ExportChunk, ExportJob
from formats import datagym
from labeling.models import Task, TaskLabels
from labeling.states import DONE_STATES, State
from projects.models import Project
from raster import masks
from rules.configuration import KEY_PATTERN, MAX_KEY_LENGTH

logger = logging.getLogger(__name__)

JobState = ExportJob.State
CHUNK_SIZE = 50  # tasks per chunk with masks: about a second of rendering at 1080p
JSON_CHUNK_SIZE = 2000  # tasks per chunk without masks: about 0.3 s of JSON writing
SNAPSHOT_SHARE = 20  # percent of the progress bar for the snapshot; the chunks fill the rest


def normalise_options(states=None, masks=False):
    """Options in one canonical form, so equal choices are equal JSON (the reuse key)."""
    chosen = sorted({State(s).value for s in (states or DONE_STATES)})
    return {"states": chosen, "masks": bool(masks)}


def job_dir(job):
    return Path("exports") / str(job.project_id) / str(job.pk)


def media_path(name):
    return Path(settings.MEDIA_ROOT) / name


def mask_name(job, media_id, key):
    return job_dir(job) / "masks" / str(media_id) / f"{key}.png"


def start_export(project, user, options, base_url):
    """Return (job, created): a matching job if the project is unchanged, else a new queued one.

    A queued, running or done job with the same revision and options is returned as it is; one
    that is stuck (queued or running with a stale heartbeat: its message or its worker was lost)
    is sent again first (background.claims.send_again), and replaced by a new job when it used up
    its attempts. Otherwise a new job is queued on commit.
    """
    with transaction.atomic():
        # The project's row lock makes a double click or parallel requests find one job, not make two.
        revision = Project.objects.select_for_update().values_list("revision", flat=True).get(pk=project.pk)
        existing = (
            ExportJob.objects.filter(project=project, revision=revision, options=options, base_url=base_url)
            .exclude(state=JobState.FAILED)
            .first()
        )
        if existing is not None and existing.state != JobState.DONE and claims.is_stale(existing):
            claims.send_again(ExportJob, existing.pk)
            existing.refresh_from_db()
        if existing is not None and existing.state != JobState.FAILED:
            return existing, False
        job = ExportJob.objects.create(
            project=project, created_by=user, options=options, base_url=base_url, revision=revision
        )
        job.send()
    return job, True


def claim(job_id):
    """Take the job for this run (background.claims.claim); None when another run holds it or it is finished."""
    return claims.claim(ExportJob, job_id, select_related=["project"], chunks_done=0)


def build_export(job_id, render=None):
    """Run the job: the snapshot, then chunks writing the JSON and masks (sent to `render`, Celery by
    default). A second run of a job that is done, failed or held does nothing; for a job held in its
    snapshot phase it returns the seconds until that run counts as dead, else None.
    """
    job = claim(job_id)
    if job is None:
        # Held by another run still writing its snapshot (no chunks yet): that run's worker may have
        # died, so the caller may retry then. Chunks have their own redelivery.
        return claims.held_for(ExportJob, job_id, chunks_total=0)
    try:
        _build(job, render or _dispatch_chunks)
    except Exception as error:
        logger.exception("Export %s failed", job_id)
        fail(job_id, error)


def fail(job_id, error):
    claims.fail(ExportJob, job_id, error)


def _build(job, render):
    """Freeze the snapshot, then hand its chunks to `render`; each writes its part of the JSON
    (and its masks), and the last one to finish assembles the files (finish())."""
    directory = media_path(job_dir(job))
    # A previous run of this job may have died half-way; start from an empty folder.
    shutil.rmtree(directory, ignore_errors=True)
    (directory / "parts").mkdir(parents=True)
    ExportChunk.objects.filter(job=job).delete()
    if _reuse(job):
        return
    states = job.options["states"]
    total = max(snapshot.task_count(job.project_id, states), 1)

    def progress(done):
        claims.beat(job, progress=done * SNAPSHOT_SHARE // total)

    scratch = directory / "snapshot.jsonl.part"
    chunk_size = CHUNK_SIZE if job.with_masks else JSON_CHUNK_SIZE
    revision, digest, count, ranges = snapshot.write_snapshot(
        scratch, job.project_id, states, chunk_size=chunk_size, progress=progress
    )
    snapshot_name = job_dir(job) / f"snapshot-r{revision}-{digest[:12]}.jsonl"
    os.replace(scratch, media_path(snapshot_name))
    if not pipeline.record_chunks(
        job,
        ExportChunk,
        ranges,
        snapshot=str(snapshot_name),
        revision=revision,
        task_count=count,
        progress=SNAPSHOT_SHARE,
    ):
        return  # taken over by a run that found this one's heartbeat stale
    if ranges:
        render(job.pk)
    else:
        finish(job.pk)


def _dispatch_chunks(job_id):
    queue = pipeline.chunk_queue()
    for chunk_id in ExportChunk.objects.filter(job_id=job_id).values_list("pk", flat=True):
        jobs.render_mask_chunk.apply_async_on_commit((chunk_id,), queue=queue)


def render_inline(job_id):
    """Render every chunk in this process (the export_labels command has no broker)."""
    for chunk_id in ExportChunk.objects.filter(job_id=job_id).values_list("pk", flat=True):
        render_chunk(chunk_id)


def _reuse(job):
    """Point `job` at the files of a finished job of the same revision and options, if there is one."""
    revision = Project.objects.values_list("revision", flat=True).get(pk=job.project_id)
    twin = (
        ExportJob.objects.filter(
            project_id=job.project_id,
            revision=revision,
            options=job.options,
            base_url=job.base_url,
            state=JobState.DONE,
        )
        .exclude(pk=job.pk)
        .first()
    )
    if twin is None:
        return False
    _finish(
        job.pk,
        revision=twin.revision,
        snapshot=twin.snapshot,
        file=twin.file,
        size=twin.size,
        archive=twin.archive,
        archive_size=twin.archive_size,
        task_count=twin.task_count,
    )
    return True


def _finish(job_id, **fields):
    return ExportJob.objects.filter(pk=job_id, state=JobState.RUNNING).update(
        state=JobState.DONE, progress=100, finished_at=timezone.now(), error="", **fields
    )


def mask_url_templates(job, configuration):
    """Per segmentation class, an absolute URL with a `{media}` slot (reverse() once per class, not per task)."""
    templates = []
    for entry in configuration["entries"]:
        if entry["kind"] == "image_segmentation":
            path = reverse("exports:mask", args=[job.pk, "00000000-0000-0000-0000-000000000000", entry["key"]])
            templates.append(job.base_url.rstrip("/") + path.replace("00000000-0000-0000-0000-000000000000", "{media}"))
    return templates


def part_path(job, chunk):
    return media_path(job_dir(job) / "parts" / f"{chunk.index:06d}.json")


def write_part(job, chunk):
    """Write the chunk's part of the DataGym JSON through a temporary name, and its tasks' masks.

    Each task's line is parsed once for both: parsing a document costs as much as writing it.
    """
    snapshot_path = media_path(job.snapshot)
    configuration = snapshot.read_header(snapshot_path)["configuration"]
    templates = mask_url_templates(job, configuration)
    keys = [e["key"] for e in configuration["entries"] if e["kind"] == "image_segmentation"] if job.with_masks else []

    def rows():
        for task in snapshot.read_tasks(snapshot_path, chunk.start, chunk.stop):
            for key in keys:
                png = masks.mask_png(task["width"], task["height"], segmentation_objects(task["document"], key))
                _write_atomically(media_path(mask_name(job, task["media"], key)), png)
            yield {
                "internal_media_ID": task["media"],
                "external_media_ID": task["name"],
                "labeler": task["labeler"],
                "status": task["status"],
                "segmentations": [t.format(media=task["media"]) for t in templates] if templates else None,
                "document": task["document"],
            }

    path = part_path(job, chunk)
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=".part-", delete=False) as stream:
        try:
            datagym.write_tasks(stream, configuration, rows())
        except BaseException:
            os.unlink(stream.name)
            raise
    os.replace(stream.name, path)


def segmentation_objects(document, key):
    """The rings lists of `document`'s segmentations of class `key` (segmentations are root geometries)."""
    return [g["coordinates"] for g in (document or {}).get("geometries", ()) if g.get("class") == key]


def render_chunk(chunk_id):
    """Write one chunk's part of the JSON and its masks, count it done once, and finish the job if last.

    Files are written to temporary names and renamed, so a re-run after a crash overwrites nothing
    with half a file; a chunk already counted is not counted again.
    """
    chunk = ExportChunk.objects.select_related("job").filter(pk=chunk_id).first()
    if chunk is None or chunk.job.state != JobState.RUNNING:
        return
    try:
        _render_chunk(chunk)
    except Exception as error:
        logger.exception("Chunk %s of export %s failed", chunk.index, chunk.job_id)
        fail(chunk.job_id, error)


def _render_chunk(chunk):
    job = chunk.job
    if not chunk.done:
        write_part(job, chunk)
        counted = claims.count_chunk(job, chunk)
        if counted is None:
            return
        done, total = counted
        ExportJob.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
            progress=SNAPSHOT_SHARE + (99 - SNAPSHOT_SHARE) * done // max(total, 1)
        )
    else:
        # A redelivered chunk: its count is in; finish the job if the first delivery died before.
        done, total = ExportJob.objects.filter(pk=job.pk).values_list("chunks_done", "chunks_total").get()
    if done >= total:
        finish(job.pk)


def _write_atomically(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=".png-", delete=False) as stream:
        stream.write(data)
    os.replace(stream.name, path)


def finish(job_id):
    """Assemble the JSON from the chunks' parts (and zip it with the masks), then mark the job done.

    A second call finds the job done and does nothing.
    """
    job = ExportJob.objects.filter(pk=job_id, state=JobState.RUNNING).first()
    if job is None:
        return
    snapshot_path = media_path(job.snapshot)
    digest = Path(job.snapshot).stem.rsplit("-", 1)[-1][:8]
    json_name = job_dir(job) / f"project-{job.project_id}-r{job.revision}-{digest}.json"
    json_path = media_path(json_name)
    with tempfile.NamedTemporaryFile("wb", dir=json_path.parent, prefix=".json-", delete=False) as stream:
        try:
            stream.write(datagym.header(snapshot.read_header(snapshot_path)["configuration"]))
            for part in sorted((json_path.parent / "parts").glob("*.json")):
                with part.open("rb") as source:
                    shutil.copyfileobj(source, stream, 1 << 20)
            stream.write(datagym.FOOTER)
            stream.flush()
            os.fsync(stream.fileno())
        except BaseException:
            os.unlink(stream.name)
            raise
    os.replace(stream.name, json_path)
    shutil.rmtree(json_path.parent / "parts", ignore_errors=True)
    fields = {"file": str(json_name), "size": json_path.stat().st_size}
    if job.with_masks:
        fields.update(_archive(job, json_name))
    _finish(job_id, **fields)


def _archive(job, json_name):
    """Zip the JSON and the masks; returns the archive's fields for the job row."""
    archive_name = job_dir(job) / f"project-{job.project_id}-r{job.revision}-export.zip"
    archive_path = media_path(archive_name)
    masks_dir = media_path(job_dir(job) / "masks")
    with tempfile.NamedTemporaryFile("wb", dir=archive_path.parent, prefix=".zip-", delete=False) as stream:
        try:
            with zipfile.ZipFile(stream, "w") as archive:
                # Level 1: the JSON is a large share of the job's time at zlib's default level 6
                # (5.7 s of 28 s for 136 MB of JSON in bench/export_json.py with masks).
                archive.write(
                    media_path(json_name), Path(json_name).name, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1
                )
                # PNGs are compressed already; storing them is faster and barely larger.
                for png in sorted(masks_dir.rglob("*.png")):
                    archive.write(png, f"masks/{png.relative_to(masks_dir)}", compress_type=zipfile.ZIP_STORED)
        except BaseException:
            os.unlink(stream.name)
            raise
    os.replace(stream.name, archive_path)
    return {"archive": str(archive_name), "archive_size": archive_path.stat().st_size}


def stored_mask(job, media_id, key):
    """Path of the mask the job rendered for this image and class, or None."""
    # Only a configuration's own keys name files; anything else is no mask (and no file system call).
    if not job.with_masks or len(key) > MAX_KEY_LENGTH or not KEY_PATTERN.match(key):
        return None
    path = media_path(mask_name(job, media_id, key))
    return path if path.is_file() else None


def current_mask(project_id, media_id, key):
    """PNG of the image's current labels for segmentation class `key`, or None if there is no such task or class.

    Jobs exported without masks point their `segmentations` URLs here, as DataGym does.
    """
    task = (
        Task.objects.filter(project_id=project_id, media_id=media_id)
        .select_related("media", "project__label_configuration")
        .first()
    )
    if task is None:
        return None
    entries = task.project.label_configuration.data.get("entries", [])
    if not any(e["key"] == key and e["kind"] == "image_segmentation" for e in entries):
        return None
    document = TaskLabels.objects.filter(task=task).values_list("document", flat=True).first()
    return masks.mask_png(task.media.width, task.media.height, segmentation_objects(document, key))
