"""Log rows sent ahead (core/durability.py, core/postgresql/base.py) and the edge of a request
(core/response_boundary.py): no response leaves before its log rows are committed, nothing interleaves with a row
on its way, and a row that failed turns the response into the error page."""

import logging

import pytest
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.events import Event
from core import audit
from core.models import AuditEvent
from core.response_boundary import ResponseBoundaryMiddleware, after_response
from tests.factories import PASSWORD

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="send_ahead is the PostgreSQL backend's")


def _through_the_boundary(view):
    """The view run inside the outermost middleware, as Django's handler runs it."""
    return ResponseBoundaryMiddleware(view)(RequestFactory().get("/"))


def _assert_written_at_once_in_a_request(user, sent):
    """An event recorded in a request gets its key at once (it was written and waited for), nothing sent ahead."""

    def view(request):
        assert audit.record(Event.LOGOUT, user=user).pk is not None
        return HttpResponse()

    _through_the_boundary(view)
    assert sent["sent"] == []


@pytest.fixture
def sent(monkeypatch):
    """Each statement sent ahead on the default connection, and the answers read."""
    calls = {"sent": [], "read": 0}
    send, wait = connection.send_ahead, connection.wait_sent

    def spy_send(sql, params):
        calls["sent"].append(sql)
        return send(sql, params)

    def spy_wait():
        calls["read"] += bool(connection.sent_ahead)
        return wait()

    monkeypatch.setattr(connection, "send_ahead", spy_send)
    monkeypatch.setattr(connection, "wait_sent", spy_wait)
    return calls


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_password_steps_event_and_last_login_are_sent_ahead_and_committed_before_the_response(client, user, sent):
    assert user.last_login is None
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert len(sent["sent"]) == 1 and "accounts_user" in sent["sent"][0] and "accounts_auditevent" in sent["sent"][0]
    assert sent["read"] == 1 and not connection.sent_ahead  # read back inside the request
    user.refresh_from_db()
    assert user.last_login is not None
    assert list(AuditEvent.objects.filter(user=user).values_list("kind", flat=True)) == ["login_success"]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_query_after_a_row_sent_ahead_reads_its_answer_first_and_sees_the_row(user, sent):
    def view(request):
        event = audit.record(Event.LOGOUT, user=user)
        assert event.pk is None and connection.sent_ahead  # on its way
        count = AuditEvent.objects.filter(user=user).count()  # the same connection: the answer is read first
        assert not connection.sent_ahead
        return HttpResponse(str(count))

    assert _through_the_boundary(view).content == b"1"
    assert len(sent["sent"]) == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_transaction_after_a_row_sent_ahead_starts_once_the_row_is_committed(user):
    def view(request):
        audit.record(Event.LOGOUT, user=user)
        with transaction.atomic():
            assert not connection.sent_ahead
            assert AuditEvent.objects.filter(user=user).exists()
        return HttpResponse()

    assert _through_the_boundary(view).status_code == 200
    assert AuditEvent.objects.filter(user=user).count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_or_outside_a_request_the_row_is_written_at_once(user, sent):
    event = audit.record(Event.LOGOUT, user=user)  # outside a request: a command, the worker
    assert event.pk is not None

    with transaction.atomic():  # e.g. an upload with its access-log row: one commit for both
        _assert_written_at_once_in_a_request(user, sent)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_when_the_operator_relaxes_log_rows_they_are_not_sent_ahead(user, sent, settings):
    settings.LOG_ROWS_WAIT_FOR_DISK = False  # then their own transaction skips the disk wait instead
    _assert_written_at_once_in_a_request(user, sent)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_row_that_fails_raises_at_the_boundary_instead_of_the_response_and_the_connection_goes_on(user):
    def view(request):
        connection.send_ahead('INSERT INTO "no_such_table" VALUES (%s)', [1])
        return HttpResponse("the page")

    with pytest.raises(DatabaseError):  # Django's handler turns it into the error page: "the page" never leaves
        _through_the_boundary(view)
    assert not connection.sent_ahead
    assert AuditEvent.objects.count() == 0  # the connection serves the next statement


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_statements_of_one_row_are_one_transaction_all_or_none(user):
    def view(request):
        connection.send_ahead(
            'UPDATE "accounts_user" SET "first_name" = %s WHERE "id" = %s; INSERT INTO "no_such_table" VALUES (1)',
            ["Veranderd", user.pk],
        )
        return HttpResponse()

    with pytest.raises(DatabaseError):
        _through_the_boundary(view)
    user.refresh_from_db()
    assert user.first_name != "Veranderd"


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_failed_row_found_only_at_close_is_logged_and_the_connection_still_closes(caplog):
    from core import response_boundary

    connection.ensure_connection()

    token = response_boundary._IN_REQUEST.set(True)  # noqa: SLF001 - a request cut off before its boundary
    try:
        connection.send_ahead('INSERT INTO "no_such_table" VALUES (%s)', [1])
    finally:
        response_boundary._IN_REQUEST.reset(token)  # noqa: SLF001
    with caplog.at_level(logging.ERROR, logger="core.postgresql.base"):
        connection.close()
    assert connection.connection is None and not connection.sent_ahead
    assert "found at close" in caplog.text


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_outside_autocommit_nothing_can_be_sent_ahead():
    with transaction.atomic():
        assert not connection.can_send_ahead()
        with pytest.raises(RuntimeError):
            connection.send_ahead("SELECT 1", [])


