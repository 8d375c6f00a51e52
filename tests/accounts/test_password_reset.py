""" "Wachtwoord vergeten": birth date + email + captcha, a one-time link on SITE_URL, "OK" and "Annuleren"."""

import re
import time

import pytest
import time_machine
from django.core import mail
from django.test import Client

from accounts.models import User
from core.models import OutgoingEmail
from tests.session_state import user_session_count

pytestmark = pytest.mark.django_db

URL = "/accounts/password-reset/"
SENT = "/accounts/password-reset/sent/"


def _reset_link(message) -> str:
    return re.search(r"https?://\S+/accounts/reset/\S+/", message.body).group(0)


def test_reset_page_shows_the_manuals_screen(client):
    body = client.get(URL).content.decode()
    for text in (
        "Geboortedatum",
        "dd-mm-jjjj",
        "E-mailadres",
        "Ik ben geen robot",
        "Privacy - Voorwaarden",
        "Versturen",
    ):
        assert text in body, text


@pytest.mark.parametrize(
    "birth_date, email",
    [
        ("04-07-1985", "jan.jansen@example.nl"),  # the matching pair
        ("05-07-1985", "jan.jansen@example.nl"),  # wrong birth date
        ("04-07-1985", "onbekend@example.nl"),  # unknown email
        ("1985-07-04", "JAN.JANSEN@example.nl"),  # the browser's date input, other case
    ],
)
def test_reset_answers_identically_whatever_matched(client, user, captcha, birth_date, email):
    response = client.post(URL, {"birth_date": birth_date, "email": email, "g-recaptcha-response": captcha()})
    assert response.status_code == 302
    assert response["Location"] == SENT
    page = client.get(SENT)
    assert "Als de geboortedatum en het e-mailadres bij ons bekend zijn" in page.content.decode()


def test_reset_malformed_date_answers_identically_for_known_and_unknown_email(client, user, captcha):
    known = client.post(
        URL, {"birth_date": "31-02-1985", "email": user.email, "g-recaptcha-response": captcha()}
    )
    unknown = client.post(
        URL, {"birth_date": "31-02-1985", "email": "niemand@example.nl", "g-recaptcha-response": captcha()}
    )
    assert known.status_code == unknown.status_code == 200

    def strip(response):
        body = response.content.decode().replace(user.email, "niemand@example.nl")
        return re.sub(r'(name="csrfmiddlewaretoken"|name="g-recaptcha-response") value="[^"]+"', "", body)

    assert strip(known) == strip(unknown)
    assert "Vul uw geboortedatum in als dag, maand, jaar" in known.content.decode()
    assert OutgoingEmail.objects.count() == 0


def test_reset_match_sends_exactly_one_mail_on_site_url_despite_forged_host(
    client, user, captcha, settings, deliver_mail
):
    settings.ALLOWED_HOSTS = ["*"]
    client.post(
        URL,
        {"birth_date": "04-07-1985", "email": user.email, "g-recaptcha-response": captcha()},
        HTTP_HOST="evil.example",
    )
    assert deliver_mail() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert "evil.example" not in message.body
    assert _reset_link(message).startswith("https://portal.example.test/accounts/reset/")
    html = message.alternatives[0][0]
    assert _reset_link(message) in html
    assert "Stel een nieuw wachtwoord in" in message.subject


def test_reset_mismatch_queues_nothing(client, user, captcha, deliver_mail):
    client.post(URL, {"birth_date": "05-07-1985", "email": user.email, "g-recaptcha-response": captcha()})
    client.post(
        URL, {"birth_date": "04-07-1985", "email": "onbekend@example.nl", "g-recaptcha-response": captcha()}
    )
    assert deliver_mail() == 0
    assert mail.outbox == []


def test_reset_mail_is_delivered_over_real_smtp(client, user, captcha, smtp_server, deliver_mail):
    client.post(URL, {"birth_date": "04-07-1985", "email": user.email, "g-recaptcha-response": captcha()})
    assert deliver_mail() == 1
    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == [user.email]
    assert b"https://portal.example.test/accounts/reset/" in envelope.content
    sent = OutgoingEmail.objects.get()
    assert sent.status == OutgoingEmail.Status.SENT
    assert sent.body_text == ""  # the link is not kept after sending


