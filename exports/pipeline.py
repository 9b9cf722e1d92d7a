"""The steps export jobs and releases share around their snapshot: one snapshot feeds the chunk
tasks of every format an export or release writes (DataGym JSON; Segments.ai and COCO).

exports/build.py and exports/releases.py freeze the snapshot (exports/snapshot.py), record its
chunks here, send the chunk tasks to the queue their build came from, and count the chunks done
(background.claims.count_chunk); what each chunk writes is theirs.
"""

from celery import current_task

from background import claims


def record_chunks(job, chunk_model, ranges, **fields):
    """Store the snapshot's chunk rows (byte ranges of its lines) and the job's `fields`.

    Returns False when another run took the job over meanwhile (its heartbeat had gone stale).
    """
    chunk_model.objects.bulk_create(
        chunk_model(job=job, index=index, start=start, stop=stop) for index, (start, stop) in enumerate(ranges)
    )
    return claims.beat(job, chunks_total=len(ranges), **fields)


def chunk_queue():
    """The queue the running build task came from (None outside a worker): chunks follow it, so
    routing exports to a dedicated queue (or a test's private one) keeps all of their work there."""
    request = current_task.request if current_task else None
    return ((request and request.delivery_info) or {}).get("routing_key")
