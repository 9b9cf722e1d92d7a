"""Releases from start to finish: create, claim, freeze a snapshot, render instance bitmaps in chunks, write files.

Every step a Celery job runs is idempotent by claim (docs/decisions.md "Jobs are idempotent by
claim"). build_release() claims the release with one conditional update (background/claims.py)
and freezes the project's labels into a snapshot (exports/snapshot.py); chunk tasks then write the
COCO annotations of their tasks (and, for segmentation-bitmap releases, render the bitmaps) in
parallel, each counting its ReleaseChunk row done, with what the finish needs from it, once its
files are in place; whoever completes the set claims the finish, writes the Segments.ai release
file and the COCO file to temporary names, renames them and marks the release done. Nothing is
ever rewritten afterwards: a release is immutable (decisions.md "Releases").
"""

import logging
import os
import re
import shutil
import tempfile
from datetime import UTC
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from background import claims
from exports import jobs, pipeline, signing, snapshot
from exports.models import Release, ReleaseChunk
from formats import coco, segments
from labeling.states import State
from projects.media import FORMATS
from raster import masks
from rules import names

logger = logging.getLogger(__name__)

ReleaseState = Release.State
CHUNK_SIZE = 50  # tasks per chunk of a bitmap release: about a second of rendering at 1080p
VECTOR_CHUNK_SIZE = 1000  # tasks per chunk of a vector release: COCO annotations only, about 0.3 s
SNAPSHOT_SHARE = 20  # percent of the progress bar for the snapshot
FINISHING = 90  # progress once the files are being written; claims the finish
DEFAULT_LABELED = (State.COMPLETED,)
DEFAULT_REVIEWED = (State.REVIEWED,)
EXTENSIONS = dict(FORMATS.values())  # MIME type -> file extension
# Label status of a task whose state the release does not count as labelled or reviewed
# (segments.typing.LabelStatus); tasks without labels in other states are unlabelled (null).
OTHER_STATUS = {
    State.IN_PROGRESS: "LABELING_IN_PROGRESS",
    State.COMPLETED: "LABELING_IN_PROGRESS",
    State.REVIEWED: "LABELING_IN_PROGRESS",
    State.SKIPPED: "SKIPPED",
    State.REVIEW_FAILED: "REJECTED",
    State.BACKLOG: "PRELABELED",
    State.WAITING: "PRELABELED",
}


class ReleaseError(ValueError):
    """A release cannot be created as asked; the message says why and `field` which input it is about."""

    # Shown as it is when it fails a release (background.claims.failure_message).
    public = True

    def __init__(self, message, field="name"):
        super().__init__(message)
        self.field = field


# A release name names files: the download, and the SDK's cache and export folders.
NAME_FORBIDDEN = re.compile(r"[/\\\x00-\x1f\x7f]")
NAME_LENGTH = 100


def release_dir(release):
    return Path("releases") / str(release.project_id) / str(release.pk)


def media_path(name):
    return Path(settings.MEDIA_ROOT) / name


def bitmap_name(release, media_id):
    return release_dir(release) / "bitmaps" / f"{media_id}.png"


def default_task_type(project):
    return segments.default_task_type(project.label_configuration.data)


def create_release(
    project, user, *, name, description, labeled_states, reviewed_states, task_type, base_url, dispatch=True
):
    """Create a queued release and, with `dispatch`, send it to a worker on commit; ReleaseError when the name is taken.

    The create_release command passes dispatch=False and builds the release in its own process.
    """
    name = check_name(project, name)
    if set(labeled_states) & set(reviewed_states):
        raise ReleaseError("A task state counts either as labelled or as reviewed, not as both.", "reviewed_states")
    if task_type == segments.SEGMENTATION_BITMAP and not segments.categories(
        project.label_configuration.data, segments.SEGMENTATION_BITMAP
    ):
        raise ReleaseError(
            "This configuration has no rectangle, polygon or segmentation class to draw into a bitmap; "
            "choose the vector task type.",
            "task_type",
        )
    try:
        with transaction.atomic():
            # A release stuck in the queue or on a lost worker gives its name up like a failed one:
            # the release asked for now is the one sent.
            stuck = project.releases.filter(claims.stuck(Release), name__iexact=name)
            stuck.update(state=Release.State.FAILED, finished_at=timezone.now())
            # Their files go on commit (exports/stored_files.py).
            for failed in project.releases.filter(name__iexact=name, state=Release.State.FAILED):
                failed.delete()
            release = Release.objects.create(
                project=project,
                name=name,
                description=description,
                labeled_states=sorted(labeled_states),
                reviewed_states=sorted(reviewed_states),
                task_type=task_type,
                created_by=user,
                base_url=base_url,
            )
    except IntegrityError as error:
        raise ReleaseError(f"This project already has a release named “{name}”; release names are unique.") from error
    if dispatch:
        release.send()
    return release


