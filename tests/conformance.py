"""The schemathesis checks every fuzzed API response must pass: no 5xx, and the response is the
one /api/schema/ declares (status code, content type, body), errors included (api/errors.py)."""

from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
