"""Fixtures shared by every test: isolated media storage, eager Celery by default, and a real
Celery worker process for the tests that need one. Under CI=true a missing service fails."""

import importlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.core import signals
from django.db import close_old_connections, connection

from labelyard.celery import app as celery_app
from tests import storage_server

ROOT = Path(__file__).resolve().parent.parent


def in_ci():
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason):
    """Skip with `reason` on a laptop; fail under CI, where every service must be there."""
    if in_ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def require(module):
    """Import and return `module`; without it skip on a laptop and fail under CI=true, where every
    test dependency is installed (pytest.importorskip would skip silently there)."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        unavailable(f"`{module}` cannot be imported: {error}")


def require_postgresql(what):
    """Call in tests whose proof needs concurrent transactions: SQLite serialises writers, so there
    `what` ran without true parallelism. CI runs on PostgreSQL; under CI=true another engine fails."""
    if connection.vendor != "postgresql":
        unavailable(f"{what}: PostgreSQL is needed (DATABASE_URL), {connection.vendor} serialises writers")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run inline unless a test asks for a worker process."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture
def requests_in_test_transaction(db):
    """For WSGI calls made outside Django's test client (schemathesis): like the test client, keep
    the end of each request from closing the database connection, which would abort the test's
    transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def database_url():
    """A DATABASE_URL naming the test database this session uses, for child processes."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture
def celery_worker(transactional_db, settings, media_root):
    """A real `celery worker` process on a private queue, reading this session's test database.

    Yields the Popen; tasks sent while it runs are delivered through the configured broker.
    """
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "LABELYARD_MEDIA_ROOT": str(media_root),
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    log = open(Path(media_root).parent / f"{queue}.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "labelyard", "worker", "-Q", queue, "--concurrency=2",
         "--loglevel=info", "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{queue}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    celery_app.conf.task_always_eager = False
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    process.queue = queue
    process.log_path = log.name
    try:
        yield process
    finally:
        celery_app.conf.task_default_queue = previous_queue
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_for(predicate, timeout=30.0, interval=0.1, message="condition"):
    """Poll `predicate` until it returns a truthy value; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {message}")


@pytest.fixture(scope="session")
def s3_endpoint():
    """The S3-compatible server's URL: .ci/run's (LABELYARD_TEST_S3_ENDPOINT), else one started here."""
    endpoint = storage_server.configured_endpoint()
    if endpoint:
        if not storage_server.answers(endpoint):
            unavailable(f"no S3-compatible server answers on {endpoint}")
        yield endpoint
        return
    if in_ci():
        unavailable("LABELYARD_TEST_S3_ENDPOINT is not set (.ci/run starts moto's server and sets it)")
    try:
        endpoint, process = storage_server.start_local_server()
    except (RuntimeError, OSError) as error:
        unavailable(str(error))
    yield endpoint
    process.terminate()
    process.wait(10)


@pytest.fixture
def s3_storage(settings, s3_endpoint):
    """Every stored file of this test goes to a fresh bucket on the S3-compatible server, through
    django-storages' S3 backend, as with AWS_STORAGE_BUCKET_NAME set. Returns the bucket's name."""
    bucket = storage_server.new_bucket(s3_endpoint)
    settings.STORAGES = storage_server.storages_setting(s3_endpoint, bucket)
    return bucket
