"""Django settings. Everything a deployment changes comes from the environment (see README).

Defaults give a self-contained install: SQLite and a file-system Celery broker in LABELYARD_DATA_DIR.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from labelyard import environment

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("LABELYARD_DATA_DIR", BASE_DIR / "data")).resolve()
# Owner only: the folder holds the database, the secret key and every uploaded image.
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def _env_flag(name, default):
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def _secret_key():
    """A key from the environment, else one generated once and kept in the data folder."""
    if os.environ.get("DJANGO_SECRET_KEY"):
        return os.environ["DJANGO_SECRET_KEY"]
    path = DATA_DIR / "secret_key"
    if not path.exists() and not path.is_symlink():
        # Written whole into a new owner-only file (O_EXCL: never through a planted link), then
        # linked into place: a process starting at the same time reads either no file or the whole
        # key, and when two race, both use the one that was linked first.
        draft = DATA_DIR / f".secret_key.{os.getpid()}.{secrets.token_hex(8)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(50))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    try:
        key = path.read_text().strip()
    except OSError as error:
        raise ImproperlyConfigured(f"Cannot read the secret key file {path}: {error.strerror}.") from None
    if not key:
        raise ImproperlyConfigured(f"The secret key file {path} is empty; delete it or set DJANGO_SECRET_KEY.")
    return key


SECRET_KEY = _secret_key()
DEBUG = _env_flag("DJANGO_DEBUG", "0")
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Transport security for a site served over HTTPS, all off by default so http://127.0.0.1 keeps
# working. Behind a TLS-terminating proxy, DJANGO_SECURE_PROXY_SSL_HEADER names the header it sets
# (e.g. "X-Forwarded-Proto", meaning "X-Forwarded-Proto: https"): requests carrying it count as
# HTTPS, so the absolute URLs in exports and release files (request.build_absolute_uri) are https://.
SECURE_PROXY_SSL_HEADER = environment.proxy_ssl_header("DJANGO_SECURE_PROXY_SSL_HEADER")
SECURE_SSL_REDIRECT = _env_flag("DJANGO_SECURE_SSL_REDIRECT", "0")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _env_flag("DJANGO_SECURE_COOKIES", "0")
SECURE_HSTS_SECONDS = environment.integer("DJANGO_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_flag("DJANGO_HSTS_INCLUDE_SUBDOMAINS", "0")
SECURE_HSTS_PRELOAD = _env_flag("DJANGO_HSTS_PRELOAD", "0")
# Sent with every page (labelyard/content_security_policy.py); empty keeps the built-in policy.
LABELYARD_CONTENT_SECURITY_POLICY = os.environ.get("LABELYARD_CONTENT_SECURITY_POLICY", "").strip()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "background",
    "projects",
    "labeling",
    "exports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "labelyard.content_security_policy.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "labelyard.urls"
WSGI_APPLICATION = "labelyard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'labelyard.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend, creating the database file owner-only (labelyard/private_sqlite/).
    DATABASES["default"]["ENGINE"] = "labelyard.private_sqlite"
    # WAL lets the web process read while the worker process writes; IMMEDIATE avoids
    # "database is locked" upgrades from read to write inside transactions.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Sign-in throttling (labelyard/login_throttle.py): failed sign-ins per user name within the window
# lock that name for the window, except in browsers that signed in as it before; failures from one
# client address past the address limit make that address wait, doubling up to the maximum delay.
LABELYARD_LOGIN_FAILURE_LIMIT = environment.integer("LABELYARD_LOGIN_FAILURE_LIMIT", 5, minimum=1)
LABELYARD_LOGIN_ADDRESS_FAILURE_LIMIT = environment.integer("LABELYARD_LOGIN_ADDRESS_FAILURE_LIMIT", 50, minimum=1)
LABELYARD_LOGIN_ADDRESS_MAX_DELAY_SECONDS = environment.integer("LABELYARD_LOGIN_ADDRESS_MAX_DELAY_SECONDS", 60, 1)
LABELYARD_LOGIN_WINDOW_SECONDS = environment.integer("LABELYARD_LOGIN_WINDOW_SECONDS", 900, minimum=1)
# The client address is REMOTE_ADDR unless a reverse proxy is trusted to name it: the header it sets
# (e.g. X-Forwarded-For) and how many proxies append to it; the address is the one the outermost
# trusted proxy appended, so addresses a client writes into the header itself are ignored.
LABELYARD_TRUSTED_PROXY_HEADER = environment.header("LABELYARD_TRUSTED_PROXY_HEADER")
LABELYARD_TRUSTED_PROXY_COUNT = environment.integer("LABELYARD_TRUSTED_PROXY_COUNT", 1, minimum=1)
# Throttle counts and the dashboard cache: shared between processes with a Redis URL.
CACHES = {"default": environment.cache("LABELYARD_CACHE_URL")}
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "projects:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Every stored file (images, thumbnails, imports, export parts and files, masks, releases) goes through
# Django's storage API. The default is the local folder below; with AWS_STORAGE_BUCKET_NAME set it is an
# S3-compatible bucket through django-storages (docs/deploy.md), shared by every web and worker host.
# Files are served through permission-checked views, never directly.
MEDIA_ROOT = Path(os.environ.get("LABELYARD_MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media-files/"
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    from boto3.s3.transfer import TransferConfig

    _storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
            # Objects are private; downloads are presigned URLs that expire (after the permission check).
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": int(os.environ.get("AWS_QUERYSTRING_EXPIRE", "3600")),
            "file_overwrite": False,
            # A stored file opened whole (an image for its thumbnail, an import) spills to a temporary
            # file above this size instead of being held in memory.
            "max_memory_size": 16 * 1024 * 1024,
            # Files up to 64 MiB are one PUT streamed from disk; larger ones go in 16 MiB parts one
            # after the other, so an upload holds at most one part in memory (threaded uploads held
            # ten; docs/benchmarks.md, "2026-12-04, export to a bucket").
            "transfer_config": TransferConfig(
                multipart_threshold=64 * 1024 * 1024, multipart_chunksize=16 * 1024 * 1024, use_threads=False
            ),
        },
    }
    _job_storage = {**_storage, "OPTIONS": {**_storage["OPTIONS"], "file_overwrite": True}}
else:
    _storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    _job_storage = {**_storage, "OPTIONS": {"allow_overwrite": True}}
# "exports": the same place, for the files of export jobs and releases (projects/stored.py): a job
# that is redone writes the same names again and replaces its own files, and no save asks first
# whether a name is taken (one request less per mask on a bucket).
STORAGES = {
    "default": _storage,
    "exports": _job_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Upload limits: Pillow refuses images above this many pixels (decompression bombs).
LABELYARD_MAX_IMAGE_PIXELS = int(os.environ.get("LABELYARD_MAX_IMAGE_PIXELS", str(100_000_000)))
LABELYARD_MAX_UPLOAD_BYTES = int(os.environ.get("LABELYARD_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024)))
# Images up to this many pixels are decoded whole during the upload (checked, turned upright by
# EXIF); larger ones are checked without holding their pixels and decoded by the worker
# (projects/media.py), so a small file of many pixels cannot fill the web process's memory.
LABELYARD_IMAGE_INLINE_PIXELS = int(os.environ.get("LABELYARD_IMAGE_INLINE_PIXELS", str(16_000_000)))
# Per-user limits (projects/quotas.py); 0 turns one off. Superusers are not limited.
LABELYARD_MAX_PROJECTS_PER_USER = int(os.environ.get("LABELYARD_MAX_PROJECTS_PER_USER", "100"))
LABELYARD_MAX_STORED_BYTES_PER_USER = int(
    os.environ.get("LABELYARD_MAX_STORED_BYTES_PER_USER", str(20 * 1024 * 1024 * 1024))
)
# Images added by URL (projects/fetching.py) are fetched only from public internet addresses, so a URL
# cannot reach the cloud's metadata service, the database or anything else on the server's networks.
# Allowing private addresses is for a demo on one machine (`make run` sets it), never a deployment:
# a reverse proxy in front (DJANGO_ALLOWED_HOSTS naming only 127.0.0.1) says nothing about who adds URLs.
LABELYARD_URL_FETCH_ALLOW_PRIVATE = _env_flag("LABELYARD_URL_FETCH_ALLOW_PRIVATE", "0")
# Seconds one URL's whole fetch may take: name lookups, connections, redirects and all reads.
LABELYARD_URL_FETCH_TIMEOUT = float(os.environ.get("LABELYARD_URL_FETCH_TIMEOUT", "60"))
# Tests only, never read from the environment: addresses the check counts as public, so a server
# on one loopback address can stand for a public host (tests/projects/test_url_fetching.py).
LABELYARD_URL_FETCH_TEST_PUBLIC_ADDRESSES = frozenset()
# Label imports (labeling/importing.py): larger files get a 413; files above the inline size run
# as a background job with a progress bar instead of inside the page request.
LABELYARD_MAX_IMPORT_BYTES = int(os.environ.get("LABELYARD_MAX_IMPORT_BYTES", str(512 * 1024 * 1024)))
LABELYARD_IMPORT_INLINE_BYTES = int(os.environ.get("LABELYARD_IMPORT_INLINE_BYTES", str(4 * 1024 * 1024)))
DATA_UPLOAD_MAX_NUMBER_FILES = 1000
# How long the signed image and bitmap URLs in release files work (exports/signing.py). Their age
# is checked when used, so raising this revives the links of older releases.
LABELYARD_RELEASE_URL_MAX_AGE = int(os.environ.get("LABELYARD_RELEASE_URL_MAX_AGE", str(30 * 24 * 3600)))
# A task's labels document is sent whole (the labeling UI saves it so): 16 MiB holds about 700,000
# vertices. Larger bodies are a 413 (labelyard/api_errors.py); imports have their own limit above.
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024
# How large one task's labels may be, on save and on import (rules/shapes.py, labeling/limits.py): geometries per task
# (nested ones included), points per line or ring, holes per segmentation, and the estimated steps
# of checking that every hole lies inside its outline (about 10 ns each; the default is ~0.5 s).
LABELYARD_MAX_GEOMETRIES = int(os.environ.get("LABELYARD_MAX_GEOMETRIES", "20000"))
LABELYARD_MAX_RING_POINTS = int(os.environ.get("LABELYARD_MAX_RING_POINTS", "100000"))
LABELYARD_MAX_HOLES = int(os.environ.get("LABELYARD_MAX_HOLES", "1000"))
LABELYARD_MAX_HOLE_CHECK_WORK = int(os.environ.get("LABELYARD_MAX_HOLE_CHECK_WORK", "50000000"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Celery. Without CELERY_BROKER_URL an embedded file-system broker in the data folder lets a
# separate worker process run jobs on a machine with no broker service.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = DATA_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The folder is read every 0.1 s instead of every second: a burst of jobs (thumbnails of an
        # upload) otherwise held an export back for a minute at two messages a second.
        "polling_interval": 0.1,
    }
else:
    # Redelivery of unacknowledged (late-ack) messages after a worker dies.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Every job is idempotent by claim (background/claims.py), so a message is acknowledged only once its
# task ran, and goes back to the queue when its worker process dies.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A deployment (or a test's worker) can keep its jobs on a queue of its own.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
# Background jobs (background/): a queued or running job whose heartbeat is older than this lost its
# message or its worker; the sweeper, run by Celery beat (`celery worker -B`), sends it again.
LABELYARD_JOB_STALE_SECONDS = int(os.environ.get("LABELYARD_JOB_STALE_SECONDS", "300"))
LABELYARD_JOB_SWEEP_SECONDS = float(os.environ.get("LABELYARD_JOB_SWEEP_SECONDS", "60"))
CELERY_BEAT_SCHEDULE = {
    "sweep background jobs": {"task": "background.jobs.sweep", "schedule": LABELYARD_JOB_SWEEP_SECONDS},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = _env_flag("CELERY_TASK_ALWAYS_EAGER", "0")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# API errors are JSON everywhere under /api/ (labelyard/api_errors.py), CSRF failures included.
CSRF_FAILURE_VIEW = "labelyard.api_errors.csrf_failure"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "projects.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "EXCEPTION_HANDLER": "labelyard.api_errors.exception_handler",
    # orjson underneath: deeply nested JSON is a 400, not the standard library's RecursionError.
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Labelyard API",
    "DESCRIPTION": "Projects, media, label configurations, tasks, labels, imports and exports.",
    "VERSION": "1.0.0",
    # Request and response schemas apart, so read-only fields are not demanded in request bodies.
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation declares the one error body of api/errors.py.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.errors.declare_error_responses",
    ],
    # Swagger UI's files come from the drf-spectacular-sidecar package, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Task states and export job states are both fields named "state"; name their enums apart.
    "ENUM_NAME_OVERRIDES": {
        "TaskStateEnum": "labeling.states.State",
        "ExportStateEnum": "exports.models.ExportJob.State",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LABELYARD_LOG_LEVEL", "WARNING")},
}
