"""core/prepared.py and its two users: the session's user and the session's device, read by SQL compiled once.

The loader must return exactly what the ORM returns (every field, converted by the backend's converters: dates,
booleans, binary keys), nothing for a key no row has or no valid key, and the checks around the reads must hold: an
inactive user, a device of another user, an unconfirmed device or a forged persistent id verify nobody."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.prepared import PkLoader, loader
from tests.factories import SMSDeviceFactory, TOTPDeviceFactory, UserFactory

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_row_is_the_orms_row_field_for_field_in_one_query():
    user = UserFactory(first_name="Jan", last_name="Jansen")
    user.refresh_from_db()  # last_login, date_joined as the database returns them
    device = TOTPDeviceFactory(user=user)
    for model, pk in ((get_user_model(), user.pk), (TOTPDevice, device.pk), (type(SMSDeviceFactory(user=user)), None)):
        pk = pk or model.objects.latest("pk").pk
        expected = model._default_manager.get(pk=pk)
        with CaptureQueriesContext(connection) as ctx:
            got = PkLoader(model).get(pk)  # a new loader: the first call compiles, still one query
        assert len(ctx.captured_queries) == 1
        assert type(got) is model and got.pk == pk
        assert _fields(got) == _fields(expected)
        assert got._state.adding is False and got._state.db == expected._state.db
    assert isinstance(loader(TOTPDevice).get(device.pk).bin_key, bytes)  # the key's converter ran


def test_the_session_value_as_a_string_reads_the_same_row_and_the_sql_is_reused():
    user = UserFactory()
    users = loader(get_user_model())
    assert users.get(str(user.pk)) == user
    sql = users._compiled[connection.alias].sql
    other = UserFactory()
    assert users.get(other.pk) == other and users._compiled[connection.alias].sql is sql


@pytest.mark.parametrize("value", [None, "", "abc", "1; DROP TABLE accounts_user", "1.5", -1, 0, 10**30, "9" * 40])
def test_no_row_or_no_valid_key_gives_none_and_never_an_error(value):
    UserFactory()
    assert loader(get_user_model()).get(value) is None


def test_a_model_without_an_integer_key_is_refused_at_the_first_call():
    from django.contrib.sessions.models import Session
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        PkLoader(Session).get("abc")


# --------------------------------------------------------------------------------------- the session's user
def test_the_backend_gives_no_user_for_an_inactive_or_unknown_account():
    from accounts.backends import EmailBackend

    user = UserFactory()
    assert EmailBackend().get_user(user.pk) == user
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert EmailBackend().get_user(user.pk) is None
    assert EmailBackend().get_user(user.pk + 1000) is None


def test_a_deactivated_employee_is_logged_out_at_the_next_request(verified_client, enrolled_user):
    assert verified_client.get("/dossier/").status_code == 200
    type(enrolled_user).objects.filter(pk=enrolled_user.pk).update(is_active=False)
    response = verified_client.get("/dossier/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_password_change_elsewhere_ends_this_session(verified_client, enrolled_user):
    enrolled_user.set_password("een-heel-ander-wachtwoord-42")
    enrolled_user.save(update_fields=["password"])
    response = verified_client.get("/dossier/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# ------------------------------------------------------------------------------------- the session's device
def _set_device(client, persistent_id: str) -> None:
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = persistent_id
    session.save()


def _is_sent_to_the_second_step(response) -> bool:
    """Not verified: to the second step, or (the password step of this session being long done) to the login."""
    return response.status_code == 302 and response["Location"].startswith(("/twofactor/", "/accounts/login/"))


def test_a_verified_session_reads_its_device_and_sees_the_dossier(verified_client):
    response = verified_client.get("/dossier/")
    assert response.status_code == 200
    assert response.wsgi_request.user.is_verified()
    assert response.wsgi_request.user.otp_device.persistent_id == verified_client.session[DEVICE_ID_SESSION_KEY]


def test_another_users_device_in_the_session_verifies_nobody_and_is_removed(verified_client):
    stranger = TOTPDeviceFactory(user=UserFactory(), confirmed=True)
    _set_device(verified_client, stranger.persistent_id)
    assert _is_sent_to_the_second_step(verified_client.get("/dossier/"))
    assert DEVICE_ID_SESSION_KEY not in verified_client.session


def test_an_unconfirmed_device_of_the_user_verifies_nobody(verified_client, enrolled_user):
    pending = TOTPDeviceFactory(user=enrolled_user, confirmed=False)
    _set_device(verified_client, pending.persistent_id)
    assert _is_sent_to_the_second_step(verified_client.get("/dossier/"))
    assert DEVICE_ID_SESSION_KEY not in verified_client.session


@pytest.mark.parametrize(
    "forged",
    [
        "otp_totp.totpdevice/999999",
        "otp_totp.totpdevice/abc",
        "otp_totp.totpdevice/",
        "accounts.user/{user}",  # a model that is no device, with the user's own key
        "nosuchapp.model/1",
        "no-slash-at-all",
        "otp_totp.totpdevice/1/2",
        "django_otp.plugins.otp_totp.models.TOTPDevice/{device}",  # django-otp's legacy form is read as before
    ],
)
def test_a_forged_persistent_id_verifies_nobody(verified_client, enrolled_user, forged):
    device = TOTPDevice.objects.get(user=enrolled_user)
    _set_device(verified_client, forged.format(user=enrolled_user.pk, device=device.pk))
    response = verified_client.get("/dossier/")
    if forged.startswith("django_otp."):
        assert response.status_code == 200  # the legacy path of the user's own device still names it
    else:
        assert _is_sent_to_the_second_step(response)
        assert DEVICE_ID_SESSION_KEY not in verified_client.session


# ------------------------------------------------------------------------------ PreparedQuery: what it refuses
def _users(shape, email):
    return get_user_model().objects.filter(email=email).order_by("pk")


def test_a_prepared_query_gives_the_orms_objects_and_fills_each_value_in():
    from core.prepared import PreparedQuery

    a, b = UserFactory(email="a@example.nl"), UserFactory(email="b@example.nl")
    prepared = PreparedQuery(get_user_model(), _users)
    assert prepared.fetch(None, email="a@example.nl") == [a]
    assert prepared.fetch(None, email="b@example.nl") == [b]
    assert prepared.fetch(None, email="nobody@example.nl") == []
    expected = [_fields(get_user_model().objects.get(pk=a.pk))]
    assert [_fields(u) for u in prepared.fetch(None, email="a@example.nl")] == expected


def test_it_refuses_to_guess_rather_than_fill_a_wrong_parameter():
    from django.core.exceptions import ImproperlyConfigured

    from core.prepared import PreparedQuery

    model = get_user_model()
    UserFactory()
    cases = [
        # the SQL's text depends on the value: it belongs in the shape
        PreparedQuery(
            model, lambda shape, email: model.objects.filter(email=email) if "-a-" in email else model.objects.all()
        ),
        # the value never reaches the SQL
        PreparedQuery(model, lambda shape, pk: model.objects.filter(pk__gt=0)),
        # a wrong adapter: the value reaches the SQL, but not as the adapter says
        PreparedQuery(model, lambda shape, email: model.objects.filter(email=email), email=lambda c, v: v.upper()),
    ]
    values = [{"email": "x@example.nl"}, {"pk": 1}, {"email": "x@example.nl"}]
    for prepared, kwargs in zip(cases, values, strict=True):
        with pytest.raises(ImproperlyConfigured):
            prepared.fetch(None, **kwargs)
    with pytest.raises(ImproperlyConfigured):  # a bool changes the SQL: it is a shape
        PreparedQuery(model, lambda shape, flag: model.objects.filter(is_staff=flag)).fetch(None, flag=True)


def test_nothing_to_ask_gives_nothing_and_too_many_shapes_fall_back_to_the_orm(monkeypatch):
    from core.prepared import PreparedQuery

    model = get_user_model()
    user = UserFactory()
    assert PreparedQuery(model, lambda shape, pk: model.objects.none().filter(pk=pk)).fetch(None, pk=user.pk) == []
    prepared = PreparedQuery(model, lambda shape, pk: model.objects.filter(pk=pk)[shape : shape + 1])
    monkeypatch.setattr(prepared, "MAX_SHAPES", 2)
    assert [prepared.fetch(offset, pk=user.pk) for offset in range(4)] == [[user], [], [], []]
    assert len(prepared._compiled) == 2


# ------------------------------------------------------------------------------------------- PreparedInsert
def test_a_prepared_insert_writes_the_row_create_writes():
    import time_machine
    from django.utils import timezone

    from core.models import AuditEvent
    from core.prepared import PreparedInsert

    user = UserFactory()
    values = {"kind": "login_success", "user": user, "actor": None, "email": "a@b.nl", "ip": "2001:db8::1",
              "detail": "x"}  # fmt: skip
    with time_machine.travel(timezone.now(), tick=False):
        expected = AuditEvent.objects.create(**values)
        with CaptureQueriesContext(connection) as ctx:
            got = PreparedInsert(AuditEvent).create(**values)
    assert len(ctx.captured_queries) == 1
    assert got.pk is not None and got.pk != expected.pk and got._state.adding is False
    stored, reference = AuditEvent.objects.get(pk=got.pk), AuditEvent.objects.get(pk=expected.pk)
    assert {**_fields(stored), "id": None} == {**_fields(reference), "id": None}
    assert _fields(got) == _fields(stored)  # the object in hand is the stored row (the key from RETURNING)
    with pytest.raises(PermissionError):  # still an append-only row
        got.save()


def test_a_prepared_insert_takes_the_orms_way_when_save_would_do_more():
    from django.db.models import Value
    from django.db.models.functions import Upper
    from django.db.models.signals import post_save

    from core.models import AuditEvent
    from core.prepared import PreparedInsert

    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    post_save.connect(receiver, sender=AuditEvent, dispatch_uid="test-prepared-insert")
    try:
        event = PreparedInsert(AuditEvent).create(kind="logout", detail="y")
    finally:
        post_save.disconnect(dispatch_uid="test-prepared-insert", sender=AuditEvent)
    assert heard == [(event.pk, True)]
    event = PreparedInsert(AuditEvent).create(kind="logout", detail=Upper(Value("z")))
    assert AuditEvent.objects.get(pk=event.pk).detail == "Z"


def test_several_prepared_reads_go_together_and_each_gets_its_own_rows(monkeypatch):
    from core.prepared import PreparedQuery, fetch_many

    model = get_user_model()
    a, b = UserFactory(email="a@example.nl"), UserFactory(email="b@example.nl")
    by_email = PreparedQuery(model, _users)
    by_pk = PreparedQuery(model, lambda shape, pk: model.objects.filter(pk=pk))
    nothing = PreparedQuery(model, lambda shape, pk: model.objects.none())
    calls = [
        (by_email, None, {"email": "b@example.nl"}),
        (by_pk, None, {"pk": a.pk}),
        (nothing, None, {"pk": a.pk}),
        (by_email, None, {"email": "nobody@example.nl"}),
        (by_pk, None, {"pk": b.pk}),
    ]
    fetch_many(*calls)  # compiled
    with CaptureQueriesContext(connection) as ctx:
        assert fetch_many(*calls) == [[b], [a], [], [], [b]]
    # PostgreSQL: one round trip for the four statements; SQLite: one statement at a time
    assert len(ctx.captured_queries) == (1 if connection.vendor == "postgresql" else 4)


# ------------------------------------------------------- the session's device and its owner's row, one query
def test_a_verified_request_reads_its_user_and_device_in_one_statement(verified_client, enrolled_user):
    verified_client.get("/dossier/")
    with CaptureQueriesContext(connection) as ctx:
        response = verified_client.get("/dossier/")
    assert response.status_code == 200 and response.wsgi_request.user == enrolled_user
    reads = [q["sql"] for q in ctx.captured_queries if '"accounts_user"' in q["sql"]]
    assert len(reads) == 1 and '"otp_totp_totpdevice"' in reads[0]


def test_another_users_device_never_makes_its_owner_the_requests_user(verified_client, enrolled_user):
    """The device's query brings its owner's row along; the session's user is still the one the session names."""
    from django.contrib.auth.middleware import AuthenticationMiddleware
    from django.test import RequestFactory

    from twofactor.middleware import OTPMiddleware

    stranger = UserFactory(email="vreemde@example.nl")
    device = TOTPDeviceFactory(user=stranger, confirmed=True)
    _set_device(verified_client, device.persistent_id)
    request = RequestFactory().get("/twofactor/")
    request.session = verified_client.session
    AuthenticationMiddleware(lambda r: None).process_request(request)
    OTPMiddleware(lambda r: r)(request)
    assert request.user.pk == enrolled_user.pk and request.user.email == enrolled_user.email
    assert not request.user.is_verified() and DEVICE_ID_SESSION_KEY not in request.session


