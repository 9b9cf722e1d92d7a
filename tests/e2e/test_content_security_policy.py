"""Every page works in Chromium under the Content-Security-Policy (labelyard/content_security_policy.py):
no violation is reported, the workspace draws, Swagger UI renders, and the behaviours that were
inline handlers (confirm, submit on change) still work from static/js/behaviours.js, and the dataset
page's URL-import progress (static/projects/url-imports.js) polls the API and reloads when done."""

import pytest

from projects.models import ProjectMember, UrlImportItem, UrlImportJob
from tests.e2e.conftest import wait_ready

# Chromium reports each refused script, style or handler on the console with this wording.
VIOLATION_WORDS = "Content Security Policy"


def watch(page):
    """Collect the page's CSP violations (console reports and securitypolicyviolation events)."""
    page.violations = []
    page.on("console", lambda message: VIOLATION_WORDS in message.text and page.violations.append(message.text))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) => "
        "(window.__violations = window.__violations || []).push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    return page


def visit(page, url, ready=None):
    page.goto(url)
    if ready:
        page.wait_for_selector(ready, timeout=15_000)
    page.wait_for_load_state("networkidle")
    reported = page.evaluate("window.__violations || []")
    assert page.violations == [] and reported == [], (url, page.violations, reported)
    assert page.errors == [], (url, page.errors)


@pytest.mark.browser
def test_pages_run_under_the_policy(open_as, street_project, live_server, django_user_model):
    project, users = street_project
    admin = users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    page = watch(open_as(admin, "/"))
    task = project.tasks.order_by("pk").first()
    dataset = project.datasets.get()
    pages = [
        ("/", None),
        (f"/projects/{project.pk}/", None),
        (f"/projects/{project.pk}/configuration", ".config-row"),
        (f"/projects/{project.pk}/members", None),
        (f"/projects/{project.pk}/tasks", None),
        (f"/projects/{project.pk}/import", None),
        (f"/projects/{project.pk}/export", None),
        (f"/projects/{project.pk}/releases", None),
        ("/datasets/", None),
        (f"/datasets/{dataset.pk}/", "#drop-zone"),
        ("/account/api-tokens", None),
        (f"/tasks/{task.pk}/label", "body[data-workspace-ready=true]"),
        ("/api/docs/", ".swagger-ui .info .title"),
        ("/admin/", None),
        (f"/admin/auth/user/{admin.pk}/change/", None),
    ]
    for path, ready in pages:
        visit(page, live_server.url + path, ready)
    page.goto(f"{live_server.url}/tasks/{task.pk}/label")
    wait_ready(page)

    # A role select submits its form when changed.
    page.goto(f"{live_server.url}/projects/{project.pk}/members")
    with page.expect_navigation():
        page.select_option(f'select[aria-label="Role of {users["labeler"].username}"]', "reviewer")
    assert ProjectMember.objects.get(project=project, user=users["labeler"]).role == "reviewer"

    # A URL import in progress: the page polls its job through the API (connect-src) and moves the
    # counts, then reloads once the job is done. No worker runs here; the test plays its part.
    job = UrlImportJob.objects.create(dataset=dataset, created_by=admin)
    for index in range(2):
        UrlImportItem.objects.create(job=job, index=index, url=f"https://images.example/{index}.png")
    visit(page, f"{live_server.url}/datasets/{dataset.pk}/", f'tr[data-job="{job.pk}"] .added')
    assert page.text_content(f'tr[data-job="{job.pk}"] .added') == "0 of 2"
    job.items.filter(index=0).update(state=UrlImportItem.State.ADDED)
    page.wait_for_selector(f'tr[data-job="{job.pk}"] .added:text-is("1 of 2")', timeout=15_000)
    job.items.filter(index=1).update(state=UrlImportItem.State.FAILED, error="1.png: no such image")
    with page.expect_navigation(timeout=15_000):
        UrlImportJob.objects.filter(pk=job.pk).update(state=UrlImportJob.State.DONE)
    assert page.text_content(f'tr[data-job="{job.pk}"] .state').strip() == "Done"
    assert page.violations == [] and page.evaluate("window.__violations || []") == []

    # Detach asks first: dismissed, nothing changes.
    page.goto(f"{live_server.url}/datasets/{dataset.pk}/")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.click("form.attach-row button:has-text('Detach')")
    page.wait_for_timeout(300)
    assert questions and questions[0].startswith("Detaching removes this dataset's tasks")
    assert project.datasets.filter(pk=dataset.pk).exists()
    assert page.violations == []


@pytest.mark.browser
def test_login_page_under_the_policy(chromium, live_server, django_user_model):
    django_user_model.objects.create_user("erin", password="erins-long-password")
    context = chromium.new_context()
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    watch(page)
    visit(page, live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "erin")
    page.fill("input[name=password]", "erins-long-password")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == live_server.url + "/"
    assert page.violations == []
    context.close()
