"""The second factor end to end: enrolment (app and SMS), later logins, recovery codes, the attacker's side."""

import re
import time

import pyotp
import pytest
import time_machine
from django.core import mail
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import totp_code
from twofactor.models import SMSDevice

pytestmark = pytest.mark.django_db


def _secret_from_page(response) -> str:
    return re.search(r'id="totp-secret">([A-Z2-7 ]+)<', response.content.decode()).group(1).replace(" ", "")


def _enrol_app(client):
    page = client.get("/twofactor/setup/app/")
    secret = _secret_from_page(page)
    return secret, client.post("/twofactor/setup/app/", {"token": pyotp.TOTP(secret).now()})


# ----------------------------------------------------------------------------------------------- enrolment
def test_first_login_must_choose_a_method_before_anything_else(client, login, user):
    login(user)
    response = client.get("/twofactor/?next=/dossier/", follow=True)
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == "/twofactor/setup/"
    for text in (
        "Tweefactor authenticatie",
        "Kies uw methode",
        "Extra inlogcode via",  # B1 Dutch for the manual's "Tweefactor authenticatiemethode" (issue 17)
        "SMS",
        "Authenticatie-app",
    ):
        assert text in body, text


def test_enrol_app_end_to_end_with_pyotp(client, login, user, deliver_mail):
    login(user, next="/dossier/?doc=1")
    client.get("/twofactor/?next=/dossier/%3Fdoc%3D1")
    page = client.get("/twofactor/setup/app/")
    body = page.content.decode()
    for text in (
        "Controleer uw methode",  # B1 Dutch for the manual's "Valideer uw methode" (issue 17)
        "Installeer een authenticatie-app op uw telefoon, tablet of pc",
        "Scan QR-code",
        "Voer de code in om te valideren",  # "token" is "code" (issue 17)
        "Valideer",
        "<svg",
    ):
        assert text in body, text
    secret = _secret_from_page(page)
    assert (
        TOTPDevice.objects.filter(user=user).count() == 0
    )  # the secret lives in the session until confirmed
    response = client.post("/twofactor/setup/app/", {"token": pyotp.TOTP(secret).now()})
    assert response["Location"] == "/twofactor/recovery-codes/"
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed and bytes.fromhex(device.key) == __import__("base64").b32decode(secret)
    codes_page = client.get("/twofactor/recovery-codes/").content.decode()
    codes = re.findall(r"<code>([a-z0-9]+)</code>", codes_page)
    assert len(codes) == 10 and StaticToken.objects.filter(device__user=user).count() == 10
    download = client.get("/twofactor/recovery-codes/download/")
    assert download["Content-Disposition"].startswith("attachment")
    assert all(code in download.content.decode() for code in codes)
    done = client.post("/twofactor/recovery-codes/")
    assert done["Location"] == "/dossier/?doc=1"  # `next` survived both steps
    assert client.get("/dossier/").status_code == 200
    assert client.get("/twofactor/recovery-codes/")["Location"] != "/twofactor/recovery-codes/"  # shown once
    deliver_mail()
    assert any("Tweefactor" in m.subject or "tweefactor" in m.body for m in mail.outbox)


