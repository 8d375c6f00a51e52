"""Invitation and activation (issue 11): a real mail with a working one-time link, the birth-date check and its
throttle, reuse, expiry and a newer link, and the login page's line for a first-time user."""

import datetime
import email
import re
from email import policy

import pytest
import time_machine
from django.test import Client

from accounts import services
from accounts.events import Event
from accounts.models import User
from accounts.tokens import password_reset_tokens
from core.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

BIRTH_DATE = "04-07-1985"  # the factory's
NEW_PASSWORD = "mijn-eigen-nieuwe-wachtwoord"


@pytest.fixture
def invitee(db):
    user = UserFactory(email="nieuw@example.nl", first_name="Nina")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def _invite(user) -> str:
    assert services.invitation_send(user=user, actor=None, ip=None)
    from core.models import OutgoingEmail

    body = OutgoingEmail.objects.filter(to=user.email, kind="invitation").latest("pk").body_text
    return re.search(r"https?://\S+/accounts/activate/\S+/", body).group(0)


def _open(client, link):
    """Follow the mail link: Django moves the token into the session and shows the form on a clean URL."""
    response = client.get(link.replace("https://portal.example.test", ""))
    if response.status_code != 302:
        return response
    assert response["Location"].endswith("/set-password/")
    return client.get(response["Location"])


def _activate(client, link, birth_date=BIRTH_DATE, password=NEW_PASSWORD):
    page = _open(client, link)
    assert page.context["validlink"], "the link should work"
    return client.post(
        page.request["PATH_INFO"],
        {"birth_date": birth_date, "new_password1": password, "new_password2": password},
    )


def test_invitation_mail_through_real_smtp_has_a_working_link(invitee, smtp_server, deliver_mail, client):
    services.invitation_send(user=invitee, actor=None, ip="10.0.0.1")
    assert deliver_mail() == 1
    (envelope,) = smtp_server.messages
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    assert envelope.rcpt_tos == [invitee.email]
    assert message["Subject"] == "Activeer uw account voor Verzuimportaal"
    assert "verloopt na 7 dagen" in text
    for health in ("ziek", "verzuimtraject", "bedrijfsarts", "document", "medisch"):
        assert health not in text.lower()
    link = re.search(r"https://portal\.example\.test/accounts/activate/\S+/", text).group(0)

    response = _activate(client, link)

    assert response.status_code == 302
    assert (
        response["Location"] == "/twofactor/?next=%2Fdossier%2F"
    )  # straight on to choosing the second factor
    invitee.refresh_from_db()
    assert invitee.check_password(NEW_PASSWORD)
    assert client.session["_auth_user_id"] == str(invitee.pk)
    assert client.get("/twofactor/").status_code == 302  # no device yet: on to the choice of second factor
    assert AuditEvent.objects.filter(kind=Event.ACCOUNT_ACTIVATED, user=invitee).exists()
    assert AuditEvent.objects.filter(kind=Event.INVITATION_SENT, user=invitee, ip="10.0.0.1").exists()


def test_invitation_is_in_the_employees_language(invitee):
    invitee.language = "en"
    invitee.save()
    _invite(invitee)
    from core.models import OutgoingEmail

    mail = OutgoingEmail.objects.get(to=invitee.email)
    assert mail.subject == "Activate your account for Verzuimportaal"
    assert "expires after 7 days" in mail.body_text


def test_activation_with_a_wrong_birth_date_is_refused_then_throttled_like_the_reset(invitee, client):
    link = _invite(invitee)
    statuses = []
    for _ in range(3):
        response = _activate(client, link, birth_date="05-07-1985")
        statuses.append(response.status_code)
        assert "Deze geboortedatum komt niet overeen" in response.content.decode()
    # The fourth attempt within the hour is refused before any check, even with the right birth date.
    blocked = _activate(client, link)
    assert statuses == [200, 200, 200] and blocked.status_code == 429
    assert "Te veel verzoeken" in blocked.content.decode()
    invitee.refresh_from_db()
    assert not invitee.has_usable_password()
    assert AuditEvent.objects.filter(kind=Event.ACTIVATION_FAILED, user=invitee).count() == 3
    # The same counters as "Wachtwoord vergeten": the reset is limited for this email too now.
    assert not services.password_reset_throttle(ip="10.9.9.9", email=invitee.email).allowed


