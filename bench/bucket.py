"""`--bucket` for the benchmarks: store every file in a fresh bucket of an S3-compatible server.

The server is the one LABELYARD_TEST_S3_ENDPOINT names, else moto's server mode started here on
127.0.0.1 (tests/storage_server.py) and stopped at exit. The bucket's variables go into the
environment before Django reads its settings, so this process and the worker processes it starts
store their files there (labelyard/settings.py STORAGES).
"""

import atexit
import os
import sys


def from_arguments():
    """Take `--bucket` out of sys.argv and, when it was there, set up the bucket; returns a label."""
    if "--bucket" not in sys.argv:
        return "local files"
    sys.argv.remove("--bucket")
    # Imported only here: it loads boto3, which a run on local files must not carry (its memory is measured).
    from tests import storage_server  # noqa: PLC0415

    endpoint = storage_server.configured_endpoint()
    if not endpoint:
        endpoint, process = storage_server.start_local_server()
        atexit.register(process.terminate)
    bucket = storage_server.new_bucket(endpoint)
    os.environ.update(storage_server.environment(endpoint, bucket))
    return f"bucket {bucket} on {endpoint}"
