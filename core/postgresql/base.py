"""Django's PostgreSQL backend, with its per-request connection health check asked of the socket first (issue 18).

With CONN_HEALTH_CHECKS (portal/settings/base.py), Django sends `SELECT 1` before the first query of every request
on a kept connection, so that a connection the server dropped (a restart, `pg_terminate_backend`, an idle timeout)
is replaced instead of failing that request. That costs a round trip on every request, about 0.2 ms of wall time
on this project's machines, on pages that make one or two queries.

A server that drops a connection tells the client: it sends its last message (FATAL, "terminating connection")
and closes the socket, which makes the idle socket readable. So a kept connection that psycopg sees as healthy and
idle (no transaction open), whose socket has nothing to read, is taken as usable without the round trip; anything
else (something to read, an error or hang-up on the socket, another state, psycopg 2, any doubt) runs Django's
check as before. What this does not see, Django's check would not have seen quickly either: a peer that vanished
without a word (a cut network) answers neither; there the request fails and Django replaces the connection after it.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import is_psycopg3


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
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
