"""The OpenAPI schema: every API view declares its bodies, so the schema generates without warnings,
and every operation declares the one error body of docs/api.md for its error statuses."""

import yaml
from django.core.management import call_command

# docs/api.md, "Errors": the statuses any operation can answer, all with {detail, code, errors}.
ERROR_STATUSES = {"400", "401", "403", "404", "409", "413"}


def test_schema_validates_without_warnings(tmp_path):
    """`spectacular --validate --fail-on-warn` exits non-zero on any warning or invalid schema."""
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in ("/api/tasks/{task_id}/labels", "/api/projects/{id}/imports", "/api/exports/{id}"):
        assert f"  {path}:" in text


def test_every_operation_declares_the_error_body(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail", "code", "errors"]
    assert set(error["properties"]) == {"detail", "code", "errors", "version"}
    assert error["additionalProperties"] is False
    assert error["properties"]["errors"]["items"]["required"] == ["path", "message"]
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "patch", "delete")
    ]
    assert len(operations) >= 40
    for path, method, operation in operations:
        expected = ERROR_STATUSES | ({"415"} if "requestBody" in operation else set())
        declared = {code for code in operation["responses"] if code[0] in "45"}
        assert declared == expected, f"{method.upper()} {path} declares {sorted(declared)}"
        for code in declared:
            body = operation["responses"][code]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}, f"{method.upper()} {path} {code}"
