"""Issue 13: the employee changes their own mobile number in Mijn Instellingen. A code goes to the NEW number (the
real twilio client against the local stand-in); only that code, typed back by the same user, changes the number and
their SMS login device's. Attacker's side: wrong, replayed, expired or other-number codes, a skipped step, another
user's pending change, no re-authentication, throttling."""

import re
import time

import pytest
import time_machine
from django.test import Client

from core.models import AuditEvent, OutgoingEmail
from twofactor import otp
from twofactor.conf import app_settings
from twofactor.models import MobileChange, SMSDevice

pytestmark = pytest.mark.django_db
OLD, NEW, OTHER = "+31612345678", "+31687654321", "+31611112222"
MOBILE, SEND, CONFIRM = (
    "/account/settings/mobile/",
    "/account/settings/mobile/send/",
    "/account/settings/mobile/confirm/",
)


@pytest.fixture
def sms(settings, twilio_api):
    """Every SMS through the real twilio client to the stand-in; `.to(n)` and `.code(n)` read the n-th one."""
    settings.TWOFACTOR_SMS_GATEWAY = "twilio"
    settings.TWOFACTOR_TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWOFACTOR_TWILIO_AUTH_TOKEN = "secret-token"
    settings.TWOFACTOR_TWILIO_FROM_NUMBER = "+3197010000000"
    settings.TWOFACTOR_TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWOFACTOR_TWILIO_BASE_URL = twilio_api.base_url

    class Sent:
        api = twilio_api

        def __len__(self):
            return len(twilio_api.requests)

        def to(self, n=-1):
            return twilio_api.requests[n]["To"]

        def code(self, n=-1):
            return re.search(r"\b(\d{6})\b", twilio_api.requests[n]["Body"]).group(1)

    return Sent()


def _login_by_sms(user, sms, password):
    client = Client()
    client.post("/accounts/login/", {"username": user.email, "password": password})
    client.get("/twofactor/verify/")  # sends the login code
    return client


def _ready(user, sms, password):
    """Logged in with an SMS code, and re-authenticated just now."""
    client = _login_by_sms(user, sms, password)
    assert client.post("/twofactor/verify/", {"token": sms.code()})["Location"] == "/dossier/"
    session = client.session
    session[otp.REAUTH_AT] = time.time()
    session.save()
    return client


@pytest.fixture
def sms_user(user):
    user.mobile = OLD
    user.save()
    SMSDevice.objects.create(user=user, name="sms", number=OLD, confirmed=True)
    return user


@pytest.fixture
def ready(sms_user, sms, password):
    return _ready(sms_user, sms, password)


def _number(user):
    user.refresh_from_db()
    return str(user.mobile), str(SMSDevice.objects.get(user=user, confirmed=True).number)


def test_code_goes_to_the_new_number_and_nothing_changes_before_it_is_confirmed(ready, sms_user, sms):
    sent = len(sms)
    response = ready.post(SEND, {"number": "06 8765 4321"})
    assert response.status_code == 302 and response["Location"].startswith(MOBILE)
    assert len(sms) == sent + 1 and sms.to() == NEW
    assert _number(sms_user) == (OLD, OLD)
    pending = MobileChange.objects.get(user=sms_user)
    assert sms.code() not in pending.code_hash  # only a keyed hash is kept
    assert AuditEvent.objects.filter(kind="mobile_change_requested", user=sms_user, ip="127.0.0.1").exists()
    assert "+31 •••• ••21" in ready.get(MOBILE).content.decode()


def test_right_code_changes_the_number_and_the_login_device_and_mails_the_old_address(ready, sms_user, sms):
    ready.post(SEND, {"number": NEW})
    code = sms.code()
    response = ready.post(CONFIRM, {"token": code})
    assert response["Location"] == "/account/settings/"
    assert _number(sms_user) == (NEW, NEW)
    assert not MobileChange.objects.filter(user=sms_user).exists()
    event = AuditEvent.objects.get(kind="mobile_changed", user=sms_user)
    assert event.ip == "127.0.0.1" and "••78" in event.detail and "••21" in event.detail
    mail = OutgoingEmail.objects.get(kind="mobile_changed")
    assert mail.to == sms_user.email and code not in mail.body_text and NEW not in mail.body_text
    assert "+31 •••• ••21" in mail.body_text and "Was u dit niet?" in mail.body_text


