"""Django's PostgreSQL backend, with its per-request connection health check asked of the socket first (issue 18).

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
