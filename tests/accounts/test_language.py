"""The NL and UK flags: Django's set_language, back to the same page, remembered for the user."""

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_flags_switch_the_login_page_to_english_and_back(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/?next=/dossier/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/dossier/"
    body = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in body
    assert "View my own dossier" in body and "Forgot password" in body
    client.post("/i18n/setlang/", {"language": "nl", "next": "/accounts/login/"})
    assert "Mijn eigen dossier inzien" in client.get("/accounts/login/").content.decode()


def test_flags_ignore_a_foreign_next(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil" not in response["Location"]


def test_language_chosen_before_login_is_remembered_for_the_user(client, login, user):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    login(user)
    user.refresh_from_db()
    assert user.language == "en"


def test_language_switch_in_a_verified_session_is_stored(verified_client, enrolled_user):
    verified_client.post("/i18n/setlang/", {"language": "en", "next": "/dossier/"})
    assert User.objects.get(pk=enrolled_user.pk).language == "en"


def test_language_switch_after_the_password_only_changes_no_account(client, login, user):
    login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/twofactor/"})
    assert User.objects.get(pk=user.pk).language == "nl"
    assert '<html lang="en">' in client.get("/twofactor/setup/").content.decode()


def test_stored_language_applies_at_login(client, user_factory, password):
    emma = user_factory(language="en")
    response = client.post("/accounts/login/", {"username": emma.email, "password": password})
    assert response.cookies["django_language"].value == "en"
    assert '<html lang="en">' in client.get("/twofactor/setup/").content.decode()


def test_unknown_language_is_refused(client, login, user):
    login(user)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/dossier/"})
    assert User.objects.get(pk=user.pk).language == "nl"
