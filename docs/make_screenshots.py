"""Screenshots of every page into docs/screenshots/, taken from a running Labelyard (`make run`).

    .venv/bin/python docs/make_screenshots.py http://127.0.0.1:8000 admin PASSWORD

Uses Debian's Chromium through Playwright (no downloaded browser). The demo project (id 1 after
`seed_demo` on a fresh database) is the subject.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PAGES = [
    ("project-list", "/"),
    ("project-create", "/projects/new"),
    ("project-home", "/projects/1/"),
    ("project-edit", "/projects/1/edit"),
    ("project-delete", "/projects/1/delete"),
    ("configuration-editor", "/projects/1/configuration"),
    ("members", "/projects/1/members"),
    ("task-list", "/projects/1/tasks"),
    ("datasets", "/datasets/"),
    ("dataset", "/datasets/1/"),
    ("import", "/projects/1/import"),
    ("export", "/projects/1/export"),
    ("releases", "/projects/1/releases"),
    ("api-tokens", "/account/api-tokens"),
    ("api-docs", "/api/docs/"),
    ("admin", "/admin/"),
]


def main(base, username, password):
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        for name, path in PAGES:
            response = page.goto(base + path)
            if response is None or response.status >= 400:
                print(f"skipped {path}: {response.status if response else 'no response'}")
                continue
            page.wait_for_timeout(800)
            page.screenshot(path=OUT / f"{name}.png", full_page=True)
            print(f"{name}.png")
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
