"""Schemathesis fuzzes every operation of /api/schema/ through WSGI: no request may produce a 5xx,
and every answer is one the schema declares, errors included (tests/conformance.py).

Kept small for CI by a bounded number of examples per operation; raise SCHEMATHESIS_EXAMPLES for a
deeper local run. The caller is a project admin with a token, so requests reach real objects.
"""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

from labeling.creation import create_project
from projects import tokens
from tests.conformance import CHECKS

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
CONFIGURATION = {
    "entries": [
        {
            "key": "car",
            "name": "Car",
            "kind": "polygon",
            "children": [{"key": "kind", "kind": "option", "options": ["a", "b"]}],
        },
        {"key": "weather", "name": "Weather", "kind": "checklist", "options": ["sun", "rain"]},
    ]
}


@pytest.fixture(autouse=True)
def _requests_in_test_transaction(requests_in_test_transaction):
    """Schemathesis calls the WSGI app directly (tests.conftest.requests_in_test_transaction)."""


@pytest.fixture
def token(django_user_model):
    owner = django_user_model.objects.create_user("fuzzer")
    create_project("Fuzzed", CONFIGURATION, owner=owner)
    return tokens.create_token(owner, "schemathesis")[1]


# Loaded at collection: the schema is generated from the URL conf and needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_is_declared(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
