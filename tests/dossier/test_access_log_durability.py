"""The dossier page's access-log row is committed without waiting for the disk (core/durability.py, issue 18)."""

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")


@pytest.mark.django_db(transaction=True)
def test_chosen_the_access_log_row_of_a_view_is_written_in_such_a_transaction(client_for, world, settings):
    """With LOG_ROWS_WAIT_FOR_DISK=0 the dossier page's row is committed with synchronous_commit off, and it is there
    afterwards; by default it waits."""
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
    with connection.execute_wrapper(_spy("dossier_accesslog", seen)):
        assert client.get("/dossier/").status_code == 200
    assert seen == ["off", "on"]

