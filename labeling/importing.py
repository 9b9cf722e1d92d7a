"""Importing labels from a DataGym JSON file: the one function the import page, the API and the
``import_labels`` command call, and the background job around it (decisions.md "DataGym JSON import").

The whole file is read and checked first (formats.datagym.read); only a valid file is
written, in one transaction: one UPDATE of the task versions, one upsert of the TaskLabels rows
(COPY on PostgreSQL, bulk_create elsewhere) and one project revision bump. docs/import.md has the rules.
"""

import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from background import claims
from formats import datagym, jsonio
from labeling import limits
from labeling.configuring import configuration_for_write
from labeling.models import ImportJob, Task, TaskLabels
from projects import access
from projects.models import LabelConfiguration
from rules import configuration as config
from rules import labels as labels_document

logger = logging.getLogger(__name__)

MEGABYTE = 1024 * 1024
CHUNK = 2000  # ids per query where a database caps the number of parameters (SQLite)
COPY_BATCH = 500  # tasks per write to the COPY stream
READ_SHARE = 85  # percent of the progress bar spent reading and checking the file
SETTLE_AFTER = 1000  # tasks written by one import, from which it vacuums the tables (settle())


class ImportRejected(ValueError):
    """The file cannot be imported; ``errors`` lists every problem as {"path", "message"}."""

    status_code = 400
    code = "invalid_import"

    def __init__(self, errors):
        self.errors = [{"path": path, "message": message} for path, message in errors]
        super().__init__(f"{len(self.errors)} error(s); nothing was imported")


class ConfigurationChanged(ImportRejected):
    """The label configuration changed while the file was being checked; nothing was written."""

    status_code = 409
    code = "configuration_changed"

    def __init__(self):
        message = (
            "The project's label configuration changed while the file was being checked, so it was "
            "checked against a configuration that no longer holds. Nothing was imported; import it again."
        )
        super().__init__([("", message)])


class FileTooLarge(ImportRejected):
    """The file is over LABELYARD_MAX_IMPORT_BYTES; it is refused before it is read."""

    status_code = 413

    def __init__(self, size, limit):
        message = (
            f"The file is {size / MEGABYTE:.1f} MB; imports are limited to {limit / MEGABYTE:.0f} MB "
            "(setting LABELYARD_MAX_IMPORT_BYTES). Split the file into several imports."
        )
        super().__init__([("", message)])


@dataclass(frozen=True)
class Summary:
    """What an import did (or, for a dry run, would do)."""

    tasks: int
    geometries_added: int
    geometries_replaced: int
    classifications_set: int
    dry_run: bool

    def as_dict(self):
        return asdict(self)

    def __str__(self):
        counts = (
            f"{self.tasks} task(s), {self.geometries_added} geometries added, "
            f"{self.geometries_replaced} replaced, {self.classifications_set} classifications set"
        )
        return f"Dry run, nothing written: {counts}." if self.dry_run else f"Imported: {counts}."


def check_size(size):
    """Raise FileTooLarge when `size` bytes are over the import limit."""
    limit = settings.LABELYARD_MAX_IMPORT_BYTES
    if size > limit:
        raise FileTooLarge(size, limit)


