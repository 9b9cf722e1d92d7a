"""An S3-compatible server for the object-storage tests: the one `.ci/run` starts (moto's server mode,
named by LABELYARD_TEST_S3_ENDPOINT), or one this test session starts on 127.0.0.1 when none is named.
Under CI=true a missing server is a failure (tests/conftest.py `unavailable`)."""

import os
import socket
import subprocess
import sys
import time
import uuid

import boto3
from boto3.s3.transfer import TransferConfig

# Credentials moto accepts; a real deployment names its own (README, docs/deploy.md).
ACCESS_KEY = "labelyard-test"
SECRET_KEY = "labelyard-test-secret"
REGION = "us-east-1"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(endpoint):
    host, port = endpoint.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


def start_local_server(checks_credentials=False):
    """Start `moto_server` on a free loopback port; returns (endpoint, process). With
    `checks_credentials`, it refuses every key it has not issued, as a real server refuses a wrong one."""
    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"} if checks_credentials else None
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not answers(endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"moto's server did not start on {endpoint}")
        time.sleep(0.1)
    return endpoint, process


def client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )


def new_bucket(endpoint):
    """A fresh, empty bucket, so tests never see each other's objects."""
    name = f"labelyard-{uuid.uuid4().hex[:16]}"
    client(endpoint).create_bucket(Bucket=name)
    return name


def environment(endpoint, bucket):
    """The environment a Labelyard process (web or worker) needs to store its files in `bucket`."""
    return {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_S3_REGION_NAME": REGION,
    }


def storages_setting(endpoint, bucket):
    """STORAGES as labelyard/settings.py builds it from `environment(endpoint, bucket)`."""
    default = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": REGION,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 3600,
            "file_overwrite": False,
            "max_memory_size": 16 * 1024 * 1024,
            "transfer_config": TransferConfig(
                multipart_threshold=64 * 1024 * 1024, multipart_chunksize=16 * 1024 * 1024, use_threads=False
            ),
        },
    }
    return {
        "default": default,
        "exports": {**default, "OPTIONS": {**default["OPTIONS"], "file_overwrite": True}},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def configured_endpoint():
    return os.environ.get("LABELYARD_TEST_S3_ENDPOINT", "")
