"""The OpenAPI schema: every API view declares its bodies, so the schema generates without warnings."""

from django.core.management import call_command


def test_schema_validates_without_warnings(tmp_path):
    """`spectacular --validate --fail-on-warn` exits non-zero on any warning or invalid schema."""
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in ("/api/tasks/{task_id}/labels", "/api/projects/{id}/imports", "/api/exports/{id}"):
        assert f"  {path}:" in text