def test_enrol_app_qr_holds_the_otpauth_uri_with_issuer_and_email(client, login, user):
    from twofactor.services import totp_provisioning_uri

    uri = totp_provisioning_uri(secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", email=user.email)
    assert uri.startswith(
        "otpauth://totp/Verzuimportaal:jan.jansen%40example.nl?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    )
    assert "issuer=Verzuimportaal" in uri


def test_enrol_app_wrong_code_is_refused_and_confirms_nothing(client, login, user):
    login(user)
    client.get("/twofactor/setup/app/")
    response = client.post("/twofactor/setup/app/", {"token": "000000"})
    assert response.status_code == 200
    assert "Deze code is niet juist" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get("/dossier/").status_code == 302


def test_enrol_sms_end_to_end_with_the_file_gateway(client, login, user, sms_outbox, deliver_mail):
    login(user)
    page = client.get("/twofactor/setup/sms/").content.decode()
    for text in (
        "Voer uw mobiele nummer in",
        "Stuur sms-code",  # one spelling: sms-code (issue 17)
        "Voer de code in om te valideren",  # "token" is "code" (issue 17)
        "Valideer",
    ):
        assert text in page, text
    assert 'value="+31612345678"' in page  # the number known in the dossier
    response = client.post("/twofactor/setup/sms/send/", {"number": "06 87654321"})
    assert response.status_code == 302
    message = sms_outbox.messages()[-1]
    assert "To: +31687654321" in message and "Verzuimportaal" in message and "Jan" not in message
    response = client.post("/twofactor/setup/sms/", {"validate": "1", "token": sms_outbox.last_code()})
    assert response["Location"] == "/twofactor/recovery-codes/"
    device = SMSDevice.objects.get(user=user)
    assert device.confirmed and str(device.number) == "+31687654321"
    client.post("/twofactor/recovery-codes/")
    assert client.get("/dossier/").status_code == 200


def test_enrol_sms_in_english_sends_an_english_sms(client, login, user_factory, sms_outbox):
    emma = user_factory(language="en")
    login(emma)
    client.post("/twofactor/setup/sms/send/", {"number": "+31612345678"})
    assert "is your login code for Verzuimportaal" in sms_outbox.messages()[-1]


@pytest.mark.parametrize("number", ["+12025550123", "+447911123456", "+79161234567"])
def test_enrol_sms_number_outside_the_allow_list_is_refused(client, login, user, sms_outbox, number):
    login(user)
    response = client.post("/twofactor/setup/sms/send/", {"number": number})
    assert response.status_code == 429
    assert "alleen naar mobiele nummers in Nederland of de EU" in response.content.decode()
    assert sms_outbox.messages() == []


def test_enrol_sms_unconfirmed_device_does_not_let_anyone_in(client, login, user, sms_outbox):
    login(user)
    client.post("/twofactor/setup/sms/send/", {"number": "+31612345678"})
    assert client.get("/dossier/").status_code == 302
    assert client.post("/twofactor/setup/sms/", {"validate": "1", "token": "123"}).status_code == 400


# ----------------------------------------------------------------------------------------------- the gate
@pytest.mark.parametrize("url", ["/dossier/", "/account/settings/", "/admin/", "/admin/accounts/user/"])
def test_pages_are_refused_after_the_password_only(client, login, enrolled_user, url):
    enrolled_user.is_staff = enrolled_user.is_superuser = True
    enrolled_user.save()
    login(enrolled_user)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/twofactor/")


@pytest.mark.parametrize(
    "url, login_page, title",
    [
        ("/dossier/", "/accounts/login/", "Mijn eigen dossier inzien"),
        ("/account/settings/", "/accounts/login/", "Mijn eigen dossier inzien"),
        ("/admin/", "/accounts/web-portaal/login/", "Web Portaal"),  # the staff page (issue 17)
    ],
)
def test_pages_are_refused_before_any_login(client, url, login_page, title):
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0].startswith(f"{login_page}?next=")
    assert f'<h1 id="login-title">{title}</h1>' in response.content.decode()


def test_user_with_a_device_cannot_skip_to_enrolment(client, login, enrolled_user):
    """Skipped step: enrolling a new app with the password alone would bypass the second factor."""
    login(enrolled_user)
    assert client.get("/twofactor/setup/")["Location"] == "/twofactor/verify/"
    assert client.get("/twofactor/setup/app/")["Location"] == "/twofactor/verify/"
    response = client.post("/twofactor/setup/sms/send/", {"number": "+31612345678"})
    assert response["Location"] == "/twofactor/verify/"
    assert not SMSDevice.objects.filter(user=enrolled_user).exists()


def test_admin_requires_a_verified_staff_session(client, enrolled_user, verify):
    enrolled_user.is_staff = enrolled_user.is_superuser = True
    enrolled_user.save()
    assert client.get("/admin/login/")["Location"] == "/accounts/web-portaal/login/?next=%2Fadmin%2F"
    verify(client, enrolled_user)
    assert client.get("/admin/").status_code == 200


def test_pending_second_step_expires_after_ten_minutes(client, login, enrolled_user):
    login(enrolled_user)
    with time_machine.travel(time.time() + 601):
        response = client.get("/twofactor/verify/")
        assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


# ----------------------------------------------------------------------------------------------- later logins
def test_verify_rotates_the_session_key_and_keeps_next(client, enrolled_user, password):
    client.post(
        "/accounts/login/", {"username": enrolled_user.email, "password": password, "next": "/dossier/?d=9"}
    )
    client.get("/twofactor/?next=/dossier/%3Fd%3D9")
    key = client.session.session_key
    response = client.post("/twofactor/verify/", {"token": totp_code()})
    assert response["Location"] == "/dossier/?d=9"
    assert client.session.session_key != key


def test_verify_forged_next_is_ignored(client, enrolled_user, password):
    client.post("/accounts/login/", {"username": enrolled_user.email, "password": password})
    client.get("/twofactor/?next=//evil.example/")
    assert client.post("/twofactor/verify/", {"token": totp_code()})["Location"] == "/dossier/"


def test_totp_code_replayed_is_refused(client, enrolled_user, verify, password):
    code = totp_code()
    verify(client, enrolled_user)
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"username": enrolled_user.email, "password": password})
    device = TOTPDevice.objects.get(user=enrolled_user)
    device.throttle_reset()
    used = pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").at(device.last_t * 30)
    response = client.post("/twofactor/verify/", {"token": used})
    assert response.status_code == 200
    assert "Deze code is niet juist" in response.content.decode()
    assert client.get("/dossier/").status_code == 302
    assert code != used or device.last_t == int(time.time() // 30)


def test_totp_code_from_two_steps_ago_is_refused(client, login, enrolled_user):
    login(enrolled_user)
    response = client.post("/twofactor/verify/", {"token": totp_code(offset_steps=-2)})
    assert response.status_code == 200
    assert client.get("/dossier/").status_code == 302


def test_totp_code_one_step_old_is_accepted(client, login, enrolled_user):
    login(enrolled_user)
    assert client.post("/twofactor/verify/", {"token": totp_code(offset_steps=-1)})["Location"] == "/dossier/"


def test_verify_throttling_says_when_to_try_again(client, login, enrolled_user):
    login(enrolled_user)
    client.post("/twofactor/verify/", {"token": "000000"})
    response = client.post("/twofactor/verify/", {"token": totp_code()})
    body = response.content.decode()
    assert "Te veel onjuiste codes" in body and "Wacht 1 minuut" in body and "herstelcodes" in body
    assert 'role="alert"' in body


def test_recovery_code_works_once(client, enrolled_user, password):
    code = enrolled_user.recovery_codes[0]
    client.post("/accounts/login/", {"username": enrolled_user.email, "password": password})
    assert client.post("/twofactor/verify/", {"token": code})["Location"] == "/dossier/"
    assert StaticToken.objects.filter(device__user=enrolled_user).count() == 9
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"username": enrolled_user.email, "password": password})
    assert client.post("/twofactor/verify/", {"token": code}).status_code == 200
    assert client.get("/dossier/").status_code == 302