def test_activation_link_works_once(invitee, client):
    link = _invite(invitee)
    assert _activate(client, link).status_code == 302
    again = _open(Client(), link)
    assert again.status_code == 200 and not again.context["validlink"]
    body = again.content.decode()
    assert "Deze uitnodigingslink is niet meer geldig" in body
    assert 'href="/accounts/password-reset/"' in body  # the way forward: a new link by birth date + email


@pytest.mark.parametrize("days, valid", [(6, True), (7, True), (8, False)])
def test_activation_link_lives_seven_days(invitee, days, valid):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        link = _invite(invitee)
        clock.shift(datetime.timedelta(days=days) - datetime.timedelta(minutes=1))
        assert _open(Client(), link).context["validlink"] is valid


def test_activation_lifetime_is_a_setting(invitee, settings):
    settings.ACCOUNTS_INVITATION_TIMEOUT = 2 * 86400
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        link = _invite(invitee)
        clock.shift(datetime.timedelta(days=3))
        assert not _open(Client(), link).context["validlink"]


def test_a_newer_invitation_kills_the_older_link(invitee):
    first = _invite(invitee)
    second = _invite(invitee)
    assert first != second
    assert not _open(Client(), first).context["validlink"]
    assert _open(Client(), second).context["validlink"]


def test_a_changed_email_kills_the_link(invitee):
    link = _invite(invitee)
    User.objects.filter(pk=invitee.pk).update(email="ander@example.nl")
    assert not _open(Client(), link).context["validlink"]


def test_a_reset_token_is_not_an_activation_token(invitee, client):
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    services.invitation_link(user=invitee)
    uid = urlsafe_base64_encode(force_bytes(invitee.pk))
    token = password_reset_tokens.make_token(invitee)
    assert not _open(client, f"/accounts/activate/{uid}/{token}/").context["validlink"]


def test_an_active_account_gets_no_invitation(user):
    assert user.has_usable_password()
    assert services.invitation_send(user=user, actor=None, ip=None) is False
    user.set_unusable_password()
    user.birth_date = None
    assert services.invitation_send(user=user, actor=None, ip=None) is False


def test_activation_leads_on_to_the_documents_target(invitee, client):
    path = services.invitation_link(user=invitee, next_path="/dossier/documents/abc/")
    response = _activate(client, path)
    assert response["Location"] == "/twofactor/?next=%2Fdossier%2Fdocuments%2Fabc%2F"


def test_activation_ignores_an_offsite_next(invitee, client):
    link = services.invitation_link(user=invitee, next_path="https://evil.example/")
    assert _activate(client, link)["Location"] == "/twofactor/?next=%2Fdossier%2F"


def test_the_reset_flow_is_the_way_forward_for_an_expired_invitation(invitee, client, captcha):
    client.post(
        "/accounts/password-reset/",
        {"birth_date": BIRTH_DATE, "email": invitee.email, "g-recaptcha-response": captcha()},
    )
    from core.models import OutgoingEmail

    assert OutgoingEmail.objects.filter(to=invitee.email, kind="password_reset").exists()


def test_login_page_tells_a_first_time_user_what_to_do(client):
    body = client.get("/accounts/login/").content.decode()
    assert "Voor het eerst hier? Open de link in uw uitnodigingsmail" in body


def test_the_password_of_an_active_user_is_untouched_by_an_old_invitation(user):
    """An account that already has a password cannot be taken over through a stale activation link."""
    user.set_unusable_password()
    user.save()
    link = _invite(user)
    user.set_password(PASSWORD)
    user.save()
    assert not _open(Client(), link).context["validlink"]
