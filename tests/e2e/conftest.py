"""Browser-test fixtures: Debian's Chromium driven by Playwright, logged-in pages, a demo-like project.

Chromium is the system one at /usr/bin/chromium (never a downloaded browser); without it the
tests skip on a laptop and fail under CI=true (tests.conftest.unavailable).
"""

import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from demo.seeding import CONFIGURATION, street_image
from labeling.creation import create_project
from labeling.lifecycle import move_all
from labeling.states import State
from projects.models import ProjectMember
from tests.conftest import require, unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 900}


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    sync_playwright = require("playwright.sync_api").sync_playwright

    # Playwright's sync API keeps an asyncio loop on the test thread; Django then refuses ORM calls
    # from that thread unless told that this is intended (the calls are still synchronous).
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_as(chromium, live_server, transactional_db):
    """open_as(user, path) -> a Playwright page of a fresh browser context logged in as `user`.

    Without `path` the page is not navigated yet, so a test can listen for events of the first
    load (dialogs, requests) before calling page.goto.
    """
    contexts = []

    def open_page(user, path=None):
        client = Client()
        client.force_login(user)
        context = chromium.new_context(viewport=VIEWPORT)
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
              "url": live_server.url}]
        )  # fmt: skip
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        if path is not None:
            page.goto(live_server.url + path)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def street_project(chromium, transactional_db):
    """The demo configuration (every entry kind) on two generated 640x480 street images, tasks waiting."""
    users = {role: get_user_model().objects.create(username=role) for role in ("admin", "labeler", "reviewer")}
    with tempfile.TemporaryDirectory() as folder:
        for i in range(2):
            street_image(i).save(Path(folder) / f"street_{i + 1}.png")
        project = create_project("Streets", CONFIGURATION, owner=users["admin"], images_dir=folder)
    for role in ("labeler", "reviewer"):
        ProjectMember.objects.create(project=project, user=users[role], role=role)
    move_all(project.tasks.all(), State.BACKLOG, State.WAITING)
    return project, users


def wait_ready(page):
    """Wait until the workspace has loaded its labels and drawn them."""
    page.wait_for_selector("body[data-workspace-ready=true]", timeout=15_000)


def at(page, x, y):
    """The client (screen) position of image pixel (x, y) in the workspace."""
    return page.evaluate("([x, y]) => window.labelyard.view.toScreen(x, y)", [x, y])


def click_at(page, x, y):
    page.mouse.click(*at(page, x, y))


def drag(page, start, end, steps=5):
    page.mouse.move(*at(page, *start))
    page.mouse.down()
    page.mouse.move(*at(page, *end), steps=steps)
    page.mouse.up()


def wait_saved(page):
    page.wait_for_selector("#save-status[data-state=saved]", timeout=10_000)