def test_recovery_code_of_another_user_is_refused(client, login, enrolled_user, user_factory):
    from twofactor.services import recovery_codes_replace

    other_codes = recovery_codes_replace(user=user_factory())
    login(enrolled_user)
    assert client.post("/twofactor/verify/", {"token": other_codes[0]}).status_code == 200
    assert client.get("/dossier/").status_code == 302


# ----------------------------------------------------------------------------------------------- SMS at login
@pytest.fixture
def sms_user(user):
    SMSDevice.objects.create(user=user, name="sms", number="+31612345678", confirmed=True)
    return user


def test_sms_login_sends_on_arrival_and_accepts_the_code(client, login, sms_user, sms_outbox):
    login(sms_user)
    page = client.get("/twofactor/verify/").content.decode()
    assert "+31 •••• ••78" in page and "Stuur een nieuwe sms-code" in page
    assert len(sms_outbox.messages()) == 1
    assert client.post("/twofactor/verify/", {"token": sms_outbox.last_code()})["Location"] == "/dossier/"


def test_sms_code_expires(client, login, sms_user, sms_outbox):
    login(sms_user)
    client.get("/twofactor/verify/")
    code = sms_outbox.last_code()
    with time_machine.travel(time.time() + 301):
        assert client.post("/twofactor/verify/", {"token": code}).status_code == 200
    assert client.get("/dossier/").status_code == 302


