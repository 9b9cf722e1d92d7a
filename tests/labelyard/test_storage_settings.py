"""The storage setting: local files by default, an S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is
set (labelyard/settings.py STORAGES, docs/deploy.md), checked against a real S3-compatible server."""

import os
import subprocess
import sys

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from formats import jsonio
from tests import storage_server
from tests.conftest import ROOT


def settings_in_child(environment):
    """STORAGES["default"] as a fresh process builds it from `environment` (settings are read once)."""
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'labelyard.settings'; django.setup();"
        "from django.conf import settings; from formats import jsonio;"
        "print(jsonio.dumps(settings.STORAGES['default']).decode())"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | environment
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True)
    return jsonio.loads(out.stdout)


def test_local_files_without_a_bucket():
    assert settings_in_child({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_the_bucket_variables_select_the_s3_backend():
    environment = storage_server.environment("http://127.0.0.1:9", "team-bucket")
    assert settings_in_child(environment) == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "team-bucket",
            "endpoint_url": "http://127.0.0.1:9",
            "region_name": "us-east-1",
            "access_key": "labelyard-test",
            "secret_key": "labelyard-test-secret",
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 3600,
            "file_overwrite": False,
        },
    }


def test_files_go_to_the_bucket(s3_storage, s3_endpoint, tmp_path):
    name = default_storage.save("exports/1/2/labels.json", ContentFile(b'{"a": 1}'))
    objects = storage_server.client(s3_endpoint).list_objects_v2(Bucket=s3_storage)["Contents"]
    assert [item["Key"] for item in objects] == [name]
    with default_storage.open(name) as handle:
        assert handle.read() == b'{"a": 1}'
    assert not (tmp_path / "media").exists()
