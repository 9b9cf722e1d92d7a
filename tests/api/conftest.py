"""Fixtures of the API tests: the export tests' signed-in admin (tests/exports/conftest.py)."""

from tests.exports.conftest import admin_client, admin_user

__all__ = ["admin_client", "admin_user"]
