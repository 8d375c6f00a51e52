"""Log rows whose commit does not wait for the disk (issue 18): the access log and the audit events.

A view writes one access-log row; on PostgreSQL its commit waits for the write-ahead log to reach the disk (here
about 2.7 ms), and with gunicorn's sync workers that wait is the worker's, not the database's. `log_transaction()`
opens the transaction that holds only such rows and, on PostgreSQL, sets `synchronous_commit` off for that one
transaction (`SET LOCAL`): the commit returns once the row is in the server's memory, and the WAL writer flushes it
within three times `wal_writer_delay` (600 ms by default).

What this trades (README, design notes): a crash of the *database server* (or its machine) in that window loses
those last log rows; it never loses or tears any other data, never leaves a partial row and never reorders
commits (PostgreSQL docs, "Asynchronous Commit"). A crash of the portal loses nothing. Only transactions that
`log_transaction()` opens itself are relaxed: called inside a caller's transaction (a document upload, a rights
change, the token step) it adds nothing, not even a savepoint, and the caller's commit waits for the disk as always.
LOG_ROWS_WAIT_FOR_DISK=1 turns the relaxation off.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction


@contextmanager
def log_transaction():
    """A transaction for log rows only; see the module's docstring for what its commit does not wait for."""
    outermost = not connection.in_atomic_block
    with transaction.atomic(savepoint=False):  # nested: no savepoint, the caller's transaction as before
        if (
            outermost
            and connection.vendor == "postgresql"
            and not getattr(settings, "LOG_ROWS_WAIT_FOR_DISK", False)
        ):
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield
