"""Labeling workspace speed in Chromium: open time of a task with 1,000 polygons of 20 points, and
frame times while dragging one vertex (numbers in docs/benchmarks.md, "Labeling UI").

Run: .venv/bin/python bench/workspace_ui.py [--polygons 1000] [--points 20] [--runs 5]
It builds a throw-away data folder (SQLite), serves it with `manage.py runserver` and drives
Debian's /usr/bin/chromium headless through Playwright.
"""

import argparse
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]  # fmt: skip
IMAGE_SIZE = (4000, 3000)
CONFIGURATION = {"entries": [{"key": "building", "name": "Building", "kind": "polygon", "shortcut": "1"}]}


def polygons(count, points, width, height, seed=1):
    """`count` star-ish polygons of `points` vertices on a grid covering the image."""
    rng = random.Random(seed)
    columns = math.ceil(math.sqrt(count * width / height))
    rows = math.ceil(count / columns)
    cell_w, cell_h = width / columns, height / rows
    radius = min(cell_w, cell_h) * 0.45
    shapes = []
    for i in range(count):
        cx, cy = (i % columns + 0.5) * cell_w, (i // columns + 0.5) * cell_h
        ring = []
        for k in range(points):
            angle = 2 * math.pi * k / points
            r = radius * rng.uniform(0.6, 1.0)
            ring.append([round(cx + r * math.cos(angle), 2), round(cy + r * math.sin(angle), 2)])
        shapes.append({"id": f"p{i}", "class": "building", "source": "human", "coordinates": ring})
    return shapes


def prepare(count, points):
    """Create the user, project, image and labels; returns the task id (runs inside the data folder)."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from PIL import Image

    from labeling import queue
    from labeling.creation import create_project
    from labeling.labels import save_labels
    from labeling.lifecycle import move_all
    from labeling.states import State

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_superuser("bench", password="bench-password-123")
    with tempfile.TemporaryDirectory() as folder:
        Image.new("RGB", IMAGE_SIZE, (90, 110, 90)).save(Path(folder) / "city.png")
        project = create_project("Bench", CONFIGURATION, owner=user, images_dir=folder)
    move_all(project.tasks.all(), State.BACKLOG, State.WAITING)
    task = queue.next_task(project, user)
    document = {"geometries": polygons(count, points, *IMAGE_SIZE), "classifications": {}}
    save_labels(task, document, task.version, user)
    return task.pk


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server at {url} did not start")


DRAG_SCRIPT = """async ([steps]) => {
  // Frame timestamps while the test moves the mouse: one rAF callback per frame drawn.
  window.frames_ = [];
  let running = true;
  const tick = (t) => { window.frames_.push(t); if (running) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  window.stopFrames_ = () => { running = false; return window.frames_; };
}"""


def measure(base_url, task_id, runs, drag_steps):
    from playwright.sync_api import sync_playwright

    opens, frame_gaps, saves = [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        page = context.new_page()
        page.goto(f"{base_url}/accounts/login/")
        page.fill("input[name=username]", "bench")
        page.fill("input[name=password]", "bench-password-123")
        page.click("form button[type=submit], form input[type=submit]")
        page.wait_for_load_state()
        for run in range(runs):
            page.goto(f"{base_url}/tasks/{task_id}/label")
            page.wait_for_selector("body[data-workspace-ready=true]", timeout=30_000)
            opens.append(page.evaluate("window.labelyard.readyAt"))
            shapes = page.locator("#canvas .shape").count()
            # Zoom so a polygon is large on screen, select it and drag its first vertex in a circle.
            page.evaluate("""() => { const l = window.labelyard; l.view.scale = 4; l.view.tx = 0; l.view.ty = 0;
              l.view.applyTransform(); l.select('p0'); }""")
            x, y = page.evaluate(
                "() => window.labelyard.view.toScreen(...window.labelyard.model.get('p0').geometry.coordinates[0])"
            )
            page.evaluate(DRAG_SCRIPT, [drag_steps])
            page.mouse.move(x, y)
            page.mouse.down()
            for k in range(drag_steps):
                angle = 2 * math.pi * k / drag_steps
                page.mouse.move(x - 40 + 40 * math.cos(angle), y + 40 * math.sin(angle))
            page.mouse.up()
            page.wait_for_timeout(100)
            moved = page.evaluate("window.labelyard.model.get('p0').geometry.coordinates[0]")
            if moved == page.evaluate(
                "window.labelyard.model.undoStack.length && JSON.parse("
                "window.labelyard.model.undoStack.at(-1)).geometries[0].coordinates[0]"
            ):
                raise SystemExit("the drag did not move the vertex; the measurement would be meaningless")
            stamps = page.evaluate("window.stopFrames_()")
            frame_gaps.extend(b - a for a, b in zip(stamps, stamps[1:], strict=False))
            saves.append(
                page.evaluate(
                    "async () => { const t = performance.now(); "
                    "await window.labelyard.saver.flush(); return performance.now() - t; }"
                )
            )
            print(f"run {run + 1}: open {opens[-1]:.0f} ms, {shapes} shapes, {len(stamps)} frames", file=sys.stderr)
        browser.close()
    return opens, frame_gaps, saves


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polygons", type=int, default=1000)
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--drag-steps", type=int, default=120)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ly-bench-") as data_dir:
        env = {**os.environ, "LABELYARD_DATA_DIR": data_dir, "DJANGO_SETTINGS_MODULE": "labelyard.settings",
               "CELERY_TASK_ALWAYS_EAGER": "1"}  # fmt: skip
        env.pop("DATABASE_URL", None)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        task_id = prepare(args.polygons, args.points)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_for_server(f"{base_url}/accounts/login/")
            opens, gaps, saves = measure(base_url, task_id, args.runs, args.drag_steps)
        finally:
            server.terminate()
            server.wait(timeout=20)
    print(f"Task: {args.polygons} polygons x {args.points} points on a {IMAGE_SIZE[0]}x{IMAGE_SIZE[1]} image, "
          f"{args.runs} runs")  # fmt: skip
    print("| measure | median | p95 | max |")
    print("|---|---|---|---|")
    print(f"| open (navigation start to shapes drawn), ms | {statistics.median(opens):.0f} | "
          f"{percentile(opens, 0.95):.0f} | {max(opens):.0f} |")  # fmt: skip
    print(f"| frame interval while dragging a vertex, ms | {statistics.median(gaps):.1f} | "
          f"{percentile(gaps, 0.95):.1f} | {max(gaps):.1f} |")  # fmt: skip
    print(f"| save after the drag (PUT of the whole document), ms | {statistics.median(saves):.0f} | "
          f"{percentile(saves, 0.95):.0f} | {max(saves):.0f} |")  # fmt: skip
    slow = sum(g > 1000 / 30 for g in gaps)
    print(f"\nFrames slower than 33 ms: {slow} of {len(gaps)}")


if __name__ == "__main__":
    main()