def test_sms_code_dies_after_five_wrong_tries(client, login, sms_user, sms_outbox):
    login(sms_user)
    client.get("/twofactor/verify/")
    code = sms_outbox.last_code()
    device = SMSDevice.objects.get(user=sms_user)
    for n in range(5):
        device.refresh_from_db()
        device.throttle_reset()  # take the exponential delay out, to count the tries alone
        client.post("/twofactor/verify/", {"token": f"{(int(code) + n + 1) % 10**6:06d}"})
    device.refresh_from_db()
    device.throttle_reset()
    assert device.token is None
    assert client.post("/twofactor/verify/", {"token": code}).status_code == 200
    assert client.get("/dossier/").status_code == 302


def test_sms_resend_cooldown_and_hourly_cap(client, login, sms_user, sms_outbox):
    login(sms_user)
    client.get("/twofactor/verify/")
    response = client.post("/twofactor/verify/resend/", follow=True)
    assert "Er is zojuist een code verstuurd" in response.content.decode()
    assert len(sms_outbox.messages()) == 1
    start = time.time()
    for n in range(1, 6):
        with time_machine.travel(start + 61 * n):
            client.post("/twofactor/verify/resend/")
    assert len(sms_outbox.messages()) == 5
    with time_machine.travel(start + 61 * 6):
        response = client.post("/twofactor/verify/resend/", follow=True)
        assert "te veel sms-codes" in response.content.decode()
    assert len(sms_outbox.messages()) == 5


def test_sms_provider_failure_tells_the_user_and_changes_nothing(client, login, user, settings):
    settings.TWOFACTOR_SMS_GATEWAY = "twilio"
    settings.TWOFACTOR_TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWOFACTOR_TWILIO_AUTH_TOKEN = "token"
    settings.TWOFACTOR_TWILIO_FROM_NUMBER = "+3197010000000"
    settings.TWOFACTOR_TWILIO_BASE_URL = (
        f"http://127.0.0.1:{__import__('tests.conftest', fromlist=['free_port']).free_port()}"
    )
    login(user)
    response = client.post("/twofactor/setup/sms/send/", {"number": "+31612345678"})
    body = response.content.decode()
    assert response.status_code == 503
    assert "SMS kon niet worden verstuurd" in body and "authenticatie-app" in body
    assert not SMSDevice.objects.filter(user=user).exists()  # nothing half-done
    assert client.get("/dossier/").status_code == 302


# ----------------------------------------------------------------------------------------------- Mijn Instellingen
def test_settings_shows_the_method_codes_left_and_reset(verified_client):
    body = verified_client.get("/account/settings/").content.decode()
    for text in ("Mijn Instellingen", "Authenticatie-app", ">10<", ">reset<"):
        assert text in body, text


def test_reset_without_reauth_is_refused(verified_client):
    response = verified_client.post("/account/settings/reset/")
    assert response["Location"] == "/account/settings/reauth/?next=%2Faccount%2Fsettings%2Freset%2F"
    assert "twofactor.resetting" not in verified_client.session
    assert verified_client.get("/twofactor/setup/")["Location"] == "/account/settings/"


def test_reauth_with_a_wrong_password_is_refused(verified_client, enrolled_user):
    response = verified_client.post(
        "/account/settings/reauth/?next=/account/settings/reset/",
        {"password": "fout-wachtwoord", "token": enrolled_user.recovery_codes[0]},
    )
    assert response.status_code == 200
    assert "Dit wachtwoord is niet juist" in response.content.decode()
    assert StaticToken.objects.filter(device__user=enrolled_user).count() == 10  # the code was not spent


def test_reset_with_reauth_keeps_the_old_method_until_the_new_one_is_confirmed(
    verified_client, enrolled_user, password, sms_outbox, deliver_mail, verify
):
    client = verified_client
    response = client.post(
        "/account/settings/reauth/?next=/account/settings/reset/",
        {"password": password, "token": enrolled_user.recovery_codes[0]},
    )
    assert response["Location"] == "/account/settings/reset/"
    assert client.post("/account/settings/reset/")["Location"] == "/twofactor/setup/"
    client.post("/twofactor/setup/sms/send/", {"number": "+31612345678"})
    # half-way: the app still works in another browser, and the new SMS device alone lets nobody in
    assert TOTPDevice.objects.filter(user=enrolled_user, confirmed=True).exists()
    from django.test import Client

    other = Client()
    assert verify(other, enrolled_user).status_code == 302
    client.post("/twofactor/setup/sms/", {"validate": "1", "token": sms_outbox.last_code()})
    assert not TOTPDevice.objects.filter(user=enrolled_user).exists()
    assert SMSDevice.objects.get(user=enrolled_user).confirmed
    mail.outbox.clear()
    deliver_mail()
    assert any("inlogmethode" in m.subject for m in mail.outbox)


