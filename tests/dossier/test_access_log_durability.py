"""The dossier page's access-log row is committed without waiting for the disk (core/durability.py, issue 18)."""

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")


@pytest.mark.django_db(transaction=True)
def test_the_access_log_row_of_a_view_is_written_in_such_a_transaction(client_for, world, monkeypatch):
    """The dossier page's row is committed with synchronous_commit off, and it is there afterwards."""
    from dossier.models import AccessLog

    seen = []

    def spy(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "dossier_accesslog"'):
            seen.append(_synchronous_commit_via(context["connection"]))
        return execute(sql, params, many, context)

    client = client_for(world.a)
    with connection.execute_wrapper(spy):
        assert client.get("/dossier/").status_code == 200
    assert seen == ["off"]
    assert AccessLog.objects.filter(subject=world.a, action=AccessLog.Action.VIEW_DOSSIER).count() == 1


def _synchronous_commit_via(conn) -> str:
    with conn.connection.cursor() as cursor:  # the raw psycopg cursor: not through the wrapper again
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]
