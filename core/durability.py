"""Log rows whose commit may skip the wait for the disk (issue 18, opt-in): the access log and the audit events.

A view writes one access-log row; on PostgreSQL its commit waits for the write-ahead log to reach the disk (0.3 to
2.7 ms on this project's machine, depending on the day), and with gunicorn's sync workers that wait is the worker's,
not the database's. `log_transaction()` opens the transaction that holds only such rows and, on PostgreSQL, sets
`synchronous_commit` off for that one transaction (`SET LOCAL`): the commit returns once the row is in the server's
memory, and the WAL writer flushes it within three times `wal_writer_delay` (600 ms by default).

What this trades (README, design notes): a crash of the *database server* (or its machine) in that window loses
those last log rows, and the writes that belong to such a row and are made in its transaction: the login's
`last_login` beside its event (core/audit.record's `along`), so a password-reset link made before a lost login
could work again until the next login. It never loses or tears any other data, never leaves a partial row and
never reorders commits (PostgreSQL docs, "Asynchronous Commit"). A crash of the portal loses nothing. Only
transactions that `log_transaction()` opens itself are relaxed: called inside a caller's transaction (a document
upload, a rights change, the token step) it adds nothing, not even a savepoint, and the caller's commit waits for
the disk as always.
It is off unless LOG_ROWS_WAIT_FOR_DISK=0: on this project's machines a flush took 0.3-2.7 ms and the side-by-side
runs showed no gain beyond their noise (bench/RESULTS.md), so by default every commit waits; an operator whose disk
flushes slowly (a network volume) may choose the trade.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction


def _relaxed() -> bool:
    """A transaction opened now may skip the wait: PostgreSQL, no caller's transaction around, and chosen."""
    return (
        not connection.in_atomic_block
        and connection.vendor == "postgresql"
        and not getattr(settings, "LOG_ROWS_WAIT_FOR_DISK", True)
    )


@contextmanager
def log_transaction():
    """A transaction for log rows only (several statements); see the module's docstring for what its commit may
    skip."""
    relaxed = _relaxed()
    with transaction.atomic(savepoint=False):  # nested: no savepoint, the caller's transaction as before
        if relaxed:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


@contextmanager
def log_row():
    """Around one log INSERT: in a relaxed transaction of its own when the relaxation applies; otherwise exactly as
    before (autocommit, or the caller's transaction), with no BEGIN/COMMIT added."""
    if _relaxed():
        with log_transaction():
            yield
    else:
        yield
