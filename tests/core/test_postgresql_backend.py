"""The PostgreSQL backend's health check (core/postgresql/base.py): the socket is asked before a round trip."""

import select

import psycopg
import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def kept(monkeypatch):
    """A second connection of the portal's, kept between two requests, that notes each SELECT 1 health check."""
    conn = connections.create_connection("default")
    conn.ensure_connection()
    assert conn.health_check_enabled and type(conn).__module__ == "core.postgresql.base"
    checks = []
    usable = conn.is_usable
    monkeypatch.setattr(conn, "is_usable", lambda: checks.append(1) or usable())
    conn.health_check_done = False  # as at request_finished: the next request checks again
    yield conn, checks
    conn.close()


def _terminate(conn) -> None:
    db = conn.settings_dict
    with psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres",
                         autocommit=True) as admin:  # fmt: skip
        admin.execute("SELECT pg_terminate_backend(%s)", [conn.connection.info.backend_pid])
    poller = select.poll()
    poller.register(conn.connection.pgconn.socket, select.POLLIN | select.POLLHUP)
    assert poller.poll(5000), "the server's goodbye did not arrive"


def test_a_kept_idle_connection_with_a_quiet_socket_needs_no_round_trip(kept):
    conn, checks = kept
    conn.close_if_health_check_failed()
    assert checks == [] and conn.health_check_done and conn.connection is not None
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_connection_the_server_dropped_is_checked_and_replaced(kept):
    conn, checks = kept
    _terminate(conn)
    conn.close_if_health_check_failed()
    assert checks == [1] and conn.connection is None  # Django's check ran, failed, and closed it
    with conn.cursor() as cursor:  # the request goes on with a new connection
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_anything_but_an_idle_connection_gets_djangos_check(kept):
    conn, checks = kept
    conn.connection.execute("BEGIN")  # a transaction left open (never between requests in the portal)
    conn.close_if_health_check_failed()
    assert checks == [1] and conn.health_check_done
    conn.connection.execute("ROLLBACK")
