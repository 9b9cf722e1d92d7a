"""Adding images by URL as a background job: the dataset page, the native API and the DataGym v1
API queue a UrlImportJob, a worker fetches each URL and stores it like an upload, and progress
and each URL's outcome show on the page and in the API. Images come from a real local server;
private fetching is allowed so it is reachable (the address rules: tests/projects/test_url_fetching.py)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from formats import jsonio
from labeling import url_imports
from labeling.creation import create_project
from labeling.models import Task
from projects import tokens
from projects.members import add_member
from projects.models import Dataset, Media, UrlImportItem, UrlImportJob
from tests.conftest import wait_for
from tests.projects.url_servers import WebServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner")


@pytest.fixture
def project(owner):
    return create_project("By URL", None, owner=owner)


@pytest.fixture
def dataset(owner, project):
    dataset = Dataset.objects.create(name="by_url", created_by=owner)
    project.datasets.add(dataset)
    return dataset


@pytest.fixture
def server(settings):
    settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = True
    server = WebServer("127.0.0.1")
    yield server
    server.close()


@pytest.fixture
def key(owner):
    return tokens.create_token(owner, "url imports")[1]


def api(client, key, method, path, body=None):
    return client.generic(
        method,
        path,
        jsonio.dumps(body) if body is not None else "",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )


class TestPage:
    def test_queues_then_shows_each_outcome(
        self, client, owner, project, dataset, server, django_capture_on_commit_callbacks
    ):
        client.force_login(owner)
        urls = [server.url("/street.png"), server.url("/missing.png"), server.url("/notes.png")]
        with django_capture_on_commit_callbacks() as queued:
            response = client.post(reverse("projects:dataset_urls", args=[dataset.pk]), {"urls": "\n".join(urls)})
        assert response.status_code == 302 and response.url.endswith("#url-imports")
        assert server.hits == [], "nothing is fetched inside the request"
        page = client.get(response.url).content.decode()
        assert "Fetching 3 URL(s) in the background." in page
        assert '<progress max="100" value="0">' in page and "0 of 3" in page

        for callback in queued:
            callback()  # what the worker does once the request's transaction commits
        page = client.get(response.url).content.decode()
        assert "Done" in page and "1 of 3" in page
        assert f"{urls[1]}: the server answered 404." in page
        assert "`notes.png` is not an image." in page
        media = Media.objects.get()
        assert (media.original_name, media.source_url, media.width) == ("street.png", urls[0], 40)
        assert Task.objects.filter(project=project, media=media).exists()

    def test_a_bad_line_queues_nothing(self, client, owner, dataset):
        client.force_login(owner)
        text = "http://example.org/a.png\nftp://example.org/b.png\nhttp://example.org/"
        response = client.post(reverse("projects:dataset_urls", args=[dataset.pk]), {"urls": text})
        assert response.status_code == 400
        page = response.content.decode()
        assert "ftp://example.org/b.png: only http and https URLs can be added." in page
        assert "http://example.org/: the URL does not end in a file name." in page
        assert text in page  # the list is shown again to be fixed
        assert not UrlImportJob.objects.exists()


class TestApi:
    def test_post_answers_202_and_the_job_shows_progress(
        self, client, key, dataset, server, django_capture_on_commit_callbacks
    ):
        urls = [server.url("/street.png"), server.url("/missing.png")]
        with django_capture_on_commit_callbacks() as queued:
            response = api(client, key, "POST", f"/api/datasets/{dataset.pk}/url-imports", {"urls": urls})
        assert response.status_code == 202, response.content
        job = response.json()
        assert (job["status"], job["total"], job["added"], job["failed"], job["progress"]) == ("queued", 2, 0, 0, 0)
        assert [(i["url"], i["state"], i["media"]) for i in job["items"]] == [(u, "queued", None) for u in urls]
        assert server.hits == []

        for callback in queued:
            callback()
        job = api(client, key, "GET", f"/api/url-imports/{job['id']}").json()
        assert (job["status"], job["total"], job["added"], job["failed"], job["progress"]) == ("done", 2, 1, 1, 100)
        media = Media.objects.get()
        assert job["items"] == [
            {"url": urls[0], "state": "added", "media": str(media.pk), "error": ""},
            {"url": urls[1], "state": "failed", "media": None, "error": f"{urls[1]}: the server answered 404."},
        ]
        listed = api(client, key, "GET", f"/api/datasets/{dataset.pk}/url-imports").json()
        assert [(j["id"], j["added"]) for j in listed["results"]] == [(job["id"], 1)]

    @pytest.mark.parametrize(
        ("urls", "messages"),
        [
            (["ftp://example.org/a.png", "http://example.org/"],
             ["ftp://example.org/a.png: only http and https URLs can be added.",
              "http://example.org/: the URL does not end in a file name."]),
            ([], ["Give at least one URL."]),
            ([f"http://example.org/{i}.png" for i in range(501)], ["At most 500 URLs at once."]),
            (["http://[::1/a.png"], None),
        ],
        ids=["schemes-and-names", "empty", "too-many", "unparsable"],
    )  # fmt: skip
    def test_bad_lists_are_400_and_queue_nothing(self, client, key, dataset, urls, messages):
        response = api(client, key, "POST", f"/api/datasets/{dataset.pk}/url-imports", {"urls": urls})
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["code"] and body["detail"]
        assert {e["path"] for e in body["errors"]} == {"urls"}
        if messages is not None:
            assert [e["message"] for e in body["errors"]] == messages
        assert not UrlImportJob.objects.exists()

    def test_readers_cannot_start_or_follow_imports(self, client, django_user_model, project, dataset):
        labeler = django_user_model.objects.create_user("labeler")
        add_member(project, "labeler", "labeler")
        job = UrlImportJob.objects.create(dataset=dataset)
        key = tokens.create_token(labeler, "reader")[1]
        body = {"urls": ["http://example.org/a.png"]}
        assert api(client, key, "POST", f"/api/datasets/{dataset.pk}/url-imports", body).status_code == 403
        assert api(client, key, "GET", f"/api/url-imports/{job.pk}").status_code == 403
        assert api(client, key, "GET", "/api/url-imports/999999").status_code == 404


class TestDataGymV1:
    def test_success_carries_the_id_the_image_gets(
        self, client, key, dataset, server, django_capture_on_commit_callbacks
    ):
        good, missing = server.url("/street.png"), server.url("/missing.png")
        body = [good, missing, server.url("/anim.gif"), "ftp://example.org/a.png"]
        with django_capture_on_commit_callbacks() as queued:
            statuses = client.post(f"/api/v1/media/{dataset.pk}/url?token={key}", body, "application/json").json()
        assert [s["mediaUploadStatus"] for s in statuses] == ["SUCCESS", "SUCCESS", "UNSUPPORTED_MIME_TYPE", "FAILED"]
        assert statuses[0]["external_media_ID"] == "street.png"
        assert server.hits == []
        # Asked again before the worker ran: already on its way.
        again = client.post(f"/api/v1/media/{dataset.pk}/url?token={key}", [good], "application/json").json()
        assert again[0]["mediaUploadStatus"] == "DUPLICATE"

        for callback in queued:
            callback()
        media = Media.objects.get()
        assert str(media.pk) == statuses[0]["internal_media_ID"] and media.source_url == good
        assert not Media.objects.filter(pk=statuses[1]["internal_media_ID"]).exists()
        again = client.post(f"/api/v1/media/{dataset.pk}/url?token={key}", [good], "application/json").json()
        assert again[0]["mediaUploadStatus"] == "DUPLICATE"

    def test_more_than_500_urls_are_refused(self, client, key, dataset):
        body = [f"http://example.org/{i}.png" for i in range(501)]
        response = client.post(f"/api/v1/media/{dataset.pk}/url?token={key}", body, "application/json")
        assert response.status_code == 400 and response.json()["key"] == "ex_validation"
        assert not UrlImportJob.objects.exists()


class TestJobRuns:
    def make_job(self, dataset, server, state=UrlImportJob.State.QUEUED, **fields):
        job = UrlImportJob.objects.create(dataset=dataset, state=state, **fields)
        for index, name in enumerate(["a.png", "b.png"]):
            UrlImportItem.objects.create(job=job, index=index, url=server.url(f"/{name}"))
        return job

    def test_a_lost_worker_is_replaced_and_nothing_is_stored_twice(self, dataset, server):
        """A job left RUNNING by a killed worker is taken over once its heartbeat is stale; the URL
        stored before the kill is not fetched again."""
        stale = timezone.now() - timedelta(hours=1)
        job = self.make_job(dataset, server, UrlImportJob.State.RUNNING, attempts=1, heartbeat=stale)
        first = job.items.get(index=0)
        url_imports.add_image_from_url(dataset, first.url, first.media_id)
        job.items.filter(index=0).update(state=UrlImportItem.State.ADDED)
        server.hits.clear()

        assert url_imports.run_url_import(job.pk) is None
        job.refresh_from_db()
        assert (job.state, job.attempts) == ("done", 2)
        assert server.hits == ["/b.png"]
        assert sorted(Media.objects.values_list("original_name", flat=True)) == ["a.png", "b.png"]

    def test_a_held_job_is_left_alone(self, dataset, server):
        job = self.make_job(dataset, server, UrlImportJob.State.RUNNING, attempts=1, heartbeat=timezone.now())
        wait = url_imports.run_url_import(job.pk)
        assert wait is not None and wait > 0
        assert server.hits == [] and UrlImportJob.objects.get(pk=job.pk).attempts == 1

    def test_a_job_that_keeps_losing_its_worker_fails(self, dataset, server):
        stale = timezone.now() - timedelta(hours=1)
        job = self.make_job(dataset, server, UrlImportJob.State.RUNNING, attempts=3, heartbeat=stale)
        assert url_imports.run_url_import(job.pk) is None
        job.refresh_from_db()
        assert job.state == "failed" and job.error == "The worker fetching these URLs stopped 3 times."
        assert set(job.items.values_list("state", flat=True)) == {"failed"}
        assert server.hits == []


@pytest.fixture
def worker_may_fetch_loopback(monkeypatch):
    """The worker process reads its settings from the environment."""
    monkeypatch.setenv("LABELYARD_URL_FETCH_ALLOW_PRIVATE", "1")


@pytest.mark.worker
def test_a_worker_process_fetches_what_the_page_queued(
    worker_may_fetch_loopback, celery_worker, client, django_user_model
):
    """The page's request only queues; a separate worker process fetches and stores the image. The
    URL names `localhost`, so the worker's name lookup (run on a thread, bound by the deadline)
    is exercised in a forked worker process too."""
    owner = django_user_model.objects.create_user("worker_owner")
    dataset = Dataset.objects.create(name="by_worker", created_by=owner)
    server = WebServer("127.0.0.1")
    try:
        client.force_login(owner)
        url = f"http://localhost:{server.port}/street.png"
        client.post(reverse("projects:dataset_urls", args=[dataset.pk]), {"urls": url})
        job = UrlImportJob.objects.get(dataset=dataset)

        def finished():
            return UrlImportJob.objects.filter(pk=job.pk, state=UrlImportJob.State.DONE).exists()

        wait_for(finished, timeout=60, message=f"the worker (log: {celery_worker.log_path})")
    finally:
        server.close()
    media = Media.objects.get(dataset=dataset)
    assert (media.original_name, media.width) == ("street.png", 40)
    assert server.hits == ["/street.png"]
