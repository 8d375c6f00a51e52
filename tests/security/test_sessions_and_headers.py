"""Sessions (idle, absolute, logout, deactivation, no-store) and the security headers; `check --deploy` is clean."""

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from django.test import Client

from tests.session_state import session_exists
from tests.test_settings import PRODUCTION

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent.parent


def test_idle_timeout_logs_out_with_a_translated_page(verified_client):
    with time_machine.travel(time.time() + 15 * 60 + 5):
        response = verified_client.get("/dossier/", follow=True)
    body = response.content.decode()
    assert response.redirect_chain[0][0] == "/accounts/logged-out/?reason=idle&next=%2Fdossier%2F"
    assert "U bent uitgelogd" in body and "niet actief" in body
    assert "_auth_user_id" not in verified_client.session


def test_activity_keeps_the_session_until_the_absolute_lifetime(verified_client):
    start = time.time()
    for minutes in range(10, 8 * 60, 10):
        with time_machine.travel(start + minutes * 60):
            assert verified_client.get("/dossier/").status_code == 200, minutes
    with time_machine.travel(start + 8 * 3600 + 60):
        assert (
            verified_client.get("/dossier/")["Location"]
            == "/accounts/logged-out/?reason=expired&next=%2Fdossier%2F"
        )


def test_logout_kills_the_old_cookie_server_side(verified_client):
    cookie = verified_client.cookies["sessionid"].value
    verified_client.post("/accounts/logout/")
    assert not session_exists(cookie)
    thief = Client()
    thief.cookies["sessionid"] = cookie
    assert thief.get("/dossier/").status_code == 302


def test_personal_pages_are_never_stored(verified_client):
    for url in ("/dossier/", "/account/settings/", "/dossier/access-log/"):
        assert "no-store" in verified_client.get(url)["Cache-Control"], url


def test_user_deactivated_by_staff_is_out_at_the_next_request(verified_client, enrolled_user):
    enrolled_user.is_active = False
    enrolled_user.save()
    assert verified_client.get("/dossier/").status_code == 302


def test_password_change_keeps_this_session_and_ends_the_others(
    verified_client, enrolled_user, verify, password
):
    other = Client()
    verify(other, enrolled_user)
    response = verified_client.post(
        "/accounts/password-change/",
        {
            "old_password": password,
            "new_password1": "een-nieuw-lang-wachtwoord",
            "new_password2": "een-nieuw-lang-wachtwoord",
        },
    )
    assert response["Location"] == "/account/settings/"
    assert verified_client.get("/dossier/").status_code == 200
    assert other.get("/dossier/").status_code == 302


def test_no_session_id_in_any_url(verified_client):
    body = verified_client.get("/dossier/").content.decode()
    assert verified_client.cookies["sessionid"].value not in body


def test_security_headers_on_every_response(client, settings):
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp


def test_check_deploy_with_production_settings_prints_no_warning(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECAPTCHA", "DJANGO", "TWILIO", "SMS_"))}
    env.update(
        {
            **PRODUCTION,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "portal.settings.base",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_cookies_are_secure_httponly_and_lax(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECAPTCHA", "DJANGO", "TWILIO", "SMS_"))}
    env.update({**PRODUCTION, "VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "portal.settings.base"})
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS > 0, s.SECURE_SSL_REDIRECT)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.stdout.split() == ["True", "True", "Lax", "True", "True", "True"], result.stderr


def test_documents_are_never_served_from_media_or_static(world, client_for):
    from tests.factories import document_for

    document = document_for(world.a)
    client = client_for(world.a)
    for prefix in ("/media/", "/static/", "/no-public-url/", "/static/../var/documents/"):
        response = client.get(prefix + document.file.name)
        assert response.status_code == 404, prefix
