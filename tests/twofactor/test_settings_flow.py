"""Issue 17, Mijn Instellingen: switching SMS -> app short and forward only; the app enrolment on the same phone."""

import re
import time

import pytest
import time_machine

pytestmark = pytest.mark.django_db

REAUTH = "/account/settings/reauth/?next=/account/settings/reset/"


@pytest.fixture
def sms_user(user):
    from twofactor.models import SMSDevice

    SMSDevice.objects.create(user=user, name="sms", number="+31612345678", confirmed=True)
    return user


@pytest.fixture
def sms_verified(client, login, sms_user, sms_outbox):
    login(sms_user)
    client.get("/twofactor/verify/")
    assert client.post("/twofactor/verify/", {"token": sms_outbox.last_code()})["Location"] == "/dossier/"
    return client


def test_reauth_sends_the_sms_as_it_opens_and_asks_password_and_code_once(sms_verified, sms_outbox, password):
    client = sms_verified
    with time_machine.travel(time.time() + 61):
        page = client.get(REAUTH).content.decode()
        assert len(sms_outbox.messages()) == 2  # sent as the page opened
        assert "We hebben een sms-code gestuurd naar +31 •••• ••78" in page
        assert 'name="password"' in page and 'name="token"' in page
        client.get(REAUTH)  # opened again: the code sent is still valid, no new SMS
        assert len(sms_outbox.messages()) == 2
        response = client.post(REAUTH, {"password": password, "token": sms_outbox.last_code()})
        assert response["Location"] == "/account/settings/reset/"


def test_reauth_resend_button_sits_before_confirm_and_answers_in_place(sms_verified, sms_outbox):
    client = sms_verified
    with time_machine.travel(time.time() + 61):
        page = client.get(REAUTH).content.decode()
    form = page.split('<form method="post" novalidate>')[1].split("</form>")[0]
    assert form.index('form="resend-form"') < form.index(">Bevestigen</button>")  # part of the same layout
    assert "js/resend.js" in page and "<script>" not in page  # static file (CSP: no inline script)
    with time_machine.travel(time.time() + 200):
        answer = client.post(
            "/account/settings/reauth/send-sms/?next=/account/settings/reset/", HTTP_X_REQUESTED_WITH="fetch"
        )
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    assert "+31 •••• ••78" in answer.json()["messages"][0]
    assert len(sms_outbox.messages()) == 3


def test_reset_page_chooses_the_method_and_warns_about_printed_codes(
    sms_verified, sms_outbox, password, sms_user
):
    from twofactor.services import recovery_codes_replace

    recovery_codes_replace(user=sms_user)
    client = sms_verified
    with time_machine.travel(time.time() + 61):
        client.get(REAUTH)
        client.post(REAUTH, {"password": password, "token": sms_outbox.last_code()})
        page = client.get("/account/settings/reset/").content.decode()
        assert (
            "U heeft nog 10 herstelcodes. Die werken niet meer zodra de nieuwe methode is ingesteld" in page
        )
        assert 'value="app"' in page
        assert (
            client.post("/account/settings/reset/", {"method": "app"})["Location"] == "/twofactor/setup/app/"
        )
        assert "twofactor.resetting" in client.session


def test_reset_page_without_recovery_codes_says_nothing_about_them(verified_client, enrolled_user, password):
    from django_otp.plugins.otp_static.models import StaticToken

    from tests.conftest import totp_code

    StaticToken.objects.filter(device__user=enrolled_user).delete()
    verified_client.post(REAUTH, {"password": password, "token": totp_code(offset_steps=1)})
    page = verified_client.get("/account/settings/reset/").content.decode()
    section = page.split('<section class="card"')[1].split("</section>")[0]
    assert "Tweefactor authenticatie resetten" in section
    assert "herstelcode" not in section


def test_app_enrolment_offers_open_in_app_and_a_copyable_key_in_groups_of_four(client, login, user):
    login(user)
    page = client.get("/twofactor/setup/app/").content.decode()
    link = re.search(r'href="(otpauth://totp/[^"]+)"[^>]*>Openen in authenticatie-app<', page)
    assert link and "secret=" in link.group(1) and "issuer=" in link.group(1)
    groups = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).split(" ")
    assert len(groups) == 8 and all(len(g) == 4 for g in groups)
    assert f'data-copy="{"".join(groups)}"' in page and "Kopieer sleutel" in page
    assert "js/copy.js" in page and "<script>" not in page


def test_reauth_never_claims_an_sms_that_the_hourly_cap_refused(sms_verified, sms_outbox, settings):
    """Issue 31: with the cap reached, the page says so, as a duration, and not "we have sent an SMS code"."""
    client = sms_verified
    start = time.time()
    for n in range(1, 5):  # four more codes: five within the hour, the cap
        with time_machine.travel(start + 61 * n):
            client.post("/account/settings/reauth/send-sms/?next=/account/settings/reset/")
    assert len(sms_outbox.messages()) == 5
    with time_machine.travel(
        start + 61 * 5 + settings.TWOFACTOR_SMS_CODE_VALIDITY
    ):  # the last code has expired
        page = client.get(REAUTH).content.decode()
    assert len(sms_outbox.messages()) == 5
    assert "We hebben een sms-code gestuurd" not in page
    assert re.search(r"te veel sms-codes aangevraagd\. Probeer het over \d+ minuten opnieuw", page), page[
        :3000
    ]
