"""Real Celery worker processes for the benchmarks, on a queue of their own."""

import contextlib
import resource
import subprocess
import sys
import uuid
from pathlib import Path


@contextlib.contextmanager
def celery_worker(processes):
    """Run `celery worker` with `processes` pool processes while the block runs; yields its queue name."""
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "labelyard", "worker", "-Q", queue, f"--concurrency={processes}",
         "--loglevel=warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    try:
        yield queue
    finally:
        worker.terminate()
        worker.wait()


def peak_child_mb():
    """Peak resident memory of the largest finished child process (a worker's pool processes included)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
