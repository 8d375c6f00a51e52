"""Issue 17, words: "code" not "token", one spelling "sms-code", B1 Dutch that keeps the manual's labels, plain
English."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    """What a person reads: the page without its tags and attributes."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


@pytest.mark.parametrize("url", ["/twofactor/setup/", "/twofactor/setup/sms/", "/twofactor/setup/app/"])
def test_enrolment_pages_say_code_sms_code_and_plain_dutch(client, login, user, url):
    login(user)
    text = _text(client.get(url))
    assert "token" not in text.lower()
    assert not re.search(r"SMS[- ]code|sms code", text)
    assert "Valideer uw methode" not in text and "authenticatiemethode" not in text
    if url != "/twofactor/setup/":
        assert "Controleer uw methode" in text and "Voer de code in om te valideren" in text
        assert "Extra inlogcode via" in text
    if url == "/twofactor/setup/sms/":
        assert "Stuur sms-code" in text


def test_dossier_home_in_english_says_programmes_not_trajects(verified_client):
    verified_client.cookies["django_language"] = "en"
    text = _text(verified_client.get("/dossier/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "My absence and coaching programmes" in text and "trajects" not in text