def check_name(project, name):
    """The release name, stripped; ReleaseError when it cannot name files or the project has it in any case."""
    name = name.strip()
    if not name or len(name) > NAME_LENGTH:
        raise ReleaseError(f"A release name is 1 to {NAME_LENGTH} characters.")
    if NAME_FORBIDDEN.search(name) or name in (".", ".."):
        raise ReleaseError(
            "A release name cannot hold '/', '\\' or control characters, nor be '.' or '..': it names files."
        )
    hidden = names.problem(name, "A release name")
    if hidden is not None:
        raise ReleaseError(hidden)
    # A failed or stuck release has no files: its name is free again (create_release replaces it).
    taken = project.releases.exclude(state=Release.State.FAILED).exclude(claims.stuck(Release))
    taken = taken.filter(name__iexact=name)
    taken = taken.values_list("name", flat=True).first()
    if taken is not None:
        raise ReleaseError(f"This project already has a release named “{taken}”; names are unique whatever their case.")
    return name


def claim(release_id):
    """Take the release for this run (background.claims.claim); None when another run holds it or it is finished."""
    return claims.claim(Release, release_id, select_related=["project"], chunks_done=0)


def build_release(release_id, render=None):
    """Freeze the snapshot, then render bitmaps (sent to `render`, Celery tasks by default) or finish.

    A second run of a release that is done, failed or held does nothing; for a release held in its
    snapshot phase it returns the seconds until that run counts as dead (background.claims.held_for).
    """
    release = claim(release_id)
    if release is None:
        return claims.held_for(Release, release_id, chunks_total=0)
    try:
        _build(release, render or _dispatch_chunks)
    except Exception as error:
        logger.exception("Release %s failed", release_id)
        fail(release_id, error)


def fail(release_id, error):
    claims.fail(Release, release_id, error)


def _beat(release_id, progress):
    Release.objects.filter(pk=release_id, state=ReleaseState.RUNNING).update(
        progress=progress, heartbeat=timezone.now()
    )