def import_labels(
    project, data, *, dry_run=False, match_by_name=False, clip=False, user=None, progress=None, on_done=None
):
    """Import the DataGym JSON `data` (bytes) into `project`; returns a Summary.

    Raises ImportRejected with every error when the file is invalid, before anything is written.
    `progress(percent)` is called while reading; `on_done(summary)` runs inside the write
    transaction (or at the end of a dry run), so a caller's bookkeeping commits with the labels.
    """
    check_size(len(data))
    # Read afresh (not project.label_configuration, which may be cached): the write checks this revision.
    configuration = LabelConfiguration.objects.get(project=project)
    index = config.Index(configuration.data)
    tasks, sizes, names = _project_media(project)

    def read_progress(done, total):
        progress(READ_SHARE * done // total)

    items, errors = datagym.read(
        data,
        index,
        sizes,
        names=names if match_by_name else None,
        clip=clip,
        progress=read_progress if progress else None,
        limits=limits.from_settings(),
    )
    if errors:
        raise ImportRejected(errors)
    groups = {}
    for item in items:
        groups.setdefault(tasks[item.media_id], []).append(item)
    if dry_run:
        summary = _summary(groups, _existing_counts(project), dry_run=True)
        if on_done is not None:
            on_done(summary)
        return summary
    if progress:
        progress(READ_SHARE)
    with transaction.atomic():
        # One lock for the whole import: the file was checked against the configuration it is stored under.
        if configuration_for_write(project).revision != configuration.revision:
            raise ConfigurationChanged()
        # The version bump comes next: it locks the rows, so no label save slips in between
        # reading the documents merged below and writing the result.
        _bump_versions(list(groups))
        counts = _existing_counts(project)
        keep = [task_id for task_id, group in groups.items() if task_id in counts and group[0].keep_data]
        existing = _existing_documents(keep)
        rows = (_row(task_id, group, existing.get(task_id)) for task_id, group in groups.items())
        fresh = counts.keys().isdisjoint(groups)
        _upsert(rows, user.pk if user is not None and user.is_authenticated else None, fresh)
        project.bump_revision()
        summary = _summary(groups, counts, dry_run=False)
        if on_done is not None:
            on_done(summary)
    if len(groups) >= SETTLE_AFTER:
        settle()
    return summary


def settle():
    """VACUUM (ANALYZE) the tasks and labels tables on PostgreSQL, outside any transaction.

    Rows just written by COPY or UPDATE do not say yet that their transaction committed: the first
    reader looks each one up and writes the answer into its page (hint bits), so the first export
    after a 10,000-task import took 3 s where the next took 1 s (docs/benchmarks.md). VACUUM does
    that work here, in the importing process, and gives the planner fresh statistics. Pages already
    all-visible are skipped, so the cost follows the rows just written, not the tables' size.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {Task._meta.db_table}, {TaskLabels._meta.db_table}")


def _project_media(project):
    """Task id, image size and file name of every image of `project`, keyed by image id."""
    tasks, sizes, names = {}, {}, {}
    rows = Task.objects.filter(project=project).values_list(
        "id", "media_id", "media__width", "media__height", "media__original_name"
    )
    for task_id, media_id, width, height, name in rows.iterator(chunk_size=5000):
        key = str(media_id)
        tasks[key] = task_id
        sizes[key] = (width, height)
        # A file name shared by several images cannot identify one (decisions.md).
        names[name] = None if name in names else key
    return tasks, sizes, names


def _existing_counts(project):
    return dict(TaskLabels.objects.filter(task__project=project).values_list("task_id", "geometry_count"))


def _existing_documents(task_ids):
    documents = {}
    for start in range(0, len(task_ids), CHUNK):
        chunk = task_ids[start : start + CHUNK]
        documents.update(TaskLabels.objects.filter(task_id__in=chunk).values_list("task_id", "document"))
    return documents


def _summary(groups, counts, dry_run):
    added = replaced = answers = 0
    for task_id, group in groups.items():
        present = counts.get(task_id, 0)
        for item in group:
            if not item.keep_data:
                replaced += present
                present = 0
            present += item.geometry_count
            added += item.geometry_count
            answers += item.answer_count
    return Summary(len(groups), added, replaced, answers, dry_run)


def _row(task_id, group, existing):
    """(task id, document JSON bytes, geometry count, imported count) for one task."""
    first = group[0]
    if len(group) == 1 and (existing is None or not first.keep_data):
        # The common case (a fresh task, or keepData false) needs no parse of the geometries.
        answers = {k: v for k, v in first.classifications.items() if datagym.answered(v)}
        body = b'{"geometries":' + first.geometries + b',"classifications":' + jsonio.dumps(answers) + b"}"
        return task_id, body, first.geometry_count, first.geometry_count
    document = existing if existing and first.keep_data else labels_document.empty()
    document.setdefault("geometries", [])
    document.setdefault("classifications", {})
    for item in group:
        if not item.keep_data:
            document = labels_document.empty()
        _add_geometries(document["geometries"], jsonio.loads(item.geometries))
        for key, answer in item.classifications.items():
            if datagym.answered(answer):
                document["classifications"][key] = answer
            else:
                document["classifications"].pop(key, None)
    return (task_id, jsonio.dumps(document), *labels_document.summarize(document))


def _add_geometries(geometries, new):
    """Append `new`, renumbering their ids past every id the document already uses."""
    taken = {g.get("id") for geometry in geometries for g in (geometry, *geometry.get("nested", []))}
    number = 0
    for geometry in new:
        for item in (geometry, *geometry.get("nested", [])):
            number += 1
            while f"i{number}" in taken:
                number += 1
            item["id"] = f"i{number}"
    geometries.extend(new)


def _bump_versions(task_ids):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Task._meta.db_table} SET version = version + 1 WHERE id = ANY(%s)",  # noqa: S608
                [task_ids],
            )
        return
    for start in range(0, len(task_ids), CHUNK):
        Task.objects.filter(pk__in=task_ids[start : start + CHUNK]).update(version=F("version") + 1)


def _upsert(rows, user_id, fresh):
    """Insert or replace the TaskLabels rows; `fresh` says none of these tasks has a row yet."""
    if connection.vendor == "postgresql":
        _upsert_postgresql(rows, user_id, fresh)
        return
    now = timezone.now()
    objects = (
        TaskLabels(
            task_id=task_id,
            document=jsonio.loads(body),
            geometry_count=geometry_count,
            imported_count=imported_count,
            updated_by_id=user_id,
            updated_at=now,
        )
        for task_id, body, geometry_count, imported_count in rows
    )
    batch = []
    for obj in objects:
        batch.append(obj)
        if len(batch) == COPY_BATCH:
            _bulk_upsert(batch)
            batch = []
    if batch:
        _bulk_upsert(batch)


def _bulk_upsert(batch):
    TaskLabels.objects.bulk_create(
        batch,
        update_conflicts=True,
        unique_fields=["task"],
        update_fields=["document", "geometry_count", "imported_count", "updated_by", "updated_at"],
    )


def _upsert_postgresql(rows, user_id, fresh):
    """COPY the rows into TaskLabels: straight in when the tasks have no rows yet, else into a
    temporary table followed by one INSERT ... ON CONFLICT.

    COPY is 6x faster than bulk_create for JSON rows (docs/decisions.md "Measured costs"). The task rows
    are locked by the version UPDATE before this runs, and every label save bumps the version
    first, so no row can appear between the check for `fresh` and the COPY.
    """
    table = TaskLabels._meta.db_table
    with connection.cursor() as cursor:
        if fresh:
            columns = "task_id, document, geometry_count, imported_count, updated_by_id, updated_at"
            suffix = b"\t%b\t%b\n" % (
                b"\\N" if user_id is None else b"%d" % user_id,
                timezone.now().isoformat().encode(),
            )
            _copy(cursor, f"COPY {table} ({columns}) FROM STDIN", rows, suffix)
            return
        cursor.execute(
            "CREATE TEMPORARY TABLE labelyard_import_rows "
            "(task_id bigint, document json, geometry_count integer, imported_count integer) ON COMMIT DROP"
        )
        _copy(cursor, "COPY labelyard_import_rows FROM STDIN", rows, b"\n")
        cursor.execute(
            f"INSERT INTO {table} (task_id, document, geometry_count, imported_count, updated_by_id, updated_at) "  # noqa: S608
            "SELECT task_id, document, geometry_count, imported_count, %s, now() FROM labelyard_import_rows "
            "ON CONFLICT (task_id) DO UPDATE SET document = EXCLUDED.document, "
            "geometry_count = EXCLUDED.geometry_count, imported_count = EXCLUDED.imported_count, "
            "updated_by_id = EXCLUDED.updated_by_id, updated_at = EXCLUDED.updated_at",
            [user_id],
        )
        # Dropped now, not at commit, so a second import in the same transaction can create it again.
        cursor.execute("DROP TABLE labelyard_import_rows")


def _copy(cursor, statement, rows, suffix):
    """Stream `rows` through COPY in its text format; orjson escapes control characters, so
    only backslashes need doubling. `suffix` ends each line (constant trailing columns)."""
    with cursor.cursor.copy(statement) as copy:
        lines = []
        for task_id, body, geometry_count, imported_count in rows:
            escaped = body.replace(b"\\", b"\\\\")
            lines.append(b"%d\t%b\t%d\t%d%b" % (task_id, escaped, geometry_count, imported_count, suffix))
            if len(lines) == COPY_BATCH:
                copy.write(b"".join(lines))
                lines = []
        copy.write(b"".join(lines))


def start_import(project, upload, *, dry_run=False, match_by_name=False, clip=False, user=None):
    """Store `upload` as an ImportJob; run it now when small, else queue it for a worker."""
    check_size(upload.size)
    job = ImportJob(
        project=project,
        created_by=user if user is not None and user.is_authenticated else None,
        original_name=(upload.name or "labels.json")[:255],
        size=upload.size,
        dry_run=dry_run,
        match_by_name=match_by_name,
        clip=clip,
    )
    job.file.save(job.original_name, upload, save=False)
    job.save()
    if upload.size <= settings.LABELYARD_IMPORT_INLINE_BYTES:
        run_import_job(job.pk)
        job.refresh_from_db()
    else:
        job.send()
    return job


def held_for(job_id):
    """Seconds until a running import's heartbeat goes stale; None when it is not running."""
    return claims.held_for(ImportJob, job_id)


class TakenOver(Exception):
    """Another run claimed the job after this one's heartbeat went stale; this run's writes roll back."""


def _check_importer(job):
    """Refuse (ImportRejected) a queued import whose starter is no longer an admin of the project.

    The role is read when the job runs, which can be minutes after the upload. A job with no
    starter recorded (started by code, not from the page) has no role to check.
    """
    user = job.created_by
    if user is not None and access.role_in(user, job.project) != access.Role.ADMIN:
        message = f"{user.username} is no longer an admin of {job.project.name}; nothing was imported."
        raise ImportRejected([("", message)])


def run_import_job(job_id):
    """Claim the job, import its file, record the outcome. A second run does nothing.

    The claim is background.claims.claim (one conditional UPDATE that counts the attempt; a stale
    job past its attempts fails). Every later update names this claim's attempt, so a run that was
    taken over records nothing and its labels roll back; the labels and the switch to DONE commit
    together, so a redelivered message cannot import twice. When another run holds the job (its
    worker may have died), returns the seconds after which a new try could take it over; else None.
    """
    job = claims.claim(ImportJob, job_id, select_related=["project__label_configuration", "created_by"])
    if job is None:
        return held_for(job_id)

    def progress(percent):
        claims.beat(job, progress=percent)

    def done(summary):
        if not claims.finish(job, summary=summary.as_dict()):
            raise TakenOver()

    try:
        _check_importer(job)
        with job.file.open("rb") as handle:
            data = handle.read()
        import_labels(
            job.project,
            data,
            dry_run=job.dry_run,
            match_by_name=job.match_by_name,
            clip=job.clip,
            user=job.created_by,
            progress=progress,
            on_done=done,
        )
    except TakenOver:
        return None
    except ImportRejected as rejected:
        message = f"The file has {len(rejected.errors)} error(s); nothing was imported."
        if not claims.ours(job).update(
            state=ImportJob.State.FAILED,
            progress=100,
            finished_at=timezone.now(),
            error=message,
            errors=rejected.errors,
        ):
            return None
    except Exception as error:
        logger.exception("Import %s failed", job_id)
        claims.fail(ImportJob, job_id, error, progress=100)
        raise
    job.file.delete(save=False)
    ImportJob.objects.filter(pk=job_id).update(file="")
    return None