def test_reset_mail_is_in_the_users_language(client, user_factory, captcha, deliver_mail):
    emma = user_factory(language="en")
    client.post(URL, {"birth_date": "04-07-1985", "email": emma.email, "g-recaptcha-response": captcha()})
    deliver_mail()
    assert mail.outbox[0].subject.startswith("Set a new password")
    assert "Dear Jan," in mail.outbox[0].body


def _request_link(client, user, captcha, deliver_mail) -> str:
    client.post(URL, {"birth_date": "04-07-1985", "email": user.email, "g-recaptcha-response": captcha()})
    deliver_mail()
    return _reset_link(mail.outbox[-1]).replace("https://portal.example.test", "")


def _set_password(client, link, new_password):
    response = client.get(link)
    assert response.status_code == 302  # Django moves the token into the session
    form_url = response["Location"]
    return form_url, client.post(form_url, {"new_password1": new_password, "new_password2": new_password})


def test_reset_link_sets_a_new_password_once(client, user, captcha, deliver_mail):
    link = _request_link(client, user, captcha, deliver_mail)
    form_url, response = _set_password(client, link, "een-heel-nieuw-wachtwoord")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    user.refresh_from_db()
    assert user.check_password("een-heel-nieuw-wachtwoord")
    assert "_auth_user_id" not in client.session  # never logged in by the reset itself
    assert "Uw wachtwoord is gewijzigd" in client.get("/accounts/login/").content.decode()
    # the same link a second time is dead
    again = Client()
    assert "niet meer geldig" in again.get(link, follow=True).content.decode()
    # and the user is told by mail
    deliver_mail()
    assert any("gewijzigd" in m.subject for m in mail.outbox)


def test_reset_cancel_leaves_the_old_password(client, user, captcha, deliver_mail, password):
    link = _request_link(client, user, captcha, deliver_mail)
    form_page = client.get(link, follow=True).content.decode()
    assert "OK" in form_page and 'href="/accounts/login/">Annuleren' in form_page
    user.refresh_from_db()
    assert user.check_password(password)


def test_reset_link_expires_after_the_timeout(client, user, captcha, deliver_mail):
    link = _request_link(client, user, captcha, deliver_mail)
    with time_machine.travel(time.time() + 61 * 60):
        assert "niet meer geldig" in client.get(link, follow=True).content.decode()


def test_reset_link_dies_when_the_password_changes(client, user, captcha, deliver_mail):
    link = _request_link(client, user, captcha, deliver_mail)
    user.set_password("ander-wachtwoord-intussen")
    user.save()
    assert "niet meer geldig" in client.get(link, follow=True).content.decode()


def test_reset_weak_password_is_refused_and_changes_nothing(client, user, captcha, deliver_mail, password):
    link = _request_link(client, user, captcha, deliver_mail)
    _, response = _set_password(client, link, "kort")
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(password)


def test_reset_ends_every_other_session(client, enrolled_user, captcha, deliver_mail, verify):
    user = enrolled_user
    other = Client()
    verify(other, user)
    assert other.get("/dossier/").status_code == 200
    assert user_session_count(user) == 1
    link = _request_link(client, user, captcha, deliver_mail)
    _set_password(client, link, "een-heel-nieuw-wachtwoord")
    assert user_session_count(user) == 0
    assert other.get("/dossier/").status_code == 302


def test_reset_limit_per_email_triggers_with_a_clear_message(client, user, captcha, settings):
    settings.ACCOUNTS_RESET_LIMIT_PER_EMAIL = (3, 3600)
    for _ in range(3):
        assert (
            client.post(
                URL, {"birth_date": "04-07-1985", "email": user.email, "g-recaptcha-response": captcha()}
            ).status_code
            == 302
        )
    response = client.post(
        URL, {"birth_date": "04-07-1985", "email": user.email, "g-recaptcha-response": captcha()}
    )
    assert response.status_code == 429
    assert "Te veel verzoeken" in response.content.decode()
    assert OutgoingEmail.objects.count() == 3


