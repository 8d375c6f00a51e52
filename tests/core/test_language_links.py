"""Issue 17: a mail in English leads to a page in English, even when the browser asks for Dutch."""

import re

import pytest
from django.core import mail

from core.links import with_language

pytestmark = pytest.mark.django_db


def test_mail_links_carry_the_recipients_language(client, user, captcha, deliver_mail, settings):
    user.language = "en"
    user.save()
    client.post(
        "/accounts/password-reset/",
        {"birth_date": "04-07-1985", "email": user.email, "g-recaptcha-response": captcha()},
    )
    deliver_mail()
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    assert link.startswith(settings.SITE_URL) and link.endswith("?lang=en")


def test_link_with_lang_opens_in_that_language_and_is_remembered(client):
    dutch_browser = {"HTTP_ACCEPT_LANGUAGE": "nl-NL,nl;q=0.9"}
    response = client.get("/accounts/login/?next=/dossier/&lang=en", **dutch_browser)
    assert '<html lang="en">' in response.content.decode()
    assert response.cookies["django_language"].value == "en"
    assert '<html lang="en">' in client.get("/accounts/login/", **dutch_browser).content.decode()


@pytest.mark.parametrize("value", ["fr", "en-evil", "", "<script>", "EN"])
def test_link_with_an_unknown_lang_changes_nothing(client, value):
    response = client.get("/accounts/login/", {"lang": value}, HTTP_ACCEPT_LANGUAGE="nl")
    assert '<html lang="nl">' in response.content.decode()
    assert "django_language" not in response.cookies


def test_with_language_only_touches_our_own_links(settings):
    settings.SITE_URL = "https://portaal.example"
    assert with_language("https://portaal.example/accounts/login/?next=%2Fdossier%2F", "en") == (
        "https://portaal.example/accounts/login/?next=%2Fdossier%2F&lang=en"
    )
    assert with_language("https://portaal.example/x/?lang=nl", "en") == "https://portaal.example/x/?lang=en"
    assert with_language("https://elders.example/", "en") == "https://elders.example/"
    assert with_language("https://portaal.example.evil/", "en") == "https://portaal.example.evil/"
