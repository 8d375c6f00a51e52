"""When a log row's commit is waited for (issue 18): the access log and the audit events.

Sent ahead (the default)
------------------------
In a request, on PostgreSQL, outside any transaction of a caller's, a log row written with
`core.prepared.PreparedInsert.send_along` (every audit event, every access-log row) is sent without waiting for its
answer (core/postgresql/base.py, `send_ahead`), so that the wait for its commit (the disk) overlaps the work that
follows: the session saved, the response built. The outermost middleware (core/response_boundary.py) reads every
answer before the response leaves; a row that failed turns the response into the error page (nothing of the page
reaches the user, the session cookie neither). So, as before, no response goes out before its log rows are on
disk. Any other use of that connection first reads the answer. Elsewhere (management commands, the worker, inside
a transaction, SQLite) the row is written and waited for at once.

Relaxed (opt-in)
----------------

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

import contextvars
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction

from core.response_boundary import in_request


def may_send_ahead(conn) -> bool:
    """A log row written now on `conn` may be sent ahead: in a request whose answers are read before its response
    leaves (core/response_boundary.py), every commit waits for the disk (the default), and the backend can
    (PostgreSQL, autocommit, no transaction of a caller's)."""
    return (
        in_request()
        and getattr(settings, "LOG_ROWS_WAIT_FOR_DISK", True)
        and hasattr(conn, "send_ahead")
        and conn.can_send_ahead()
    )


_COMMIT_AHEAD = contextvars.ContextVar("commit_ahead", default=False)


@contextmanager
def atomic_committed_ahead():
    """`transaction.atomic()` whose COMMIT, in a request on PostgreSQL, is sent ahead and read at the response's
    edge, as a log row is. For a transaction after which only the session and the response depend on it (the token
    step's device and event): if the COMMIT fails, the error page goes out instead of the response. Not where
    on_commit hooks are registered (those then commit as usual), and nested in a caller's transaction it is plain
    atomic()."""
    token = _COMMIT_AHEAD.set(True)
    try:
        with transaction.atomic():
            yield
    finally:
        _COMMIT_AHEAD.reset(token)


def commit_may_go_ahead(conn) -> bool:
    """The COMMIT being made now on `conn` may be sent ahead (core/postgresql/base.py `_commit`)."""
    return _COMMIT_AHEAD.get() and in_request() and not conn.run_on_commit and not conn.in_atomic_block


def _relaxed() -> bool:
    """A transaction opened now may skip the wait: PostgreSQL, no caller's transaction around, and chosen."""
    return (
        not connection.in_atomic_block
        and connection.vendor == "postgresql"
        and not getattr(settings, "LOG_ROWS_WAIT_FOR_DISK", True)
    )


def wait_sent_rows() -> None:
    """Read the answer of every log row sent ahead on this thread's connections; raises the first failure."""
    failure = None
    for conn in connections.all(initialized_only=True):
        if getattr(conn, "sent_ahead", False):
            try:
                conn.wait_sent()
            except DatabaseError as exc:
                failure = failure or exc
    if failure is not None:
        raise failure


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
