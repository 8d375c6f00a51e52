"""core/durability.py: only the log rows' own transactions skip the wait for the disk, and only on PostgreSQL."""

import pytest
from django.db import connection, transaction

from core.durability import log_row, log_transaction

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.fixture(autouse=True)
def _relaxed(settings):
    settings.LOG_ROWS_WAIT_FOR_DISK = False  # the operator's choice (the default is to wait)


@pytest.mark.django_db(transaction=True)
def test_by_default_every_commit_waits_and_a_single_row_gets_no_transaction_of_its_own(settings):
    from portal.settings import base

    assert base.LOG_ROWS_WAIT_FOR_DISK is True  # the default without the environment variable
    settings.LOG_ROWS_WAIT_FOR_DISK = base.LOG_ROWS_WAIT_FOR_DISK
    with log_transaction():
        assert _synchronous_commit() == "on"
    with log_row():
        assert not connection.in_atomic_block  # an autocommit INSERT, as before
        assert _synchronous_commit() == "on"


@pytest.mark.django_db(transaction=True)
def test_a_log_rows_own_transaction_does_not_wait_for_the_disk_and_the_next_one_does():
    with log_row():
        assert connection.in_atomic_block and _synchronous_commit() == "off"
    with log_transaction():
        assert _synchronous_commit() == "off"
    assert _synchronous_commit() == "on"  # SET LOCAL: that transaction only
    with transaction.atomic():
        assert _synchronous_commit() == "on"


@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_the_callers_commit_waits_as_always():
    with transaction.atomic():  # e.g. an upload: its access-log row must not relax the document's commit
        with log_transaction():
            assert _synchronous_commit() == "on"
        with log_row():
            assert _synchronous_commit() == "on"
        assert _synchronous_commit() == "on"


@pytest.mark.django_db(transaction=True)
def test_the_operator_can_make_log_rows_wait_for_the_disk(settings):
    settings.LOG_ROWS_WAIT_FOR_DISK = True
    with log_transaction():
        assert _synchronous_commit() == "on"


def _spy(table: str, seen: list):
    """An execute wrapper that notes synchronous_commit at each INSERT into `table` (asked on the raw connection)."""

    def spy(execute, sql, params, many, context):
        if f'INSERT INTO "{table}"' in sql:  # alone, or after the login's last_login UPDATE
            with context["connection"].connection.cursor() as cursor:
                cursor.execute("SHOW synchronous_commit")
                seen.append(cursor.fetchone()[0])
        return execute(sql, params, many, context)

    return spy


@pytest.mark.django_db(transaction=True)
def test_chosen_the_password_steps_bookkeeping_does_not_wait_and_a_wrong_password_is_still_recorded(client, user):
    """The login's last_login and event (one transaction of their own), and a failure's event."""
    from core.models import AuditEvent
    from tests.factories import PASSWORD

    seen = []
    with connection.execute_wrapper(_spy("accounts_auditevent", seen)):
        assert client.post("/accounts/login/", {"username": user.email, "password": "fout"}).status_code == 200
        assert client.post("/accounts/login/", {"username": user.email, "password": PASSWORD}).status_code == 302
    assert seen == ["off", "off"]
    assert list(AuditEvent.objects.filter(user=user).values_list("kind", flat=True)) == ["login_success"]
    assert AuditEvent.objects.filter(kind="login_failure", email=user.email).count() == 1
