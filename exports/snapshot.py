"""Phase 1 of an export: freeze a project's labels into one stored file, streamed from the database.

The snapshot is JSON Lines. Line 1 is the header (project, revision, configuration); every further
line is one task with its labels document. Writers and mask tasks read only this file, so they all
see the same moment of the project. Documents are fetched as JSON text and copied into the file
without being parsed, so this phase costs little more than the query (docs/decisions.md "Measured costs").
"""

import hashlib
import os

from django.db.models import TextField
from django.db.models.functions import Cast

from formats import jsonio
from labeling.models import Task
from projects.models import Project

# Rows per fetch from the server-side cursor. The fetched documents' text is held twice (the driver's
# buffer and Python's strings): 200 keeps that near 50 MB for documents of 5,000 vertices, and was
# as fast as 2,000 for 10,000 small ones (0.43 s against 0.57 s; bench/export_json.py).
BATCH_SIZE = 200


def task_rows(project_id, states):
    """Tuples (task, media, name, width, height, MIME type, labeler, state, document text) in task order.

    On PostgreSQL iterator() reads through a server-side cursor, BATCH_SIZE rows at a time, so
    memory stays flat whatever the project's size.
    """
    return (
        Task.objects.filter(project_id=project_id, state__in=states)
        .order_by("id")
        .values_list(
            "id",
            "media_id",
            "media__original_name",
            "media__width",
            "media__height",
            "media__mime_type",
            "labeler__username",
            "state",
            Cast("labels__document", TextField()),
        )
        .iterator(chunk_size=BATCH_SIZE)
    )


def task_count(project_id, states):
    return Task.objects.filter(project_id=project_id, state__in=states).count()


def _line(row):
    task_id, media_id, name, width, height, mime_type, labeler, state, document = row
    head = jsonio.dumps(
        {
            "task": task_id,
            "media": str(media_id),
            "name": name,
            "width": width,
            "height": height,
            "mime_type": mime_type,
            "labeler": labeler,
            "status": state,
        }
    )
    if document is None:
        document = b"null"
    else:
        document = document.encode()
        if b"\n" in document:
            # Lines are records: a document stored with raw newlines is re-encoded on one line.
            document = jsonio.dumps(jsonio.loads(document))
    return b'%s,"document":%s}\n' % (head[:-1], document)


def write_snapshot(path, project_id, states, *, chunk_size, progress=None):
    """Write the snapshot of `project_id` to `path`; returns (revision, digest, task count, chunk ranges).

    The revision is read before the labels, so the file is at least as new as the revision it
    claims: a reuse check by revision never hands out older labels. `chunk_size` tasks make one
    mask chunk; ranges are (start, stop) byte offsets of their lines. `progress(done)` is called
    after every batch.
    """
    project = Project.objects.select_related("label_configuration").get(pk=project_id)
    digest = hashlib.blake2b(digest_size=16)
    ranges = []
    count = 0
    with open(path, "wb") as stream:
        header = jsonio.dumps(
            {
                "project": project.pk,
                "revision": project.revision,
                "states": sorted(states),
                "configuration": project.label_configuration.data,
            }
        )
        stream.write(header + b"\n")
        digest.update(header)
        start = stream.tell()
        for row in task_rows(project_id, states):
            # Each line goes straight to the file: holding a chunk's lines would make memory grow
            # with the documents' size (2,000 large documents are hundreds of megabytes).
            line = _line(row)
            stream.write(line)
            digest.update(line)
            count += 1
            if count % chunk_size == 0:
                start = _end_range(stream, ranges, start)
            if progress is not None and count % BATCH_SIZE == 0:
                progress(count)
        _end_range(stream, ranges, start)
        stream.flush()
        os.fsync(stream.fileno())
    return project.revision, digest.hexdigest(), count, ranges


def _end_range(stream, ranges, start):
    """Close the chunk that began at `start` (if it has any lines); returns where the next one begins."""
    stop = stream.tell()
    if stop > start:
        ranges.append((start, stop))
    return stop


def read_header(path):
    with open(path, "rb") as stream:
        return jsonio.loads(stream.readline())


def read_tasks(path, start=None, stop=None):
    """Parsed task lines of the snapshot at `path`, optionally only those in the byte range."""
    with open(path, "rb") as stream:
        if start is None:
            stream.readline()
        else:
            stream.seek(start)
        while stop is None or stream.tell() < stop:
            line = stream.readline()
            if not line:
                return
            yield jsonio.loads(line)