def _build(release, render):
    directory = media_path(release_dir(release))
    # A previous run of this release may have died half-way; start from an empty folder.
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    ReleaseChunk.objects.filter(job=release).delete()
    bitmaps = release.task_type == segments.SEGMENTATION_BITMAP
    total = max(snapshot.task_count(release.project_id, State.values), 1)
    scratch = directory / "snapshot.jsonl.part"
    revision, digest, count, chunks = snapshot.write_snapshot(
        scratch,
        release.project_id,
        State.values,
        chunk_size=CHUNK_SIZE if bitmaps else VECTOR_CHUNK_SIZE,
        progress=lambda done: _beat(release.pk, min(done * SNAPSHOT_SHARE // total, SNAPSHOT_SHARE)),
    )
    name = release_dir(release) / f"snapshot-r{revision}-{digest[:12]}.jsonl"
    os.replace(scratch, media_path(name))
    if not pipeline.record_chunks(
        release,
        ReleaseChunk,
        chunks,
        snapshot=str(name),
        revision=revision,
        sample_count=count,
        progress=SNAPSHOT_SHARE,
    ):
        return  # taken over by a run that found this one's heartbeat stale
    if chunks:
        render(release.pk, release.attempts, chunks)
    else:
        finish(release.pk)


def _dispatch_chunks(release_id, attempt, chunks):
    queue = pipeline.chunk_queue()
    for index, (start, stop) in enumerate(chunks):
        jobs.render_release_chunk.apply_async_on_commit((release_id, attempt, index, start, stop), queue=queue)


def render_inline(release_id, attempt, chunks):
    """Render every chunk in this process (the create_release command has no broker)."""
    for index, (start, stop) in enumerate(chunks):
        render_chunk(release_id, attempt, index, start, stop)


def label_status(release, state, document):
    """The Segments.ai label status of a task in `state`, or None for an unlabelled sample (docs/releases.md)."""
    if state in release.reviewed_states:
        return segments.REVIEWED
    if state in release.labeled_states:
        return segments.LABELED
    if document is None:
        return None
    return OTHER_STATUS.get(state)


def _coco_part(release, index):
    return media_path(release_dir(release)) / "coco-parts" / f"{index:06d}.jsonl"


def render_chunk(release_id, attempt, index, start, stop):
    """Write one chunk's COCO part and bitmaps, count its row done, and finish the release if it is the last.

    Only a chunk of the release's current attempt works: one sent by a run that was since taken
    over would write into a folder that was emptied. Files go to temporary names first, and the
    row is counted done (with what the finish needs) only once they are in place, so a redelivered
    chunk finds either nothing or complete files. Returns what finish() returns: the seconds after
    which to try again when another run holds the finish.
    """
    release = (
        Release.objects.select_related("project")
        .filter(pk=release_id, state=ReleaseState.RUNNING, attempts=attempt)
        .first()
    )
    chunk = ReleaseChunk.objects.filter(job_id=release_id, index=index, start=start, stop=stop).first()
    if release is None or chunk is None:
        return None
    try:
        counted = None
        if not chunk.done:
            counted = claims.count_chunk(release, chunk, result=_write_chunk(release, index, start, stop))
        if counted is None:
            counted = Release.objects.filter(pk=release_id).values_list("chunks_done", "chunks_total").get()
        done, total = counted
        if done < total:
            _beat(release.pk, SNAPSHOT_SHARE + (FINISHING - SNAPSHOT_SHARE) * done // total)
            return None
        return finish(release.pk)
    except Exception as error:
        logger.exception("Chunk %s of release %s failed", index, release_id)
        fail(release_id, error)
        return None


def _write_chunk(release, index, start, stop):
    """Write the COCO part and the bitmaps of the snapshot's tasks in [start, stop); returns the chunk's result.

    The result holds `images`, [name, width, height, media] of the tasks in the COCO file, and for
    bitmap releases `instances`, [[media, instances], ...] for every task (see _render_bitmap).
    Each task's line is parsed once for both.
    """
    path = media_path(release.snapshot)
    categories = segments.categories(snapshot.read_header(path)["configuration"], release.task_type)
    kinds = {c["key"]: c["kind"] for c in categories}
    bitmaps = release.task_type == segments.SEGMENTATION_BITMAP
    instances, images = [], []

    def labelled():
        for task in snapshot.read_tasks(path, start, stop):
            status = label_status(release, task["status"], task["document"])
            if bitmaps:
                instances.append([task["media"], _render_bitmap(release, task, status, kinds)])
            if status in (segments.LABELED, segments.REVIEWED):
                images.append([task["name"], task["width"], task["height"], task["media"]])
                yield task

    part = _coco_part(release, index)
    part.parent.mkdir(parents=True, exist_ok=True)
    _write_file(part, lambda stream: coco.write_part(stream, categories, labelled()))
    return {"images": images, "instances": instances if bitmaps else None}


def _render_bitmap(release, task, status, kinds):
    """Render and store the task's instance bitmap; returns the indexes of the objects in it.

    The indexes, in id order, point into segments.area_objects() and list the objects that cover at
    least one pixel: ids are renumbered 1..n over those, so every id in the bitmap is in the
    annotations and every annotation is in the bitmap (docs/segments-release.md section 11, pitfall 6).
    """
    document = task["document"]
    objects = segments.area_objects(document, kinds)
    if status is None or not objects:
        return []
    rings = [masks.area_rings(kind, geometry["coordinates"]) for geometry, _, kind in objects]
    ids = masks.instance_ids(task["width"], task["height"], rings)
    present = np.flatnonzero(np.bincount(ids.ravel(), minlength=len(objects) + 1)[1:]) + 1
    if len(present) < len(objects):
        # Hidden objects leave gaps in the ids; most images have none, and skip this pass over the pixels.
        renumber = np.zeros(len(objects) + 1, dtype=np.uint32)
        renumber[present] = np.arange(1, len(present) + 1, dtype=np.uint32)
        ids = renumber[ids]
    if len(present):
        _write_atomically(media_path(bitmap_name(release, task["media"])), masks.instance_png(ids))
    return (present - 1).tolist()


def _write_atomically(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=".part-", delete=False) as stream:
        stream.write(data)
    os.replace(stream.name, path)


def finish(release_id):
    """Write the release file and the COCO file, then mark the release done.

    The finish is claimed by moving the progress to FINISHING, so of two chunks that both see the set
    complete only one writes. When another run holds the finish, returns the seconds until its
    heartbeat is stale: a chunk redelivered because that run's worker died tries again then, and
    takes the finish over (None otherwise).
    """
    now = timezone.now()
    claimable = Q(progress__lt=FINISHING) | claims.stale(now)
    claimed = Release.objects.filter(claimable, pk=release_id, state=ReleaseState.RUNNING).update(
        progress=FINISHING, heartbeat=now
    )
    release = Release.objects.select_related("project").filter(pk=release_id, state=ReleaseState.RUNNING).first()
    if release is None:
        return None
    if not claimed:
        return claims.held_for(Release, release_id)
    try:
        fields = _write_files(release)
    except Exception as error:
        logger.exception("Release %s failed", release_id)
        fail(release_id, error)
        return None
    Release.objects.filter(pk=release_id, state=ReleaseState.RUNNING).update(
        state=ReleaseState.DONE, progress=100, finished_at=timezone.now(), error="", **fields
    )
    # Only now: a finisher that died before this point is replaced by one that needs the parts.
    shutil.rmtree(media_path(release_dir(release)) / "coco-parts", ignore_errors=True)
    return None


def _write_files(release):
    path = media_path(release.snapshot)
    configuration = snapshot.read_header(path)["configuration"]
    categories = segments.categories(configuration, release.task_type)
    statuses = {segments.LABELED: 0, segments.REVIEWED: 0}
    urls = _UrlMaker(release)
    stem = f"{slugify(release.project.name) or 'project'}-{slugify(release.name) or release.pk}"

    def samples():
        instances = _instances(release)
        for task in snapshot.read_tasks(path):
            media = task["media"]
            present = next(instances) if instances is not None else None
            status = label_status(release, task["status"], task["document"])
            if status in statuses:
                statuses[status] += 1
            sample = {
                "uuid": media,
                "name": task["name"],
                "image_url": urls.image(media, EXTENSIONS.get(task["mime_type"], ".jpg")),
                "metadata": {"task": task["task"], "state": task["status"], "labeler": task["labeler"]},
                "label_status": status,
                "document": task["document"],
                "created_by": task["labeler"],
            }
            if present is not None:
                sample["instances"] = present
                sample["bitmap_url"] = urls.bitmap(media)
            yield sample

    header = {
        "name": release.name,
        "description": release.description,
        "created_at": release.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00:00"),
        # With the project's id, two projects of one name are two datasets in the SDK's cache.
        "dataset_name": f"{slugify(release.project.name) or 'project'}-{release.project_id}",
        "task_type": release.task_type,
        "categories": categories,
    }
    release_name = release_dir(release) / f"{stem}.json"
    # COCO's file names are the release file's sample names, made unique among all samples.
    renamed = {}
    counts = _write_file(
        media_path(release_name), lambda s: segments.write(s, header, configuration, samples(), renamed)
    )

    def images():
        for result in _results(release):
            for name, width, height, media in result["images"]:
                yield {
                    "file_name": renamed.get(media, name),
                    "width": width,
                    "height": height,
                    "media": media,
                }

    def parts():
        for index in range(release.chunks_total):
            with _coco_part(release, index).open("rb") as part:
                yield part

    info = {
        "description": header["dataset_name"],
        "version": release.name,
        "date_created": header["created_at"],
        "contributor": "Labelyard",
    }
    coco_name = release_dir(release) / f"{stem}-coco.json"
    _write_file(media_path(coco_name), lambda s: coco.write(s, info, categories, images(), parts()))
    return {
        "file": str(release_name),
        "size": media_path(release_name).stat().st_size,
        "coco_file": str(coco_name),
        "coco_size": media_path(coco_name).stat().st_size,
        "annotation_count": counts[2],
        "labeled_count": statuses[segments.LABELED],
        "reviewed_count": statuses[segments.REVIEWED],
    }


def _results(release):
    """The chunks' results (ReleaseChunk.result) in snapshot order, read a few at a time."""
    chunks = ReleaseChunk.objects.filter(job=release).order_by("index").values_list("result", flat=True)
    return chunks.iterator(chunk_size=8)


def _instances(release):
    """The chunks' instance lists in snapshot order, or None for a vector release."""
    if release.task_type != segments.SEGMENTATION_BITMAP:
        return None
    return (entry[1] for result in _results(release) for entry in result["instances"])


def _write_file(path, writer):
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=".part-", delete=False) as stream:
        try:
            result = writer(stream)
            stream.flush()
            os.fsync(stream.fileno())
        except BaseException:
            os.unlink(stream.name)
            raise
    os.replace(stream.name, path)
    return result


class _UrlMaker:
    """Absolute signed URLs of a release's images and bitmaps; reverse() runs once, not per sample."""

    PLACEHOLDER = "00token00"

    def __init__(self, release):
        self.release_id = release.pk
        self.signer = signing.new_signer()
        path = reverse("exports:release_file", args=[self.PLACEHOLDER, "file.png"])
        self.prefix = release.base_url.rstrip("/") + path[: path.index(self.PLACEHOLDER)]

    def image(self, media, extension):
        return self._url(media, signing.IMAGE, extension)

    def bitmap(self, media):
        return self._url(media, signing.BITMAP, ".png")

    def _url(self, media, kind, extension):
        token = signing.token(self.signer, self.release_id, media, kind)
        return f"{self.prefix}{token}/{media}{extension}"


def release_file(token):
    """(release, media id, kind) named by a valid token; signing.InvalidToken otherwise."""
    release_id, media_id, kind = signing.read(token)
    release = Release.objects.filter(pk=release_id).first()
    if release is None:
        raise signing.InvalidToken("This release no longer exists.")
    return release, media_id, kind
