"""The dossier page's access-log row is committed without waiting for the disk (core/durability.py, issue 18)."""

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")


@pytest.mark.django_db(transaction=True)
def test_chosen_the_access_log_row_of_a_view_is_written_in_such_a_transaction(client_for, world, settings, monkeypatch):
    """With LOG_ROWS_WAIT_FOR_DISK=0 the dossier page's row is committed with synchronous_commit off, and it is there
    afterwards; by default it is sent ahead and its commit, which waits for the disk, is read before the response
    leaves (core/response_boundary.py)."""
    settings.LOG_ROWS_WAIT_FOR_DISK = False
    from dossier.models import AccessLog
    from tests.core.test_durability import _spy

    seen = []
    client = client_for(world.a)
    with connection.execute_wrapper(_spy("dossier_accesslog", seen)):
        assert client.get("/dossier/").status_code == 200
    assert seen == ["off"]
    assert AccessLog.objects.filter(subject=world.a, action=AccessLog.Action.VIEW_DOSSIER).count() == 1
    settings.LOG_ROWS_WAIT_FOR_DISK = True
    sent, send = [], connection.send_ahead
    monkeypatch.setattr(connection, "send_ahead", lambda sql, params: sent.append(sql) or send(sql, params))
    with connection.execute_wrapper(_spy("dossier_accesslog", seen)):
        assert client.get("/dossier/").status_code == 200
    assert seen == ["off"] and len(sent) == 1 and 'INSERT INTO "dossier_accesslog"' in sent[0]
    assert not connection.sent_ahead
    assert AccessLog.objects.filter(subject=world.a, action=AccessLog.Action.VIEW_DOSSIER).count() == 2