def test_new_recovery_codes_need_reauth_and_replace_the_old(verified_client, enrolled_user, password):
    client = verified_client
    assert client.post("/account/settings/recovery-codes/")["Location"].startswith(
        "/account/settings/reauth/"
    )
    client.post(
        "/account/settings/reauth/?next=/account/settings/recovery-codes/",
        {"password": password, "token": enrolled_user.recovery_codes[0]},
    )
    assert client.post("/account/settings/recovery-codes/")["Location"] == "/twofactor/recovery-codes/"
    new_codes = re.findall(
        r"<code>([a-z0-9]+)</code>", client.get("/twofactor/recovery-codes/").content.decode()
    )
    assert len(new_codes) == 10
    assert not StaticToken.objects.filter(token=enrolled_user.recovery_codes[1]).exists()


def test_reauth_expires_after_five_minutes(verified_client, enrolled_user, password):
    client = verified_client
    client.post(
        "/account/settings/reauth/?next=/account/settings/reset/",
        {"password": password, "token": enrolled_user.recovery_codes[0]},
    )
    with time_machine.travel(time.time() + 301):
        assert client.post("/account/settings/reset/")["Location"].startswith("/account/settings/reauth/")


def test_staff_reset_in_the_admin_is_logged_and_mailed(
    client, enrolled_user, user_factory, verify, deliver_mail
):
    from django.contrib.admin.models import LogEntry
    from django_otp.plugins.otp_totp.models import TOTPDevice as T

    staff = user_factory(is_staff=True, is_superuser=True)
    import base64

    T.objects.create(
        user=staff, name="app", key=base64.b32decode("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").hex(), confirmed=True
    )
    verify(client, staff)
    response = client.post(
        "/admin/accounts/user/", {"action": "reset_two_factor", "_selected_action": [enrolled_user.pk]}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=enrolled_user).exists()
    assert not StaticToken.objects.filter(device__user=enrolled_user).exists()
    entry = LogEntry.objects.get(object_id=str(enrolled_user.pk))
    assert entry.user_id == staff.pk and "Tweefactor authenticatie gereset" in entry.change_message
    deliver_mail()
    assert any(m.to == [enrolled_user.email] and "gereset" in m.subject for m in mail.outbox)


# ----------------------------------------------------------------------------------------------- review findings
def test_admin_never_shows_device_secrets_nor_lets_staff_plant_devices(
    client, enrolled_user, user_factory, verify
):
    staff = user_factory(is_staff=True, is_superuser=True)
    import base64

    TOTPDevice.objects.create(
        user=staff, name="app", key=base64.b32decode("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").hex(), confirmed=True
    )
    verify(client, staff)
    device = TOTPDevice.objects.get(user=enrolled_user)
    assert client.get("/admin/otp_totp/totpdevice/add/").status_code == 403
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    assert device.key not in page and "otpauth://" not in page
    config = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/", follow=True).content.decode()
    assert device.key not in config and "otpauth://" not in config
    codes_page = client.get(
        f"/admin/otp_static/staticdevice/{enrolled_user.staticdevice_set.get().pk}/change/"
    )
    assert all(code not in codes_page.content.decode() for code in enrolled_user.recovery_codes)
    assert client.get("/admin/twofactor/smsdevice/add/").status_code == 403


def test_new_recovery_codes_after_logging_in_with_one_keep_the_session(
    client, enrolled_user, password, deliver_mail
):
    client.post("/accounts/login/", {"username": enrolled_user.email, "password": password})
    client.post("/twofactor/verify/", {"token": enrolled_user.recovery_codes[0]})
    client.post(
        "/account/settings/reauth/?next=/account/settings/recovery-codes/",
        {"password": password, "token": enrolled_user.recovery_codes[1]},
    )
    client.post("/account/settings/recovery-codes/")
    page = client.get("/twofactor/recovery-codes/")
    assert page.status_code == 200
    assert len(re.findall(r"<code>([a-z0-9]+)</code>", page.content.decode())) == 10
    assert client.get("/dossier/").status_code == 200
    deliver_mail()
    assert any("herstelcodes" in m.subject.lower() for m in mail.outbox)