def test_what_rows_alone_cannot_give_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    from core.prepared import PreparedQuery

    model = get_user_model()
    user = UserFactory()
    for build in (
        lambda shape, pk: model.objects.filter(pk=pk).prefetch_related("groups"),
        lambda shape, pk: model.objects.filter(pk=pk).values("email"),
        lambda shape, pk: model.objects.filter(pk=pk).using("default"),
    ):
        with pytest.raises(ImproperlyConfigured):
            PreparedQuery(model, build).fetch(None, pk=user.pk)


def test_an_insert_with_its_own_key_or_that_cannot_be_prepared_goes_through_the_orm(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from core.models import AuditEvent
    from core.prepared import PreparedInsert

    event = PreparedInsert(AuditEvent).create(id=987654, kind="logout")
    assert event.pk == 987654 and AuditEvent.objects.filter(pk=987654).exists()
    broken = PreparedInsert(AuditEvent)

    def refuse(alias):
        raise ImproperlyConfigured("test")

    monkeypatch.setattr(broken, "_compile", refuse)
    assert AuditEvent.objects.filter(pk=broken.create(kind="logout", detail="via orm").pk, detail="via orm").exists()


def test_no_row_of_a_request_is_left_for_the_next(verified_client, enrolled_user):
    from accounts.backends import session_user_row
    from twofactor.middleware import _session_device

    for _ in range(2):
        assert verified_client.get("/dossier/").status_code == 200
        assert session_user_row.get() is None and _session_device.get() is None


# ------------------------------------------------------------------------------------------- PreparedUpdate
def test_a_prepared_update_along_an_insert_writes_both_in_one_round_trip_where_the_database_can():
    import datetime

    from core.models import AuditEvent
    from core.prepared import PreparedInsert, PreparedUpdate, _several_statements_at_once

    model = get_user_model()
    user, other = UserFactory(), UserFactory()
    at = datetime.datetime(2026, 12, 3, 21, 0, 0, 123456, tzinfo=datetime.UTC)
    statement = PreparedUpdate(model, "last_login", "first_name").statement(user.pk, last_login=at, first_name="Én")
    with CaptureQueriesContext(connection) as ctx:
        event = PreparedInsert(AuditEvent).create_along([statement], kind="login_success", user=user, ip="10.0.0.1")
    user.refresh_from_db()
    assert (user.last_login, user.first_name) == (at, "Én")
    assert AuditEvent.objects.get(pk=event.pk).user_id == user.pk and event.kind == "login_success"
    assert model.objects.get(pk=other.pk).last_login is None  # only the row of that key
    updates = [q["sql"] for q in ctx.captured_queries if "UPDATE" in q["sql"]]
    if _several_statements_at_once(connection):
        assert len(ctx.captured_queries) == 1 and "INSERT INTO" in updates[0]
    else:
        assert len(updates) == 1


@pytest.mark.django_db(transaction=True)
def test_a_prepared_update_along_an_insert_that_fails_is_not_written():
    import datetime

    from django.db import IntegrityError

    from core.models import AuditEvent
    from core.prepared import PreparedInsert, PreparedUpdate

    model = get_user_model()
    user = UserFactory()
    at = datetime.datetime(2026, 12, 3, 21, 0, tzinfo=datetime.UTC)
    statement = PreparedUpdate(model, "last_login").statement(user.pk, last_login=at)
    with pytest.raises(IntegrityError):  # an event of a user who does not exist
        PreparedInsert(AuditEvent).create_along([statement], kind="login_success", user_id=user.pk + 10_000)
    user.refresh_from_db()
    assert user.last_login is None and not AuditEvent.objects.exists()


def test_a_prepared_update_refuses_what_it_cannot_write_as_a_plain_value():
    from django.core.exceptions import ImproperlyConfigured
    from django.db.models import F

    from core.prepared import PreparedUpdate

    model = get_user_model()
    user = UserFactory()
    update = PreparedUpdate(model, "first_name")
    for bad in ({"first_name": None}, {"first_name": F("last_name")}, {"last_name": "x"}, {}):
        with pytest.raises(ImproperlyConfigured):
            update.statement(user.pk, **bad)
    for key in ("x", None, 2**70):
        with pytest.raises(ValueError):
            update.statement(key, first_name="x")
