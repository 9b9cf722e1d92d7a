"""Production transport settings from the environment (labelyard/settings.py): secure cookies, HSTS,
HTTPS behind a TLS proxy, the Content-Security-Policy header; `manage.py check --deploy` is clean
with them set; the data folder, secret key and SQLite files are readable by their owner only."""

import hashlib
import os
import runpy
import secrets
import stat
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from exports.models import ExportJob
from formats import jsonio
from labelyard import content_security_policy
from labelyard.private_sqlite.base import make_private
from tests.conftest import ROOT
from tests.exports.conftest import SEED_CONFIGURATION, add_member, make_project
from tests.exports.test_releases import read, release_project

SETTINGS = ROOT / "labelyard" / "settings.py"
# What a deployment behind a TLS-terminating proxy sets (README "Configuration by environment").
PRODUCTION = {
    "DJANGO_ALLOWED_HOSTS": "labelyard.example.com",
    "DJANGO_SECURE_COOKIES": "1",
    "DJANGO_HSTS_SECONDS": "31536000",
    "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "1",
    "DJANGO_HSTS_PRELOAD": "1",
    "DJANGO_SECURE_SSL_REDIRECT": "1",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
}
VARIABLES = (*PRODUCTION, "LABELYARD_CONTENT_SECURITY_POLICY", "LABELYARD_CACHE_URL", "LABELYARD_TRUSTED_PROXY_HEADER")


@pytest.fixture
def settings_from(monkeypatch, tmp_path):
    """settings_from(**environment) -> the names labelyard/settings.py defines under that environment."""

    def load(**environment):
        for name in VARIABLES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("LABELYARD_DATA_DIR", str(tmp_path / "data"))
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS))

    return load


def run_python(code, environment, **options):
    """Run `code` in a new Python process at the repository root, with Django's settings module."""
    environment = {"DJANGO_SETTINGS_MODULE": "labelyard.settings", **environment}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, **options
    )