def test_a_started_reset_expires(verified_client, enrolled_user, password):
    client = verified_client
    client.post(
        "/account/settings/reauth/?next=/account/settings/reset/",
        {"password": password, "token": enrolled_user.recovery_codes[0]},
    )
    client.post("/account/settings/reset/")
    assert client.get("/twofactor/setup/app/").status_code == 200
    start = time.time()
    with time_machine.travel(start + 8 * 60):
        client.get("/account/settings/")  # still active: the idle timeout does not end the session
    with time_machine.travel(start + 16 * 60):
        assert client.get("/twofactor/setup/app/")["Location"] == "/account/settings/"


def test_recovery_codes_leave_the_session_after_ten_minutes(client, login, user):
    login(user)
    client.get("/twofactor/setup/app/")
    secret = _secret_from_page(client.get("/twofactor/setup/app/"))
    client.post("/twofactor/setup/app/", {"token": pyotp.TOTP(secret).now()})
    assert client.get("/twofactor/recovery-codes/").status_code == 200
    with time_machine.travel(time.time() + 601):
        assert client.get("/twofactor/recovery-codes/").status_code == 302
        assert client.get("/twofactor/recovery-codes/download/").status_code == 302
    assert "twofactor.recovery_codes" not in client.session


def test_verified_employee_gets_403_not_a_loop_on_the_admin(verified_client):
    response = verified_client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) <= 2


def test_reauth_password_guessing_is_limited(verified_client, enrolled_user, password):
    for _ in range(5):
        verified_client.post("/account/settings/reauth/", {"password": "fout", "token": "123456"})
    response = verified_client.post(
        "/account/settings/reauth/", {"password": password, "token": enrolled_user.recovery_codes[0]}
    )
    assert response.status_code == 429
    assert "Te veel pogingen" in response.content.decode()


def test_sms_user_can_reauthenticate_with_an_sms_code(client, login, sms_user, sms_outbox, password):
    login(sms_user)
    client.get("/twofactor/verify/")
    client.post("/twofactor/verify/", {"token": sms_outbox.last_code()})
    with time_machine.travel(time.time() + 61):
        page = client.get("/account/settings/reauth/?next=/account/settings/reset/").content.decode()
        assert len(sms_outbox.messages()) == 2  # sent as the page opens (issue 17: forward only)
        assert "Stuur een nieuwe sms-code" in page
        client.post("/account/settings/reauth/send-sms/?next=/account/settings/reset/")
        assert len(sms_outbox.messages()) == 2  # within the cool-down: the code sent stays the one to use
        response = client.post(
            "/account/settings/reauth/?next=/account/settings/reset/",
            {"password": password, "token": sms_outbox.last_code()},
        )
        assert response["Location"] == "/account/settings/reset/"


@pytest.mark.parametrize("mode", ["ok", "error500", "slow"])
def test_sms_login_through_the_real_twilio_client(client, login, sms_user, settings, twilio_api, mode):
    """The verify step with the real twilio client against the local stand-in: sent, a 500, a timeout."""
    settings.TWOFACTOR_SMS_GATEWAY = "twilio"
    settings.TWOFACTOR_TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    settings.TWOFACTOR_TWILIO_AUTH_TOKEN = "token"
    settings.TWOFACTOR_TWILIO_FROM_NUMBER = "+3197010000000"
    settings.TWOFACTOR_TWILIO_BASE_URL = twilio_api.base_url
    settings.TWOFACTOR_TWILIO_TIMEOUT = 1
    twilio_api.mode = mode
    login(sms_user)
    page = client.get("/twofactor/verify/").content.decode()
    device = SMSDevice.objects.get(user=sms_user)
    if mode == "ok":
        (request,) = twilio_api.requests
        assert request["To"] == "+31612345678" and request["From"] == "+3197010000000"
        assert device.token in request["Body"] and "Verzuimportaal" in request["Body"]
        assert client.post("/twofactor/verify/", {"token": device.token})["Location"] == "/dossier/"
    else:
        assert "SMS kon niet worden verstuurd" in page and "herstelcodes" in page
        assert device.token is None and device.last_sent_at is None  # nothing half-done
        assert client.get("/dossier/").status_code == 302