def test_login_sms_goes_to_the_new_number_only_after_confirmation(ready, sms_user, sms, password):
    ready.post(SEND, {"number": NEW})
    code = sms.code()
    with time_machine.travel(time.time() + 61):  # past the login SMS's cooldown
        _login_by_sms(sms_user, sms, password)
        assert sms.to() == OLD  # asked for, not confirmed: logins still go to the old number
    ready.post(CONFIRM, {"token": code})
    with time_machine.travel(time.time() + 122):
        _login_by_sms(sms_user, sms, password)
        assert sms.to() == NEW


@pytest.mark.parametrize("wrong", ["000000", "12345", "abcdef", "", "1" * 40])
def test_wrong_code_changes_nothing(ready, sms_user, sms, wrong):
    ready.post(SEND, {"number": NEW})
    response = ready.post(CONFIRM, {"token": wrong})
    assert response.status_code == 400
    assert (
        _number(sms_user) == (OLD, OLD) and not OutgoingEmail.objects.filter(kind="mobile_changed").exists()
    )
    body = response.content.decode()
    assert 'role="alert"' in body  # the field's own error: not correct, required, or too long
    if wrong in ("000000", "12345", "abcdef"):
        assert "Deze code is niet juist of niet meer geldig" in body


def test_code_dies_after_the_maximum_of_wrong_tries(ready, sms_user, sms):
    ready.post(SEND, {"number": NEW})
    code = sms.code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(app_settings.SMS_MAX_WRONG_TRIES):
        ready.post(CONFIRM, {"token": wrong})
    assert ready.post(CONFIRM, {"token": code}).status_code == 400
    assert _number(sms_user) == (OLD, OLD)
    assert AuditEvent.objects.filter(kind="mobile_change_failed", user=sms_user).count() >= 5


def test_replayed_code_does_nothing_the_second_time(ready, sms_user, sms):
    ready.post(SEND, {"number": NEW})
    code = sms.code()
    assert ready.post(CONFIRM, {"token": code}).status_code == 302
    assert ready.post(CONFIRM, {"token": code}).status_code == 400
    assert OutgoingEmail.objects.filter(kind="mobile_changed").count() == 1


def test_expired_code_does_nothing(ready, sms_user, sms):
    ready.post(SEND, {"number": NEW})
    code = sms.code()
    with time_machine.travel(time.time() + 301):
        session = ready.session
        session[otp.REAUTH_AT] = time.time()
        session.save()
        assert ready.post(CONFIRM, {"token": code}).status_code == 400
    assert _number(sms_user) == (OLD, OLD)


def test_skipping_the_send_step_confirms_nothing(ready, sms_user, sms):
    login_code = sms.code()  # the only code this user has seen: their login's
    for guess in (login_code, "123456"):
        assert ready.post(CONFIRM, {"token": guess}).status_code == 400
    assert _number(sms_user) == (OLD, OLD)


def test_code_for_one_number_does_not_confirm_another(ready, sms_user, sms):
    ready.post(SEND, {"number": NEW})
    first = sms.code()
    with time_machine.travel(time.time() + 61):  # past the cooldown
        session = ready.session
        session[otp.REAUTH_AT] = time.time()
        session.save()
        ready.post(SEND, {"number": OTHER})
        assert sms.to() == OTHER
        second = sms.code()
        if first != second:
            assert ready.post(CONFIRM, {"token": first}).status_code == 400
        assert ready.post(CONFIRM, {"token": second}).status_code == 302
    assert _number(sms_user) == (OTHER, OTHER)


def test_another_users_pending_change_cannot_be_confirmed_or_touched(
    ready, sms_user, sms, user_factory, password
):
    mallory = user_factory(email="mallory@example.nl", mobile="+31622223333")
    SMSDevice.objects.create(user=mallory, name="sms", number="+31622223333", confirmed=True)
    with time_machine.travel(time.time() + 61):
        attacker = _ready(mallory, sms, password)
        ready.post(SEND, {"number": NEW})  # the victim asks for a change
        victim_code = sms.code()
        assert (
            attacker.post(CONFIRM, {"token": victim_code}).status_code == 400
        )  # no pending change of her own
        attacker.post(SEND, {"number": OTHER})  # her own change does not touch the victim's
        assert ready.post(CONFIRM, {"token": victim_code}).status_code == 302
    assert _number(sms_user) == (NEW, NEW)
    mallory.refresh_from_db()
    assert str(mallory.mobile) == "+31622223333"