def test_reset_limit_per_ip_covers_unknown_emails_too(client, captcha, settings, db):
    settings.ACCOUNTS_RESET_LIMIT_PER_IP = (5, 3600)
    for n in range(5):
        client.post(
            URL, {"birth_date": "04-07-1985", "email": f"x{n}@example.nl", "g-recaptcha-response": captcha()}
        )
    response = client.post(
        URL, {"birth_date": "04-07-1985", "email": "y@example.nl", "g-recaptcha-response": captcha()}
    )
    assert response.status_code == 429
    # a forged X-Forwarded-For does not give a new address
    response = client.post(
        URL,
        {"birth_date": "04-07-1985", "email": "z@example.nl", "g-recaptcha-response": captcha()},
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert response.status_code == 429


def test_reset_unticked_captcha_shows_its_message(client, user):
    response = client.post(URL, {"birth_date": "04-07-1985", "email": user.email})
    assert response.status_code == 200
    assert "Vink het vakje “Ik ben geen robot” aan." in response.content.decode()
    assert OutgoingEmail.objects.count() == 0


@pytest.mark.parametrize("value", ["nep", "6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI"])
def test_reset_forged_captcha_is_refused(client, user, value):
    response = client.post(
        URL, {"birth_date": "04-07-1985", "email": user.email, "g-recaptcha-response": value}
    )
    assert "De robotcontrole is niet gelukt" in response.content.decode()
    assert OutgoingEmail.objects.count() == 0


def test_reset_replayed_captcha_is_refused(client, user, captcha):
    token = captcha()
    client.post(URL, {"birth_date": "04-07-1985", "email": user.email, "g-recaptcha-response": token})
    response = client.post(
        URL, {"birth_date": "04-07-1985", "email": user.email, "g-recaptcha-response": token}
    )
    assert "De robotcontrole is niet gelukt" in response.content.decode()
    assert OutgoingEmail.objects.count() == 1


def test_reset_unreachable_recaptcha_is_a_try_again_error_not_a_500(client, user, settings):
    """django-recaptcha's real call, against a closed port on loopback: a form error, never a 500."""
    settings.RECAPTCHA_LOCAL = False
    settings.RECAPTCHA_DOMAIN = "127.0.0.1:9"
    response = client.post(
        URL, {"birth_date": "04-07-1985", "email": user.email, "g-recaptcha-response": "x"}
    )
    assert response.status_code == 200
    assert "De robotcontrole kon nu niet worden uitgevoerd" in response.content.decode()
    assert OutgoingEmail.objects.count() == 0


def test_reset_never_sets_a_password_directly(client, user, captcha, password):
    client.post(URL, {"birth_date": "04-07-1985", "email": user.email, "g-recaptcha-response": captcha()})
    assert User.objects.get(pk=user.pk).check_password(password)


def test_reset_requests_without_a_valid_captcha_use_up_no_limit(client, user, captcha, settings):
    """Someone without the captcha cannot exhaust a victim's per-email limit."""
    settings.ACCOUNTS_RESET_LIMIT_PER_EMAIL = (3, 3600)
    for _ in range(10):
        client.post(URL, {"birth_date": "04-07-1985", "email": user.email, "g-recaptcha-response": "nep"})
    response = client.post(
        URL, {"birth_date": "04-07-1985", "email": user.email, "g-recaptcha-response": captcha()}
    )
    assert response.status_code == 302
    assert OutgoingEmail.objects.count() == 1


def test_reset_mail_is_never_sent_inside_the_answer_in_worker_mode(
    client, user, captcha, smtp_server, deliver_mail
):
    """Production: the request only writes the outbox row; the worker sends, so SMTP adds no time to the answer."""
    client.post(URL, {"birth_date": "04-07-1985", "email": user.email, "g-recaptcha-response": captcha()})
    assert smtp_server.messages == []
    assert OutgoingEmail.objects.filter(status="pending").count() == 1
    deliver_mail()
    assert len(smtp_server.messages) == 1
