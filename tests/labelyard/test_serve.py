"""`make run` and its supervisor (labelyard/serve.py) as a terminal drives them: real processes on
a free port with their own data folder (SQLite, file-system broker), stopped by Ctrl-C (SIGINT to
the whole foreground process group), by SIGTERM to make, or by the supervisor's death. Afterwards
no process that carries the test's data folder in its environment may be left."""

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from labelyard import serve
from tests.conftest import ROOT, wait_for

STARTUP_SECONDS = 90
STOP_SECONDS = 20  # the supervisor's grace (15 s) plus the margin a loaded machine needs
VENV = Path(sys.prefix)
# A crashed shell, a Python traceback, a worker the supervisor had to kill, an error make reports.
CRASHES = ("Segmentation fault", "Traceback", "Killed the", "make: ***")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def processes_with(marker):
    """Ids of the live processes whose environment or command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            text = (entry / "environ").read_bytes() + (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in text:
            found.append(int(entry.name))
    return found


def describe(pids):
    lines = []
    for pid in pids:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            wchan = Path(f"/proc/{pid}/wchan").read_text()
        except OSError:
            continue
        lines.append(f"{pid} [{wchan}] {cmdline}")
    return "\n".join(lines)


def answers_http(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/")
        return connection.getresponse().status < 500
    except OSError:
        return False
    finally:
        connection.close()


def port_is_free(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture(scope="module")
def migrated_data_dir(tmp_path_factory):
    """A data folder with a migrated SQLite database, copied by each test (migrating takes seconds)."""
    data_dir = tmp_path_factory.mktemp("serve") / "data"
    env = run_env(data_dir)
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return data_dir


def run_env(data_dir):
    """`make run`'s defaults: SQLite and the file-system broker in the data folder, whatever the
    suite itself runs on; and make as a terminal starts it, not as a sub-make of `make test`."""
    dropped = ("DATABASE_", "CELERY_", "MAKE", "MFLAGS")
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    env.pop("LABELYARD_MEDIA_ROOT", None)
    env["LABELYARD_DATA_DIR"] = str(data_dir)
    return env


@pytest.fixture
def data_dir(migrated_data_dir, tmp_path):
    """This test's own data folder; its unique path marks every process the test starts."""
    path = tmp_path / f"data-{uuid.uuid4().hex[:12]}"
    shutil.copytree(migrated_data_dir, path)
    yield path
    leftovers = processes_with(str(path))
    listing = describe(leftovers)
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert not leftovers, f"processes left running:\n{listing}"


