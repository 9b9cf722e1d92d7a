"""After a large import on PostgreSQL the tasks and labels tables are vacuumed outside the import's
transaction, so the first export does not pay for the new rows' hint bits (docs/benchmarks.md)."""

import pytest
from django.db import connection, transaction

from formats import jsonio
from labeling import importing
from labeling.models import Task, TaskLabels
from labeling.states import State
from tests.conftest import unavailable
from tests.exports.conftest import make_project

POINTS = {"entries": [{"key": "poi", "name": "Point", "kind": "point"}]}


def last_vacuums():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, last_vacuum FROM pg_stat_user_tables WHERE relname IN (%s, %s)",
            [Task._meta.db_table, TaskLabels._meta.db_table],
        )
        return dict(cursor.fetchall())


def points_file(project):
    media = Task.objects.filter(project=project).values_list("media_id", flat=True)
    return jsonio.dumps(
        [{"internal_media_ID": str(m), "labels": {"poi": [{"point": [{"x": 1, "y": 2}]}]}} for m in media]
    )


@pytest.fixture
def postgresql(transactional_db):
    if connection.vendor != "postgresql":
        unavailable("the vacuum after an import is PostgreSQL's")


def test_large_import_vacuums_the_tables(postgresql):
    project = make_project("settle", POINTS, [None] * importing.SETTLE_AFTER, state=State.WAITING, size=(10, 10))
    before = last_vacuums()
    importing.import_labels(project, points_file(project))
    after = last_vacuums()
    assert set(after) == {Task._meta.db_table, TaskLabels._meta.db_table}
    assert all(after[table] is not None and after[table] != before.get(table) for table in after), (before, after)


def test_small_import_or_one_inside_a_transaction_does_not(postgresql):
    small = make_project("small", POINTS, [None] * 3, state=State.WAITING, size=(10, 10))
    before = last_vacuums()
    importing.import_labels(small, points_file(small))
    large = make_project("inside", POINTS, [None] * importing.SETTLE_AFTER, state=State.WAITING, size=(10, 10))
    with transaction.atomic():
        importing.import_labels(large, points_file(large))
    assert last_vacuums() == before
