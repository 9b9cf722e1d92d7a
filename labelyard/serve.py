"""What `make run` runs: the Celery worker and the development web server as child processes,
started together and stopped together (`python -m labelyard.serve [ADDR:]PORT`).

Each child runs in a process group of its own, so a terminal's Ctrl-C (SIGINT to the foreground
group) reaches this supervisor and not the worker's pool processes. On Ctrl-C, SIGTERM or SIGHUP
it sends one SIGTERM to each child's main process - for the worker that is Celery's warm shutdown,
which finishes the running jobs and stops its pool processes itself - waits up to the grace period,
then kills what is left with its whole process group. A second Ctrl-C skips the wait. When one child
exits on its own (the port is taken, say), the other is stopped the same way.

Signalling every process of the group at once, as the shell line `trap 'kill 0' INT TERM EXIT`
did, hit the pool processes while they held the pool's queue lock: the worker's main process then
waited forever for that lock at exit, and `kill 0` re-entered its own trap until the shell crashed.
"""

import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# An idle worker on the file-system broker needs 5 to 9 s for its warm shutdown (measured).
GRACE_SECONDS = 15.0
POLL_SECONDS = 0.1
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def commands(addrport):
    """The child processes by name; every entry is started, watched and stopped alike. The worker
    runs Celery beat too (`-B`): beat sends the sweeper that re-sends lost jobs (background/jobs.py)."""
    celery = [sys.executable, "-m", "celery", "-A", "labelyard"]
    return {
        "worker": [*celery, "worker", "-B", "--loglevel=warning", "--concurrency=2"],
        "web server": [sys.executable, str(BASE_DIR / "manage.py"), "runserver", "--noreload", addrport],
    }


class StopRequests:
    """Counts the stop signals received; installed as their handler."""

    def __init__(self):
        self.count = 0

    def __call__(self, signum, frame):
        self.count += 1


def say(message):
    """A line on standard error; after SIGHUP the terminal may be gone, which must not keep the
    children from being stopped."""
    with contextlib.suppress(OSError):
        print(message, file=sys.stderr, flush=True)


def _die_with_parent(parent_pid):
    """Runs in the child between fork and exec: on Linux the kernel sends the child SIGTERM when
    the supervisor dies, even by SIGKILL, so the worker cannot outlive it."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), signal.SIGTERM)


def start(argv):
    """One child in a new process group (its pool processes join that group), not reading the
    terminal."""
    parent_pid = os.getpid()
    return subprocess.Popen(
        argv, cwd=BASE_DIR, stdin=subprocess.DEVNULL, process_group=0, preexec_fn=lambda: _die_with_parent(parent_pid)
    )


def _running(children):
    return {name: child for name, child in children.items() if child.poll() is None}


def stop(children, stop_requests, grace=GRACE_SECONDS):
    """SIGTERM to each running child's main process, a wait of at most `grace` seconds (cut short
    by another stop request), then SIGKILL to the process group of each child still running.
    Returns the names of the children that had to be killed."""
    for child in _running(children).values():
        child.send_signal(signal.SIGTERM)
    requests_before = stop_requests.count
    deadline = time.monotonic() + grace
    while _running(children) and time.monotonic() < deadline and stop_requests.count == requests_before:
        time.sleep(POLL_SECONDS)
    killed = []
    # The child is not reaped yet (poll() just saw it running), so its process group still exists.
    for name, child in _running(children).items():
        os.killpg(child.pid, signal.SIGKILL)
        killed.append(name)
    for child in children.values():
        child.wait()
    return killed


def serve(addrport, grace=GRACE_SECONDS):
    """Runs the children until a stop signal or until one of them exits; returns the exit status:
    0 after a requested stop, 1 when a child exited on its own."""
    stop_requests = StopRequests()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop_requests)
    children = {}
    for name, argv in commands(addrport).items():
        if stop_requests.count:
            break
        children[name] = start(argv)
    while stop_requests.count == 0 and len(_running(children)) == len(children):
        time.sleep(POLL_SECONDS)
    exited = {name: child.returncode for name, child in children.items() if child.poll() is not None}
    if stop_requests.count:
        names = " and ".join(f"the {name}" for name in children)
        say(f"Stopping {names} (up to {grace:g} s; Ctrl-C again kills them now)")
    for name, returncode in exited.items():
        say(f"The {name} exited with status {returncode}; stopping the rest.")
    requests_before = stop_requests.count
    killed = stop(children, stop_requests, grace)
    reason = "on a second stop request" if stop_requests.count > requests_before else f"after waiting {grace:g} s"
    for name in killed:
        say(f"Killed the {name} {reason}.")
    return 0 if stop_requests.count and not exited else 1


def main():
    parser = argparse.ArgumentParser(prog="python -m labelyard.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="[ADDR:]PORT for runserver")
    parser.add_argument("--grace", type=float, default=GRACE_SECONDS, help="seconds to wait before killing")
    args = parser.parse_args()
    return serve(args.addrport, args.grace)


if __name__ == "__main__":
    sys.exit(main())