class Run:
    """A command started as a terminal starts a job: in a process group (and session) of its own."""

    def __init__(self, argv, data_dir, port):
        self.data_dir = data_dir
        self.port = port
        self.log_path = data_dir.parent / f"{data_dir.name}-{uuid.uuid4().hex[:6]}.log"
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                argv, cwd=ROOT, env=run_env(data_dir), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    @property
    def output(self):
        return self.log_path.read_text(errors="replace")

    def wait_until_up(self):
        """The web server answers and the worker answers a ping through the broker."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while not answers_http(self.port):
            assert self.process.poll() is None, f"exited with {self.process.returncode}:\n{self.output}"
            assert time.monotonic() < deadline, f"no HTTP answer on port {self.port}:\n{self.output}"
            time.sleep(0.2)
        ping = [str(VENV / "bin" / "python"), "-m", "celery", "-A", "labelyard", "inspect", "ping", "--timeout", "2"]
        while "pong" not in subprocess.run(ping, cwd=ROOT, env=run_env(self.data_dir), capture_output=True,
                                           text=True).stdout:  # fmt: skip
            assert self.process.poll() is None, f"exited with {self.process.returncode}:\n{self.output}"
            assert time.monotonic() < deadline, f"the worker never answered a ping:\n{self.output}"

    def interrupt(self):
        """Ctrl-C: the terminal sends SIGINT to every process of the foreground group."""
        os.killpg(self.process.pid, signal.SIGINT)

    def stopped_cleanly(self):
        """Waits for every process carrying the data folder (make included) to be gone; fails
        listing what is still running and any crash in the output."""
        deadline = time.monotonic() + STOP_SECONDS
        while processes_with(str(self.data_dir)) and time.monotonic() < deadline:
            self.process.poll()  # reaps the command once it exits
            time.sleep(0.1)
        problems = [f"{crash!r} in the output" for crash in CRASHES if crash in self.output]
        if leftovers := processes_with(str(self.data_dir)):
            problems.append(f"still running after {STOP_SECONDS} s:\n{describe(leftovers)}")
        assert not problems, "\n".join(problems) + f"\n--- output ---\n{self.output[-3000:]}"


def make_run(data_dir, port):
    # -o: the run recipe is under test, not the installation (which needs the package index).
    stamp = VENV / ".stamp-run"
    return Run(["make", "--no-print-directory", "-o", str(stamp), "run", f"VENV={VENV}", f"PORT={port}"], data_dir,
               port)  # fmt: skip


@pytest.mark.worker
def test_ctrl_c_stops_make_run_and_a_restart_works_then_sigterm_stops_it(data_dir):
    if shutil.which("make") is None or sys.prefix == sys.base_prefix:
        pytest.skip("needs make and a virtual environment for make's VENV")
    port = free_port()

    first = make_run(data_dir, port)
    first.wait_until_up()
    first.interrupt()
    first.stopped_cleanly()
    assert port_is_free(port)

    second = make_run(data_dir, port)
    second.wait_until_up()
    # Only make gets the signal; make passes SIGTERM on to the recipe's command.
    second.process.send_signal(signal.SIGTERM)
    second.stopped_cleanly()
    assert port_is_free(port)


@pytest.mark.worker
def test_the_web_server_and_the_worker_go_when_the_supervisor_is_killed(data_dir):
    port = free_port()
    run = Run([sys.executable, "-m", "labelyard.serve", f"127.0.0.1:{port}"], data_dir, port)
    run.wait_until_up()
    run.process.kill()
    run.process.wait()
    wait_for(lambda: not processes_with(str(data_dir)), timeout=STOP_SECONDS, message="the children to exit")
    assert port_is_free(port)


@pytest.mark.worker
def test_a_taken_port_stops_the_worker_and_fails(data_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = Run([sys.executable, "-m", "labelyard.serve", f"127.0.0.1:{port}"], data_dir, port)
        assert run.process.wait(timeout=STARTUP_SECONDS) == 1
    assert "The web server exited with status 1; stopping the rest." in run.output
    wait_for(lambda: not processes_with(str(data_dir)), timeout=STOP_SECONDS, message="the worker to exit")


def test_a_child_that_ignores_sigterm_is_killed_with_its_process_group_after_the_grace(tmp_path):
    marker = f"stubborn-{uuid.uuid4().hex}"
    # The child ignores SIGTERM and has a child of its own, as the worker has pool processes.
    ready = tmp_path / "ready"
    script = (
        "import pathlib, signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', '{marker}'])\n"
        f"pathlib.Path('{ready}').touch()\n"
        "time.sleep(60)\n"
    )
    children = {"stubborn": serve.start([sys.executable, "-c", script, marker])}
    wait_for(lambda: ready.exists() and len(processes_with(marker)) == 2, message="the child and its child")

    started = time.monotonic()
    assert serve.stop(children, serve.StopRequests(), grace=1.0) == ["stubborn"]

    assert 1.0 <= time.monotonic() - started < 5
    assert children["stubborn"].returncode == -signal.SIGKILL
    wait_for(lambda: not processes_with(marker), timeout=5, message="the grandchild to be killed too")


def test_a_second_stop_request_kills_without_waiting_out_the_grace(tmp_path):
    marker = f"slow-{uuid.uuid4().hex}"
    ready = tmp_path / "ready"
    script = (
        "import pathlib, signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"pathlib.Path('{ready}').touch()\n"
        "time.sleep(60)\n"
    )
    children = {"slow": serve.start([sys.executable, "-c", script, marker])}
    wait_for(ready.exists, message="the child to ignore SIGTERM")
    stop_requests = serve.StopRequests()
    second_ctrl_c = threading.Timer(0.5, stop_requests, args=(signal.SIGINT, None))
    second_ctrl_c.start()

    started = time.monotonic()
    assert serve.stop(children, stop_requests, grace=30.0) == ["slow"]

    assert time.monotonic() - started < 5
    assert not processes_with(marker)
