"""Django's PostgreSQL backend (issue 18), with two changes: its per-request connection health check asks the socket
first, and a log row may be sent ahead, its commit read back later (`send_ahead`, core/durability.py).

The health check
----------------
With CONN_HEALTH_CHECKS (portal/settings/base.py), Django sends `SELECT 1` before the first query of every request
on a kept connection, so that a connection the server dropped (a restart, `pg_terminate_backend`, an idle timeout)
is replaced instead of failing that request. That costs a round trip on every request, about 0.2 ms of wall time
on this project's machines, on pages that make one or two queries.

A server that drops a connection tells the client: it sends its last message (FATAL, "terminating connection")
and closes the socket, which makes the idle socket readable. So a kept connection that psycopg sees as healthy and
idle (no transaction open), whose socket has nothing to read, is taken as usable without the round trip; anything
else (something to read, an error or hang-up on the socket, another state, psycopg 2, any doubt) runs Django's
check as before.

What this trades: a connection whose server side is gone *without a word to this socket* is found by the request's
first query instead of by `SELECT 1`. Where the network answers that query at once with a reset (the database's
address moved to another machine in a failover, a firewall or load balancer that forgot the connection), Django's
check would have replaced the connection and the request would have worked; here that one request fails (an
error page, nothing written: its transaction never started) and Django replaces the connection after it. Where
nothing answers at all (a cut network), both wait alike. DATABASE_CONN_MAX_AGE (60 s by default) keeps every
connection younger than a minute, well under the idle timeouts of common load balancers and NAT gateways.

A write sent ahead
------------------
`send_ahead(sql, params)` sends one autocommit write (one query message: PostgreSQL runs its statements as one
transaction) and returns without reading the answer, so that the wait for its commit (the disk) overlaps the work
that follows; `wait_sent()` reads the answer and raises the write's error. Until then the connection serves no one
else: every statement, transaction start, commit, rollback, health check and close on it first calls
`wait_sent()`, so nothing can interleave with the write or read its answer as its own. When the answer is read is
core/durability.py's rule (before the response leaves). The COMMIT of a transaction opened with
`durability.atomic_committed_ahead()` is sent the same way (`_commit`); atomic()'s switch back to autocommit then
waits for its answer too.
"""

from __future__ import annotations

import logging
import select

from django.db import DatabaseError
from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import is_psycopg3

from core.durability import commit_may_go_ahead

logger = logging.getLogger(__name__)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sent_ahead = False  # a write (or a COMMIT) is on its way; its answer is not read yet
        self._commit_sent = False  # what is on its way is a transaction's COMMIT
        self._autocommit_when_read = False

    # ------------------------------------------------------------------------------------ a write sent ahead
    def can_send_ahead(self) -> bool:
        """psycopg 3 with client-side binding (one message holds the statements and their values), autocommit and
        no transaction of a caller's open."""
        return (
            is_psycopg3
            and not self.settings_dict.get("OPTIONS", {}).get("server_side_binding")
            and not self.in_atomic_block
            and self.get_autocommit()
        )

    def send_ahead(self, sql: str, params) -> None:
        """Send one write (several statements joined by "; " run as one transaction) without waiting for it."""
        self.wait_sent()  # one at a time
        if not self.can_send_ahead():
            raise RuntimeError("send_ahead: only in autocommit, outside a transaction")
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            with self.connection.cursor() as cursor:  # Django's client-side cursor: values merged as execute() would
                query = cursor.mogrify(sql, params)
            self._send(query.encode(self.connection.info.encoding))

    def _send(self, query: bytes) -> None:
        from psycopg import generators

        conn = self.connection
        with conn.lock:
            conn.pgconn.send_query(query)
            self.sent_ahead = True
            self.execute_wrappers.insert(0, self._wait_first)
            conn.wait(generators.send(conn.pgconn))  # flushed: the server has it

    def wait_sent(self) -> None:
        """Read the answer of the write sent ahead, if any; raises its error (a DatabaseError) where it failed."""
        if not self.sent_ahead:
            return
        from psycopg import errors, generators, pq

        self.sent_ahead = False
        self.execute_wrappers.remove(self._wait_first)
        autocommit, self._autocommit_when_read, self._commit_sent = self._autocommit_when_read, False, False
        with self.wrap_database_errors:
            conn = self.connection
            try:
                with conn.lock:
                    results = conn.wait(generators.fetch_many(conn.pgconn))
                for result in results:
                    if result.status == pq.ExecStatus.FATAL_ERROR:
                        self.errors_occurred = True  # the request's end checks the connection before keeping it
                        raise errors.error_from_result(result, encoding=conn.info.encoding)
            finally:
                if autocommit and not conn.closed:
                    conn.autocommit = True  # Django's atomic() turned it on after the COMMIT sent ahead

    def _wait_first(self, execute, sql, params, many, context):
        self.wait_sent()
        return execute(sql, params, many, context)

    def _set_autocommit(self, autocommit):
        if autocommit and self.sent_ahead and self._commit_sent:
            # atomic()'s exit right after the COMMIT sent ahead: psycopg takes it once the answer is read
            self._autocommit_when_read = True
            return
        self.wait_sent()
        super()._set_autocommit(autocommit)

    def _commit(self):
        self.wait_sent()  # also clears what was sent before
        if self.connection is not None and commit_may_go_ahead(self):
            with self.wrap_database_errors:
                self._send(b"COMMIT")
            self._commit_sent = True
            return None
        return super()._commit()

    def _rollback(self):
        self.wait_sent()
        return super()._rollback()

    def _close(self):
        try:
            self.wait_sent()
        except DatabaseError:  # its request has told the user already (core/durability.py); closing goes on
            logger.exception("a write sent ahead failed; found at close")
        finally:
            super()._close()

    def is_usable(self):
        self.wait_sent()
        return super().is_usable()

    # ------------------------------------------------------------------------------------ the health check
    def close_if_health_check_failed(self):
        if self.connection is None or not self.health_check_enabled or self.health_check_done:
            return  # no check now (Django's own first test), so nothing to read first
        self.wait_sent()
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and self._socket_is_quiet()
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _socket_is_quiet(self) -> bool:
        """True only for an open, idle psycopg 3 connection whose socket has nothing to read and no error."""
        if not is_psycopg3:
            return False
        from psycopg import pq

        try:
            pgconn = self.connection.pgconn
            if (
                self.connection.closed
                or self.connection.broken
                or pgconn.status != pq.ConnStatus.OK
                or pgconn.transaction_status != pq.TransactionStatus.IDLE
            ):
                return False
            poller = select.poll()
            poller.register(pgconn.socket, select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP)
            return not poller.poll(0)
        except Exception:  # noqa: BLE001 - any doubt: Django's own check
            return False
