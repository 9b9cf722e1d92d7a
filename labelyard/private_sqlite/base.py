"""Django's SQLite backend, except that the database file is created readable by its owner only.

SQLite creates a new database file with mode 0644 (less the umask) and gives its -wal and -shm
files the database file's mode, so creating the database file 0600 before SQLite opens it keeps
all three private. Files an older install left readable by others are narrowed to the owner when
a connection opens.
"""

import contextlib
import os
import stat

from django.db.backends.sqlite3 import base

SIDE_FILES = ("", "-wal", "-shm", "-journal")


def make_private(database):
    """Create `database` owner-only if missing; remove group and other access from it and its side files."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for suffix in SIDE_FILES:
        path = database + suffix
        try:
            info = os.stat(path)
        except FileNotFoundError:
            continue
        if info.st_uid == os.geteuid() and info.st_mode & 0o077:
            os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        database = str(conn_params["database"])
        # A "file:" URI (in-memory test databases) is SQLite's to interpret; plain names are paths.
        if not self.is_in_memory_db() and not database.startswith("file:"):
            make_private(database)
        return super().get_new_connection(conn_params)
