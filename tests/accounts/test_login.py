"""Login: "Mijn eigen dossier inzien"."""

import pytest

from accounts.backends import EmailBackend

pytestmark = pytest.mark.django_db

WRONG = "Deze combinatie van e-mailadres en wachtwoord is niet juist."


def test_login_page_shows_the_manuals_screen(client):
    response = client.get("/accounts/login/")
    body = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Mijn eigen dossier inzien",
        "Uw e-mailadres",
        "Uw wachtwoord",
        "Inloggen",
        "Wachtwoord vergeten",
        "Geen werknemer?",
        "Inloggen op het Web Portaal",
        'href="/accounts/web-portaal/login/"',  # the staff page (issue 17), no longer round via /admin/
        "flag-nl.svg",
        "flag-uk.svg",
    ):
        assert text in body, text
    assert '<html lang="nl">' in body


def test_login_valid_credentials_goes_on_to_the_second_factor(login, user, client):
    response = login(user)
    assert response.status_code == 302
    assert response["Location"] == "/twofactor/?next=%2Fdossier%2F"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/dossier/").status_code == 302  # the password alone opens nothing


def test_login_email_is_case_insensitive(client, user, password):
    response = client.post("/accounts/login/", {"username": "JAN.Jansen@Example.NL", "password": password})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "email, password",
    [
        ("jan.jansen@example.nl", "fout-wachtwoord-123"),
        ("onbekend@example.nl", "juiste-paard-batterij-nietje"),
    ],
)
def test_login_failure_says_only_the_combination_is_wrong(client, user, email, password):
    response = client.post("/accounts/login/", {"username": email, "password": password})
    assert response.status_code == 200
    body = response.content.decode()
    assert WRONG in body
    assert 'role="alert"' in body
    assert "_auth_user_id" not in client.session


def test_login_inactive_user_is_refused_with_the_same_message(client, user_factory, password):
    inactive = user_factory(is_active=False)
    response = client.post("/accounts/login/", {"username": inactive.email, "password": password})
    assert response.status_code == 200
    assert WRONG in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_rotates_the_session_key(client, login, user):
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key
    login(user)
    assert client.session.session_key != before


def test_login_megabyte_password_refused_before_hashing(client, user, monkeypatch):
    calls = []
    monkeypatch.setattr(EmailBackend, "authenticate", lambda *a, **k: calls.append(1))
    response = client.post("/accounts/login/", {"username": user.email, "password": "x" * 1_000_000})
    assert response.status_code == 200
    assert calls == []
    assert "_auth_user_id" not in client.session


def test_login_next_path_on_this_site_is_followed(login, user):
    response = login(user, next="/dossier/?tab=documenten")
    assert response["Location"] == "/twofactor/?next=%2Fdossier%2F%3Ftab%3Ddocumenten"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/dossier/",
        "//evil.example/dossier/",
        "///evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "dossier/",
    ],
)
def test_login_next_elsewhere_is_ignored(login, user, target):
    response = login(user, next=target)
    assert response.status_code == 302
    assert response["Location"] == "/twofactor/?next=%2Fdossier%2F"


def test_logout_is_post_only(verified_client):
    client = verified_client
    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/dossier/").status_code == 302


def test_dossier_requires_login(client):
    response = client.get("/dossier/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/dossier/")


def test_the_password_step_writes_last_login_and_the_login_event(login, user, client):
    """Django's own update_last_login writes last_login, which a reset link of before the login depends on; the
    login event is written beside it."""
    from accounts.tokens import password_reset_tokens
    from core.models import AuditEvent

    link_token = password_reset_tokens.make_token(user)
    assert login(user).status_code == 302
    user.refresh_from_db()
    event = AuditEvent.objects.get(kind="login_success", user=user)
    assert user.last_login is not None and abs((user.last_login - event.at).total_seconds()) < 1
    assert event.ip == "127.0.0.1"
    assert not password_reset_tokens.check_token(user, link_token)  # the older link died with the login
