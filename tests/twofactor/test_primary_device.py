"""twofactor.selectors.primary_device_ref and the token step that uses it (issue 18): one small query says which
device is the user's method; the code's check reads that row once, locked. From the attacker's side too: another
user's device, an unconfirmed one and one removed between the page and the code never count."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import totp_code
from tests.factories import TOTPDeviceFactory, UserFactory
from twofactor import selectors
from twofactor.models import SMSDevice

pytestmark = pytest.mark.django_db


def _sms(user, *, confirmed=True, age_days=0):
    device = SMSDevice.objects.create(user=user, name="sms", number="+31612345678", confirmed=confirmed)
    SMSDevice.objects.filter(pk=device.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=age_days)
    )
    return device


def _app(user, *, confirmed=True, age_days=0):
    device = TOTPDeviceFactory(user=user, confirmed=confirmed)
    TOTPDevice.objects.filter(pk=device.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=age_days)
    )
    return device


def test_none_without_a_confirmed_app_or_sms_device(user):
    assert selectors.primary_device_ref(user) is None
    _app(user, confirmed=False)
    _sms(user, confirmed=False)
    assert selectors.primary_device_ref(user) is None
    assert selectors.primary_device_for(user) is None


def test_the_newest_confirmed_device_is_the_method_whichever_table_it_is_in(user):
    app = _app(user, age_days=10)
    assert selectors.primary_device_ref(user) == selectors.DeviceRef(TOTPDevice, app.pk, user.pk)
    sms = _sms(user, age_days=1)  # a reset half-way: both confirmed, the newer one counts
    assert selectors.primary_device_ref(user) == selectors.DeviceRef(SMSDevice, sms.pk, user.pk)
    assert selectors.primary_device_for(user) == sms
    newer_app = _app(user, age_days=0)
    assert selectors.primary_device_for(user) == newer_app


def test_an_undated_device_counts_as_the_oldest(user):
    sms = _sms(user, age_days=30)
    app = _app(user)
    TOTPDevice.objects.filter(pk=app.pk).update(created_at=None)
    assert selectors.primary_device_for(user) == sms


def test_another_users_device_is_never_the_method(user):
    other = UserFactory()
    _app(other)
    _sms(other)
    assert selectors.primary_device_ref(user) is None
    mine = _sms(user, age_days=5)
    assert selectors.primary_device_for(user) == mine


def test_a_reference_loads_only_its_owners_row(user):
    other = UserFactory()
    theirs = _app(other)
    forged = selectors.DeviceRef(TOTPDevice, theirs.pk, user.pk)  # another user's device under my id
    assert forged.load() is None and forged.load(lock=True) is None


def test_the_token_step_reads_the_device_row_once(client, login, enrolled_user):
    login(enrolled_user)
    client.get("/twofactor/verify/")
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/twofactor/verify/", {"token": totp_code()})
    assert response["Location"] == "/dossier/"
    device_reads = [q["sql"] for q in ctx.captured_queries if 'FROM "otp_totp_totpdevice"' in q["sql"]]
    assert len(device_reads) == 2  # which device (both tables, one query), then its row, locked
    assert "UNION ALL" in device_reads[0]
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in device_reads[1]


def test_a_device_removed_between_the_page_and_the_code_does_not_count(
    client, login, enrolled_user, monkeypatch
):
    """The row is gone when the code arrives (the method was reset elsewhere): a refusal, not an error."""
    login(enrolled_user)
    real = selectors.primary_device_ref

    def removed_meanwhile(user, **kwargs):
        ref = real(user, **kwargs)
        TOTPDevice.objects.filter(user=user).delete()
        return ref

    monkeypatch.setattr(selectors, "primary_device_ref", removed_meanwhile)
    response = client.post("/twofactor/verify/", {"token": totp_code()})
    assert response.status_code == 200
    assert client.get("/dossier/").status_code == 302