# ------------------------------------------------------------------------------------ after the response
@pytest.mark.django_db  # close() sends request_finished, which looks at the database connections
def test_work_after_the_response_runs_when_the_response_is_closed_and_at_once_outside_a_request():
    done = []

    def view(request):
        after_response(done.append, "after")
        done.append("view")
        return HttpResponse()

    response = _through_the_boundary(view)
    assert done == ["view"]  # not yet: the server has not sent the response
    response.close()
    assert done == ["view", "after"]
    after_response(done.append, "now")
    assert done == ["view", "after", "now"]


@pytest.mark.django_db
def test_a_failure_after_the_response_is_logged_and_the_rest_still_runs(caplog):
    done = []

    def view(request):
        after_response(lambda: 1 / 0)
        after_response(done.append, "second")
        return HttpResponse()

    response = _through_the_boundary(view)
    with caplog.at_level(logging.ERROR, logger="core.response_boundary"):
        response.close()
    assert done == ["second"]
    assert "work after the response failed" in caplog.text


def test_when_the_view_raises_the_work_after_it_runs_at_once():
    done = []

    def view(request):
        after_response(done.append, "after")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        _through_the_boundary(view)
    assert done == ["after"]


@pytest.mark.django_db
def test_a_good_login_takes_back_its_counted_attempt_once_the_response_is_sent(client, user, monkeypatch):
    from accounts import lockout

    taken_back = []
    monkeypatch.setattr(lockout, "record_success", lambda **kw: taken_back.append(kw["email"]))
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert taken_back == [user.email]  # the test client closes the response, as a server does


# ------------------------------------------------------------------------------------ a COMMIT sent ahead
@pytest.fixture
def commits(monkeypatch):
    """Each COMMIT sent ahead on the default connection."""
    seen = []
    send = connection._send  # noqa: SLF001

    def spy(query):
        if query == b"COMMIT":
            seen.append(query)
        return send(query)

    monkeypatch.setattr(connection, "_send", spy)
    return seen


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_token_steps_commit_is_sent_ahead_and_read_before_the_response(client, login, enrolled_user, commits):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.conftest import totp_code

    user = enrolled_user
    login(user)
    device = TOTPDevice.objects.get(user=user)
    response = client.post("/twofactor/verify/", {"token": totp_code()})
    assert response["Location"] == "/dossier/"
    assert commits == [b"COMMIT"]
    assert not connection.sent_ahead and connection.get_autocommit() and connection.connection.autocommit
    assert TOTPDevice.objects.get(pk=device.pk).last_t is not None  # the code is spent, committed
    assert AuditEvent.objects.filter(user=user, kind="otp_success").count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_after_a_commit_sent_ahead_the_next_statement_runs_in_autocommit_once_the_commit_is_read(user, commits):
    from core.durability import atomic_committed_ahead

    def view(request):
        with atomic_committed_ahead():
            audit.record(Event.LOGOUT, user=user)
        assert connection.sent_ahead and connection.get_autocommit()
        assert AuditEvent.objects.filter(user=user).count() == 1  # reads the COMMIT's answer first
        assert not connection.sent_ahead and connection.connection.autocommit and not connection.in_atomic_block
        return HttpResponse()

    _through_the_boundary(view)
    assert commits == [b"COMMIT"]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_commit_that_fails_raises_at_the_boundary_and_nothing_of_the_transaction_stays(user, commits):
    from core.durability import atomic_committed_ahead

    def view(request):
        with atomic_committed_ahead():
            AuditEvent.objects.create(kind=Event.LOGOUT, user_id=user.pk)
            AuditEvent.objects.create(kind=Event.LOGOUT, user_id=user.pk + 10_000)  # a deferred foreign key: COMMIT
        return HttpResponse("the page")

    with pytest.raises(DatabaseError):
        _through_the_boundary(view)
    assert commits == [b"COMMIT"]
    assert connection.get_autocommit() and connection.connection.autocommit
    assert AuditEvent.objects.count() == 0  # neither row, and the connection serves the next statement


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_commit_with_on_commit_work_nested_or_outside_a_request_is_made_as_usual(user, commits):
    from core.durability import atomic_committed_ahead

    hooks = []
    with atomic_committed_ahead():  # outside a request
        audit.record(Event.LOGOUT, user=user)

    def view(request):
        with atomic_committed_ahead():
            audit.record(Event.LOGOUT, user=user)
            transaction.on_commit(lambda: hooks.append("ran"))
        assert hooks == ["ran"] and not connection.sent_ahead
        with transaction.atomic(), atomic_committed_ahead():  # inside a caller's transaction: the caller's commit
            audit.record(Event.LOGOUT, user=user)
        assert not connection.sent_ahead
        return HttpResponse()

    _through_the_boundary(view)
    assert commits == []
    assert AuditEvent.objects.filter(user=user).count() == 3
