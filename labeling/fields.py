"""The labels-document column: JSON read and written with orjson, and on PostgreSQL stored as
`json` (the text as written) rather than `jsonb`.

Documents are only ever read and replaced whole, so jsonb's parsed form buys nothing here and
costs much: COPY of 10,000 import documents took 2.4 s into jsonb against 0.95 s into json, and
exports pay for jsonb-to-text on every read (docs/benchmarks.md). Django's JSONField would also
use the standard-library json module, several times slower than orjson.
"""

from django.db import models
from django.db.models.expressions import Expression
from psycopg.types.string import TextLoader

from formats import jsonio


class DocumentField(models.JSONField):
    def db_type(self, connection):
        return "json" if connection.vendor == "postgresql" else super().db_type(connection)

    def from_db_value(self, value, expression, connection):
        if isinstance(value, str | bytes):
            return jsonio.loads(value)
        return value

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None or isinstance(value, Expression):
            return super().get_db_prep_value(value, connection, prepared)
        return jsonio.dumps(value).decode()


def load_json_as_text(sender, connection, **kwargs):
    """connection_created receiver: hand `json` columns to from_db_value as text, for orjson.

    psycopg would otherwise parse them itself with the standard-library json module.
    """
    if connection.vendor == "postgresql":
        connection.connection.adapters.register_loader("json", TextLoader)
