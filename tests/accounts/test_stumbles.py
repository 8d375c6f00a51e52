"""Issue 17, the accounts screens: where a tired person on a phone trips (birth date, lockout, the reset page)."""

import re

import pytest
from django.test import Client

from core.models import OutgoingEmail

pytestmark = pytest.mark.django_db

RESET = "/accounts/password-reset/"


@pytest.mark.parametrize(
    "typed",
    [
        "04071985",
        "04-07-1985",
        "4-7-1985",
        "04/07/1985",
        "04.07.1985",
        "04 07 1985",
        " 4 / 7 / 1985 ",
        "1985-07-04",
    ],
)
def test_reset_birth_date_as_people_type_it_sends_the_mail(client, user, captcha, typed):
    response = client.post(
        RESET, {"birth_date": typed, "email": user.email, "g-recaptcha-response": captcha()}
    )
    assert response.status_code == 302, typed
    assert OutgoingEmail.objects.filter(to=user.email).count() == 1


@pytest.mark.parametrize(
    "typed", ["31-02-1985", "0407198", "040719855", "1985", "07-04", "04-07-85", "٠٤٠٧١٩٨٥"]
)
def test_reset_birth_date_not_a_date_gets_one_clear_translated_error(client, user, captcha, typed):
    response = client.post(
        RESET, {"birth_date": typed, "email": user.email, "g-recaptcha-response": captcha()}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["birth_date"] == [
        "Vul uw geboortedatum in als dag, maand, jaar, bijvoorbeeld 17-02-1988 of 17021988."
    ]
    assert OutgoingEmail.objects.count() == 0


def test_reset_birth_date_help_says_digits_only_is_fine_in_both_languages(client):
    assert "bijvoorbeeld 17021988" in client.get(RESET).content.decode()
    english = client.get(RESET, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "for example 17021988" in english and 'placeholder="dd-mm-yyyy"' in english


def _fail(client, email):
    return client.post("/accounts/login/", {"username": email, "password": "fout-wachtwoord-x"})


def test_login_limited_keeps_the_email_and_points_to_forgot_password(client, user):
    for _ in range(5):
        _fail(client, user.email)
    response = _fail(client, user.email)
    assert response.status_code == 429
    body = response.content.decode()
    assert f'value="{user.email}"' in body
    alert = re.search(r'<div class="alert" role="alert"[^>]*>(.*?)</div>', body, re.S).group(1)
    assert "Wacht 1 minuut" in alert or "Wacht 2 minuten" in alert
    assert "Wachtwoord vergeten" in alert
    assert f'href="/accounts/password-reset/?email={user.email.replace("@", "%40")}"' in alert, alert


def test_reset_sent_page_says_what_to_do_when_no_mail_comes(client, settings):
    settings.PORTAL_CONTACT_PHONE = "088 123 45 67"
    settings.PORTAL_CONTACT_EMAIL = "hulp@arbodienst.nl"
    body = client.get("/accounts/password-reset/sent/").content.decode()
    assert "Geen e-mail binnen 10 minuten?" in body and "spam" in body
    assert "088 123 45 67" in body and "hulp@arbodienst.nl" in body
    english = Client().get("/accounts/password-reset/sent/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No email within 10 minutes?" in english


def test_employee_login_links_to_a_staff_login_page_titled_web_portaal(client):
    body = client.get("/accounts/login/").content.decode()
    assert 'Geen werknemer? <a href="/accounts/web-portaal/login/">Inloggen op het Web Portaal</a>' in body
    staff = client.get("/accounts/web-portaal/login/").content.decode()
    assert '<h1 id="login-title">Web Portaal</h1>' in staff and "Mijn eigen dossier inzien</h1>" not in staff
    assert '<a href="/accounts/login/">Mijn eigen dossier inzien</a>' in staff  # where employees go
    assert 'action="/accounts/web-portaal/login/"' in staff


def test_admin_login_leads_to_the_staff_page_not_round_in_a_loop(client):
    location = client.get("/admin/login/?next=/admin/dossier/document/")["Location"]
    assert location == "/accounts/web-portaal/login/?next=%2Fadmin%2Fdossier%2Fdocument%2F"


def test_staff_login_is_the_same_two_steps_and_leads_to_the_web_portaal(client, user_factory, password):
    staff = user_factory(is_staff=True)
    response = client.post("/accounts/web-portaal/login/", {"username": staff.email, "password": password})
    assert response["Location"] == "/twofactor/?next=%2Fadmin%2F"
    assert client.get("/admin/").status_code == 302  # the password alone opens nothing


def test_staff_login_has_the_same_limits(client, user_factory, password):
    staff = user_factory(is_staff=True)
    for _ in range(5):
        client.post(
            "/accounts/web-portaal/login/", {"username": staff.email, "password": "fout-wachtwoord-x"}
        )
    limited = client.post("/accounts/web-portaal/login/", {"username": staff.email, "password": password})
    assert limited.status_code == 429
    assert client.post("/accounts/login/", {"username": staff.email, "password": password}).status_code == 429
