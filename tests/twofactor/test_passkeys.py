"""The passkey rules (twofactor/passkeys.py) and their views and services: relying party from SITE_URL, user
verification, the last way in, re-authentication before removal, staff's strong factor, audit and mail.
The real ceremonies run in Chromium: tests/browser/test_passkeys.py."""

import json
import os
import secrets
import subprocess
import sys
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django_otp_webauthn.models import WebAuthnCredential

from core.models import AuditEvent, OutgoingEmail
from tests.conftest import totp_code
from twofactor import otp, passkeys, selectors, services
from twofactor.forms import MethodForm
from twofactor.models import SMSDevice

pytestmark = pytest.mark.django_db

BEGIN_AUTH = "/twofactor/passkey/authentication/begin/"
COMPLETE_AUTH = "/twofactor/passkey/authentication/complete/"
BEGIN_REG = "/twofactor/passkey/registration/begin/"


def passkey_for(user, name="iPhone van Jan") -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        user=user, name=name, confirmed=True, credential_id=secrets.token_bytes(16), public_key=b"\x00" * 8
    )


def _reauth(client):
    session = client.session
    session[otp.REAUTH_AT] = time.time()
    session.save()


# ----------------------------------------------------------------------------------------------- relying party
@pytest.mark.parametrize(
    ("site_url", "rp", "origins", "ok"),
    [
        ("https://portal.example.nl", "portal.example.nl", ["https://portal.example.nl"], True),
        ("https://portal.example.nl", "example.nl", ["https://portal.example.nl"], True),  # a parent domain
        (
            "https://portal.example.nl",
            "example.nl",
            ["https://portal.example.nl", "https://www.example.nl"],
            True,
        ),
        ("http://portal.example.nl", "portal.example.nl", ["http://portal.example.nl"], False),  # not https
        ("https://portal.example.nl", "other.nl", ["https://portal.example.nl"], False),  # RP id elsewhere
        ("https://portal.example.nl", "example.nl", ["https://evil.example.com"], False),  # origin elsewhere
        (
            "https://portal.example.nl",
            "portal.example.nl",
            ["https://a.portal.example.nl"],
            False,
        ),  # site missing
        ("https://portal.example.nl", "", ["https://portal.example.nl"], False),
        (
            "https://notexample.nl",
            "example.nl",
            ["https://notexample.nl"],
            False,
        ),  # a suffix is not a subdomain
    ],
)
def test_relying_party_problems_table(site_url, rp, origins, ok):
    assert (passkeys.relying_party_problems(site_url=site_url, rp=rp, origins=origins) == []) is ok


def test_rp_id_and_origins_come_from_site_url_per_request(settings):
    settings.SITE_URL = "http://localhost:8000"
    settings.TWOFACTOR_PASSKEY_RP_ID, settings.TWOFACTOR_PASSKEY_ORIGINS = "", []
    assert passkeys.rp_id() == "localhost"
    assert passkeys.rp_id_for_request(object()) == "localhost"  # never the request's Host header
    assert passkeys.allowed_origins() == ["http://localhost:8000"]
    settings.SITE_URL = "https://portal.example.nl"
    assert passkeys.rp_id() == "portal.example.nl"
    assert passkeys.allowed_origins() == ["https://portal.example.nl"]


def test_start_up_refuses_a_mismatch_with_debug_off_only(settings):
    from portal.startup import production_problems, refuse_broken_production

    settings.SITE_URL = "https://portal.example.nl"
    settings.TWOFACTOR_PASSKEY_RP_ID = "elders.nl"
    settings.DEBUG = False
    assert passkeys.current_relying_party_problems()
    assert any("RP id" in p for p in production_problems())
    with pytest.raises(ImproperlyConfigured):
        refuse_broken_production()  # what gunicorn's WSGI entry point runs before serving
    settings.TWOFACTOR_PASSKEY_RP_ID = ""
    assert passkeys.current_relying_party_problems() == []
    settings.TWOFACTOR_PASSKEY_RP_ID = "elders.nl"
    settings.DEBUG = True
    assert passkeys.current_relying_party_problems() == []