class TestSettings:
    def test_off_by_default_so_plain_http_works(self, settings_from):
        names = settings_from()
        assert names["SESSION_COOKIE_SECURE"] is False and names["CSRF_COOKIE_SECURE"] is False
        assert names["SECURE_HSTS_SECONDS"] == 0 and names["SECURE_SSL_REDIRECT"] is False
        assert names["SECURE_PROXY_SSL_HEADER"] is None
        assert names["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
        assert names["LABELYARD_TRUSTED_PROXY_HEADER"] is None

    def test_production_values(self, settings_from):
        names = settings_from(**PRODUCTION, LABELYARD_CACHE_URL="redis://cache.internal:6379/2")
        assert names["SESSION_COOKIE_SECURE"] is True and names["CSRF_COOKIE_SECURE"] is True
        assert names["SECURE_HSTS_SECONDS"] == 31536000
        assert names["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True and names["SECURE_HSTS_PRELOAD"] is True
        assert names["SECURE_SSL_REDIRECT"] is True
        assert names["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
        assert names["CACHES"]["default"] == {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://cache.internal:6379/2",
        }

    def test_a_proxy_header_with_its_own_value(self, settings_from):
        names = settings_from(DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Ssl: on")
        assert names["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_SSL", "on")

    @pytest.mark.parametrize(
        "variable, value",
        [
            ("DJANGO_HSTS_SECONDS", "a year"),
            ("DJANGO_HSTS_SECONDS", "-1"),
            ("DJANGO_SECURE_PROXY_SSL_HEADER", "X Forwarded Proto"),
            ("LABELYARD_TRUSTED_PROXY_HEADER", "X-Forwarded-For, X-Real-IP"),
            ("LABELYARD_CACHE_URL", "memcached://127.0.0.1:11211"),
        ],
    )
    def test_a_bad_value_stops_start_up_naming_the_variable(self, settings_from, variable, value):
        with pytest.raises(ImproperlyConfigured, match=variable):
            settings_from(**{variable: value})

    def test_check_deploy_is_clean_with_the_production_values(self, tmp_path):
        # The browser tests' session sets DJANGO_ALLOW_ASYNC_UNSAFE (tests/e2e/conftest.py); no deployment does.
        environment = {
            **{name: value for name, value in os.environ.items() if name != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            **PRODUCTION,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "LABELYARD_DATA_DIR": str(tmp_path / "data"),
        }
        result = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
class TestBehindATlsProxy:
    """A TLS-terminating proxy talks plain HTTP to the app, passes the Host header on and says
    X-Forwarded-Proto: https."""

    PROXIED = {"HTTP_HOST": "testserver", "HTTP_X_FORWARDED_PROTO": "https"}

    @pytest.fixture(autouse=True)
    def proxy_setting(self, settings, settings_from):
        settings.SECURE_PROXY_SSL_HEADER = settings_from(**PRODUCTION)["SECURE_PROXY_SSL_HEADER"]

    def test_export_urls_are_https(self, admin_client, admin_user, django_capture_on_commit_callbacks):
        project = make_project("tls", SEED_CONFIGURATION, [{"geometries": [], "classifications": {}}])
        add_member(project, admin_user)
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                f"/api/projects/{project.pk}/exports",
                {"states": ["completed"]},
                content_type="application/json",
                **self.PROXIED,
            )
        assert response.status_code == 201, response.content
        assert ExportJob.objects.get().base_url == "https://testserver"
        job = admin_client.get(f"/api/exports/{response.json()['id']}", **self.PROXIED).json()
        assert job["download_url"].startswith("https://testserver/exports/")

    def test_signed_release_urls_are_https(self, admin_client, admin_user, django_capture_on_commit_callbacks):
        project = release_project()
        add_member(project, admin_user)
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                f"/api/projects/{project.pk}/releases",
                {"name": "tls"},
                content_type="application/json",
                **self.PROXIED,
            )
        assert response.status_code == 201, response.content
        release = admin_client.get(f"/api/releases/{response.json()['id']}", **self.PROXIED).json()
        assert release["download_url"].startswith("https://testserver/releases/")
        sample = read(project.releases.get())["dataset"]["samples"][0]
        assert sample["attributes"]["image"]["url"].startswith("https://testserver/release-files/")

    def test_without_the_header_the_request_is_plain_http(self, admin_client, admin_user):
        project = make_project("plain", SEED_CONFIGURATION, [{"geometries": [], "classifications": {}}])
        add_member(project, admin_user)
        body = {"states": ["completed"]}
        admin_client.post(f"/api/projects/{project.pk}/exports", body, content_type="application/json")
        assert ExportJob.objects.get().base_url == "http://testserver"


@pytest.mark.django_db
class TestContentSecurityPolicy:
    def test_every_page_carries_the_policy(self, client, django_user_model):
        client.force_login(django_user_model.objects.create_user("carol"))
        for path in ("/accounts/login/", "/", "/api/docs/", "/api/projects"):
            policy = client.get(path)["Content-Security-Policy"]
            assert "script-src 'self'" in policy and "object-src 'none'" in policy, path
            assert "'unsafe-inline'" not in policy.replace("style-src-attr 'unsafe-inline'", ""), path

    def test_a_deployment_may_replace_it(self, client, settings):
        settings.LABELYARD_CONTENT_SECURITY_POLICY = "default-src 'self' https://images.example.com"
        assert client.get("/accounts/login/")["Content-Security-Policy"] == settings.LABELYARD_CONTENT_SECURITY_POLICY

    def test_the_api_docs_page_has_no_inline_script_or_style(self, client, django_user_model):
        client.force_login(django_user_model.objects.create_user("dave"))
        page = client.get("/api/docs/").content.decode()
        assert "<style" not in page and "<script>" not in page
        script = client.get("/api/docs/?script=")
        assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()

    def test_the_built_in_policy(self):
        assert content_security_policy.POLICY.startswith("default-src 'self'; script-src 'self'; style-src 'self';")


def owner_only(path):
    return stat.S_IMODE(path.stat().st_mode)


class TestPrivateFiles:
    def test_a_new_install_keeps_its_files_to_its_owner(self, tmp_path):
        """A first start with a usual umask (022): the data folder is 0700; the secret key, the SQLite
        database and its WAL and shared-memory files are 0600."""
        data = tmp_path / "data"
        environment = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "DATABASE_URL")}
        environment["LABELYARD_DATA_DIR"] = str(data)
        code = (
            "import django, json, os, stat; django.setup()\n"
            "from django.db import connection\n"
            "with connection.cursor() as cursor:\n"
            "    cursor.execute('CREATE TABLE probe (x)'); cursor.execute('INSERT INTO probe VALUES (1)')\n"
            "folder = os.environ['LABELYARD_DATA_DIR']\n"
            # While the connection is open, the -wal and -shm files exist.
            "names = ('.', 'secret_key', 'labelyard.sqlite3', 'labelyard.sqlite3-wal', 'labelyard.sqlite3-shm')\n"
            "print(json.dumps({n: oct(stat.S_IMODE(os.stat(os.path.join(folder, n)).st_mode)) for n in names}))\n"
        )
        result = run_python(code, environment, umask=0o022)
        assert result.returncode == 0, result.stderr
        assert jsonio.loads(result.stdout) == {
            ".": "0o700",
            "secret_key": "0o600",
            "labelyard.sqlite3": "0o600",
            "labelyard.sqlite3-wal": "0o600",
            "labelyard.sqlite3-shm": "0o600",
        }

    def test_an_older_installs_database_files_are_narrowed(self, tmp_path):
        database = tmp_path / "labelyard.sqlite3"
        for path in (database, tmp_path / "labelyard.sqlite3-wal"):
            path.write_bytes(b"")
            path.chmod(0o644)
        make_private(str(database))
        assert owner_only(database) == 0o600 and owner_only(tmp_path / "labelyard.sqlite3-wal") == 0o600

    def test_the_secret_key_is_never_written_through_a_planted_link(self, settings_from, monkeypatch, tmp_path):
        """Someone who can write to the data folder links secret_key to a file of theirs; the key is not
        written there (O_EXCL refuses the link) and start-up stops with a message."""
        monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
        (tmp_path / "data").mkdir()
        elsewhere = tmp_path / "theirs" / "key"
        elsewhere.parent.mkdir()
        (tmp_path / "data" / "secret_key").symlink_to(elsewhere)
        with pytest.raises(ImproperlyConfigured, match="secret key file"):
            settings_from()
        assert not elsewhere.exists()

    def test_processes_starting_together_share_one_key(self, tmp_path):
        """The web server's workers and the Celery worker start at once on a new install: all of them
        must sign with the same key, or sessions and release URLs break between them."""
        environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
        environment.update(LABELYARD_DATA_DIR=str(tmp_path / "data"), DJANGO_SETTINGS_MODULE="labelyard.settings")
        code = "from django.conf import settings; print(settings.SECRET_KEY)"
        processes = [
            subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=environment, stdout=subprocess.PIPE, text=True)
            for _ in range(6)
        ]
        keys = {process.communicate(timeout=120)[0].strip() for process in processes}
        assert len(keys) == 1 and len(next(iter(keys))) >= 50
        assert {hashlib.sha256(key.encode()).hexdigest() for key in keys} == {
            hashlib.sha256((tmp_path / "data" / "secret_key").read_text().strip().encode()).hexdigest()
        }
        assert sorted(p.name for p in (tmp_path / "data").iterdir() if p.name.startswith(".secret_key")) == []