def test_without_fresh_reauthentication_nothing_is_sent(sms_user, sms, password):
    client = _login_by_sms(sms_user, sms, password)
    client.post("/twofactor/verify/", {"token": sms.code()})
    sent = len(sms)
    expected = "/account/settings/reauth/?next=%2Faccount%2Fsettings%2Fmobile%2F"
    assert client.get(MOBILE)["Location"] == expected
    assert client.post(SEND, {"number": NEW})["Location"] == expected
    assert client.post(CONFIRM, {"token": "123456"})["Location"] == expected
    assert len(sms) == sent and not MobileChange.objects.exists()


def test_anonymous_and_unverified_get_nothing(client, sms_user, sms, password):
    assert client.post(SEND, {"number": NEW})["Location"].startswith("/accounts/login/")
    client.post("/accounts/login/", {"username": sms_user.email, "password": password})
    assert client.post(SEND, {"number": NEW})["Location"].startswith("/twofactor/")
    assert not MobileChange.objects.exists()


@pytest.mark.parametrize(
    ("number", "error"),
    [
        ("", "Vul uw mobiele nummer in."),
        ("hallo", "Vul een geldig mobiel nummer in"),
        ("0201234567", "alleen naar mobiele nummers"),  # a landline
        ("+12025550123", "alleen naar mobiele nummers"),  # outside the EU
        ("+31900123456", "alleen naar mobiele nummers"),  # premium rate
        (OLD, "Dit is al uw mobiele nummer."),
    ],
)
def test_bad_number_is_refused_with_a_dutch_error(ready, sms_user, sms, number, error):
    sent = len(sms)
    response = ready.post(SEND, {"number": number})
    assert response.status_code in (400, 429)
    assert error in response.content.decode()
    assert len(sms) == sent and not MobileChange.objects.exists()


def test_code_sending_is_throttled_like_every_sms(ready, sms_user, sms):
    ready.post(SEND, {"number": NEW})
    response = ready.post(SEND, {"number": NEW})
    assert response.status_code == 429 and "Er is zojuist een code verstuurd" in response.content.decode()
    start = time.time()
    for n in range(1, 6):
        with time_machine.travel(start + 61 * n):
            session = ready.session
            session[otp.REAUTH_AT] = time.time()
            session.save()
            last = ready.post(SEND, {"number": NEW})
    assert last.status_code == 429 and "te veel sms-codes" in last.content.decode()


def test_provider_failure_saves_nothing_and_says_what_to_do(ready, sms_user, sms):
    sms.api.mode = "error500"
    response = ready.post(SEND, {"number": NEW})
    assert response.status_code == 503 and "De sms kon niet worden verstuurd" in response.content.decode()
    assert not MobileChange.objects.exists() and _number(sms_user) == (OLD, OLD)


def test_settings_show_the_email_read_only_and_the_way_to_change_the_mobile(ready):
    body = ready.get("/account/settings/").content.decode()
    assert "jan.jansen@example.nl" in body and "werkgever (HR)" in body and MOBILE in body
    page = ready.get(MOBILE).content.decode()
    assert 'name="email"' not in page and 'name="number"' in page and 'autocomplete="one-time-code"' in page


def test_app_user_changes_the_mobile_without_a_device_to_follow(enrolled_user, verified_client, sms):
    session = verified_client.session
    session[otp.REAUTH_AT] = time.time()
    session.save()
    verified_client.post(SEND, {"number": NEW})
    assert sms.to() == NEW
    assert verified_client.post(CONFIRM, {"token": sms.code()})["Location"] == "/account/settings/"
    enrolled_user.refresh_from_db()
    assert str(enrolled_user.mobile) == NEW and not SMSDevice.objects.filter(user=enrolled_user).exists()


def test_mobile_page_in_english(ready, sms_user):
    sms_user.language = "en"
    sms_user.save()
    ready.cookies["django_language"] = "en"
    response = ready.post(SEND, {"number": "hallo"})
    assert "Enter a valid mobile number" in response.content.decode()
    assert "ask your employer (HR)" in response.content.decode()