def test_start_up_with_debug_off_stops_on_a_mismatched_relying_party(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.base",
        "DEBUG": "0",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "portal.example.nl",
        "SITE_URL": "https://portal.example.nl",
        "DEFAULT_FROM_EMAIL": "a@example.nl",
        "SMS_GATEWAY": "twilio",
        "TWILIO_ACCOUNT_SID": "AC1",
        "TWILIO_AUTH_TOKEN": "t",
        "TWILIO_FROM_NUMBER": "+3197000000000",
        "PASSKEY_RP_ID": "elders.nl",
        "VAR_DIR": str(tmp_path),
        "DEV_APPS": "0",
        "RECAPTCHA_PUBLIC_KEY": "k",
        "RECAPTCHA_PRIVATE_KEY": "k",
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "portal.E001" in result.stderr + result.stdout and "RP id" in result.stderr + result.stdout


def test_options_require_user_verification(client, login, user, password):
    login(user)
    registration = client.post(BEGIN_REG)
    assert registration.status_code == 200, registration.content
    assert registration.json()["authenticatorSelection"]["userVerification"] == "required"
    assert registration.json()["rp"]["id"] == "portal.example.test"
    authentication = client.post(BEGIN_AUTH)
    assert authentication.json()["userVerification"] == "required"


def test_authentication_without_password_step_is_refused(client):
    assert client.post(BEGIN_AUTH).status_code in (401, 403)  # no passwordless login


def test_replayed_or_missing_state_is_refused_and_audited(client, login, user):
    passkey_for(user)
    login(user)
    response = client.post(COMPLETE_AUTH, data="{}", content_type="application/json")
    assert response.status_code == 400
    assert not client.session.get("otp_device_id")
    assert AuditEvent.objects.filter(kind="passkey_failure", user=user).exists()


# ----------------------------------------------------------------------------------------------- adding
def test_verified_session_adds_a_passkey_only_after_reauthentication(verified_client, enrolled_user):
    assert verified_client.post(BEGIN_REG).status_code == 403  # a stolen session cannot plant a passkey
    response = verified_client.get("/twofactor/setup/passkey/")
    assert response.status_code == 302 and response["Location"].startswith("/account/settings/reauth/")
    _reauth(verified_client)
    assert verified_client.post(BEGIN_REG).status_code == 200
    assert verified_client.get("/twofactor/setup/passkey/").status_code == 200


def test_password_alone_cannot_add_a_passkey_beside_an_existing_method(client, login, enrolled_user):
    login(enrolled_user)
    assert client.post(BEGIN_REG).status_code == 403
    assert client.get("/twofactor/setup/passkey/")["Location"] == "/twofactor/verify/"


def test_enrolled_first_passkey_gets_recovery_codes_audit_and_mail(user):
    device = passkey_for(user, name="")
    codes = services.passkey_enrolled(user=user, device=device, name="  iPhone   van Jan ", ip="203.0.113.9")
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.name == "iPhone van Jan"
    event = AuditEvent.objects.get(kind="passkey_enrolled", user=user)
    assert event.ip == "203.0.113.9"
    assert OutgoingEmail.objects.filter(to=user.email, kind="passkey_added").exists()


def test_passkey_beside_a_method_keeps_the_method_and_the_codes(enrolled_user):
    device = passkey_for(enrolled_user)
    assert services.passkey_enrolled(user=enrolled_user, device=device, name="Yubikey") is None
    assert selectors.primary_device_for(enrolled_user) is not None
    assert selectors.recovery_codes_left(enrolled_user) == 10


# ----------------------------------------------------------------------------------------------- removing
def test_last_passkey_without_other_method_is_refused(user):
    device = passkey_for(user)
    with pytest.raises(services.PasskeyRefused):
        services.passkey_remove(user=user, device=device)
    assert WebAuthnCredential.objects.filter(pk=device.pk).exists()
    assert not AuditEvent.objects.filter(kind="passkey_removed").exists()


@pytest.mark.parametrize("other", ["passkey", "app", "sms"])
def test_passkey_removed_when_another_way_in_remains(user, other):
    device = passkey_for(user)
    if other == "passkey":
        passkey_for(user, name="Laptop")
    elif other == "app":
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    else:
        SMSDevice.objects.create(user=user, name="sms", number="+31612345678", confirmed=True)
    services.passkey_remove(user=user, device=device, ip="203.0.113.9")
    assert not WebAuthnCredential.objects.filter(pk=device.pk).exists()
    assert AuditEvent.objects.get(kind="passkey_removed", user=user).ip == "203.0.113.9"
    assert OutgoingEmail.objects.filter(to=user.email, kind="passkey_removed").exists()


def test_rule_may_remove_passkey():
    assert passkeys.may_remove_passkey(passkeys_left_after=1, has_other_method=False)
    assert passkeys.may_remove_passkey(passkeys_left_after=0, has_other_method=True)
    assert not passkeys.may_remove_passkey(passkeys_left_after=0, has_other_method=False)


def test_removal_requires_fresh_reauthentication(verified_client, enrolled_user):
    device = passkey_for(enrolled_user)
    url = f"/account/settings/passkeys/{device.pk}/remove/"
    response = verified_client.post(url)
    assert response.status_code == 302 and response["Location"].startswith("/account/settings/reauth/")
    assert WebAuthnCredential.objects.filter(pk=device.pk).exists()
    _reauth(verified_client)
    response = verified_client.post(url)
    assert response.status_code == 302 and response["Location"] == "/account/settings/"
    assert not WebAuthnCredential.objects.filter(pk=device.pk).exists()


def test_stale_reauthentication_does_not_count(verified_client, enrolled_user):
    from twofactor.conf import app_settings

    device = passkey_for(enrolled_user)
    session = verified_client.session
    session[otp.REAUTH_AT] = time.time() - app_settings.REAUTH_SECONDS - 1
    session.save()
    verified_client.post(f"/account/settings/passkeys/{device.pk}/remove/")
    assert WebAuthnCredential.objects.filter(pk=device.pk).exists()


def test_another_users_passkey_cannot_be_renamed_or_removed(verified_client, user_factory):
    stranger = user_factory()
    device = passkey_for(stranger, name="Van een ander")
    _reauth(verified_client)
    verified_client.post(f"/account/settings/passkeys/{device.pk}/remove/")
    verified_client.post(f"/account/settings/passkeys/{device.pk}/rename/", {"name": "Van mij"})
    device.refresh_from_db()
    assert device.name == "Van een ander"


def test_rename_is_audited_and_mailed_and_needs_a_name(verified_client, enrolled_user):
    device = passkey_for(enrolled_user)
    url = f"/account/settings/passkeys/{device.pk}/rename/"
    assert verified_client.post(url, {"name": "   "}).status_code == 200  # the form again, with its error
    response = verified_client.post(url, {"name": "Werklaptop"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.name == "Werklaptop"
    assert AuditEvent.objects.filter(kind="passkey_renamed", user=enrolled_user).exists()
    assert OutgoingEmail.objects.filter(to=enrolled_user.email, kind="passkey_renamed").exists()


def test_settings_lists_the_users_passkeys(verified_client, enrolled_user):
    passkey_for(enrolled_user, name="iPhone van Jan")
    page = verified_client.get("/account/settings/").content.decode()
    assert "iPhone van Jan" in page


def test_recovery_code_still_works_for_a_passkey_only_user(client, login, user):
    passkey_for(user)
    codes = services.recovery_codes_replace(user=user)
    login(user)
    assert client.get("/twofactor/verify/").status_code == 200  # not sent to the choice page
    response = client.post("/twofactor/verify/", {"token": codes[0]})
    assert response.status_code == 302 and response["Location"] == "/dossier/"


# ----------------------------------------------------------------------------------------------- staff
@pytest.fixture
def strong(settings):
    settings.TWOFACTOR_STAFF_REQUIRE_STRONG_FACTOR = True


def test_method_allowed_rule(user_factory, settings):
    staff, employee = user_factory(is_staff=True), user_factory()
    settings.TWOFACTOR_STAFF_REQUIRE_STRONG_FACTOR = False
    assert passkeys.method_allowed(staff, "sms")
    settings.TWOFACTOR_STAFF_REQUIRE_STRONG_FACTOR = True
    assert not passkeys.method_allowed(staff, "sms")
    assert passkeys.method_allowed(staff, "passkey") and passkeys.method_allowed(staff, "app")
    assert passkeys.method_allowed(employee, "sms")  # employees keep SMS


def test_staff_choice_page_offers_no_sms_under_the_setting(client, login, user_factory, strong):
    staff = user_factory(is_staff=True)
    login(staff)
    form = client.get("/twofactor/setup/").context["form"]
    assert [c[0] for c in form.fields["method"].choices] == ["app", "passkey"]
    response = client.post("/twofactor/setup/", {"method": "sms"})
    assert response.status_code == 200 and response.context["form"].errors
    assert client.get("/twofactor/setup/sms/")["Location"] == "/twofactor/setup/"


def test_staff_sms_code_no_longer_counts_under_the_setting(user_factory, strong):
    staff = user_factory(is_staff=True)
    device = SMSDevice.objects.create(user=staff, name="sms", number="+31612345678", confirmed=True)
    device.generate_token(length=6, valid_secs=300)
    assert not services.device_verify(user=staff, token=device.token).ok
    codes = services.recovery_codes_replace(user=staff)
    assert services.device_verify(user=staff, token=codes[0]).ok  # the way to a strong method


def test_staff_sms_code_counts_without_the_setting(user_factory, settings):
    settings.TWOFACTOR_STAFF_REQUIRE_STRONG_FACTOR = False
    staff = user_factory(is_staff=True)
    device = SMSDevice.objects.create(user=staff, name="sms", number="+31612345678", confirmed=True)
    device.generate_token(length=6, valid_secs=300)
    assert services.device_verify(user=staff, token=device.token).ok


def test_staff_verify_page_sends_no_sms_and_says_why(client, login, user_factory, strong, sms_outbox):
    staff = user_factory(is_staff=True)
    SMSDevice.objects.create(user=staff, name="sms", number="+31612345678", confirmed=True)
    login(staff)
    response = client.get("/twofactor/verify/")
    assert response.context["sms_refused"] is True
    assert sms_outbox.messages() == []


def test_method_form_keeps_only_allowed_choices():
    form = MethodForm({"method": "sms"}, allowed=["app", "passkey"])
    assert not form.is_valid()
    assert MethodForm({"method": "passkey"}).is_valid()


def test_staff_totp_still_verifies_under_the_setting(user_factory, strong):
    import base64

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.conftest import TOTP_SECRET

    staff = user_factory(is_staff=True)
    TOTPDevice.objects.create(user=staff, name="app", key=base64.b32decode(TOTP_SECRET).hex(), confirmed=True)
    assert services.device_verify(user=staff, token=totp_code()).ok


def test_begin_options_list_only_the_users_own_passkeys(client, login, user, user_factory):
    own = passkey_for(user)
    passkey_for(user_factory(), name="Van een ander")
    login(user)
    allowed = client.post(BEGIN_AUTH).json()["allowCredentials"]
    assert len(allowed) == 1
    assert json.dumps(allowed)  # plain JSON for the browser
    assert own.pk


# ----------------------------------------------------------------------------------------------- ending
def _ceremony_passes(monkeypatch, device):
    """The browser's side is proven in tests/browser/test_passkeys.py; here the verified assertion is given."""
    monkeypatch.setattr(
        passkeys.PortalWebAuthnHelper, "authenticate_complete", lambda self, user, state, data: device
    )


def test_passkey_login_ends_like_a_code_rotated_key_next_and_audit(client, password, user, monkeypatch):
    device = passkey_for(user)
    client.post(
        "/accounts/login/", {"username": user.email, "password": password, "next": "/dossier/documents/"}
    )
    client.get("/twofactor/?next=/account/settings/")
    client.post(BEGIN_AUTH)
    key_before = client.session.session_key
    _ceremony_passes(monkeypatch, device)
    response = client.post(
        COMPLETE_AUTH + "?next=https://evil.example/", data="{}", content_type="application/json"
    )
    assert response.status_code == 200
    assert (
        response.json()["redirect_url"] == "/account/settings/"
    )  # the stored next; the forged one is ignored
    session = client.session
    assert session.session_key != key_before
    assert session["otp_device_id"] == device.persistent_id
    assert otp.PASSWORD_AT not in session
    assert AuditEvent.objects.filter(kind="passkey_used", user=user, ip="127.0.0.1").exists()


def test_passkey_in_a_verified_session_is_the_reauthentication(verified_client, enrolled_user, monkeypatch):
    device = passkey_for(enrolled_user)
    verified_client.post(BEGIN_AUTH)
    _ceremony_passes(monkeypatch, device)
    url = COMPLETE_AUTH + "?next=/account/settings/passkeys/1/remove/"
    response = verified_client.post(url, data="{}", content_type="application/json")
    assert response.json()["redirect_url"] == "/account/settings/passkeys/1/remove/"
    assert otp.reauth_is_fresh(type("R", (), {"session": verified_client.session})())


def test_staff_reset_removes_passkeys_too(user, user_factory):
    passkey_for(user)
    services.twofactor_reset_by_staff(user=user, actor=user_factory(is_staff=True))
    assert not WebAuthnCredential.objects.filter(user=user).exists()
