"""Issue 13: the idle timeout's warning dialog, as the server sees it. The status check reads the clock and never
restarts it; "Blijf ingelogd" restarts it (POST, CSRF) but never past the absolute lifetime; a timed-out page view
goes to "U bent uitgelogd" and, after logging in again, back to that page; without JavaScript the server still logs
out. The clock stays written at most once per WRITE_INTERVAL."""

import re
import time

import pytest
import time_machine
from django.test import Client

from accounts.middleware import LAST_SEEN, WRITE_INTERVAL

pytestmark = pytest.mark.django_db
STATUS, KEEP = "/accounts/session/idle/", "/accounts/session/keep-alive/"
FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def _strict(verified_client):
    """The same browser, but with Django's CSRF checks on (the test client skips them by default)."""
    verified_client.get("/dossier/")  # sets the CSRF cookie
    client = Client(enforce_csrf_checks=True)
    client.cookies = verified_client.cookies
    return client


def _csrf(client, path="/dossier/"):
    body = client.get(path).content.decode()
    return re.search(r'id="idle-keep-form">.*?name="csrfmiddlewaretoken" value="([^"]+)"', body, re.S).group(
        1
    )


def test_status_and_keep_alive_without_a_session_answer_401_with_where_to_go(client):
    for response in (client.get(STATUS), client.post(KEEP, **FETCH)):
        assert response.status_code == 401
        assert response.json() == {
            "expires_in": 0,
            "extendable": False,
            "logged_out_url": "/accounts/logged-out/?reason=idle",
        }


def test_status_answers_the_seconds_left_and_does_not_restart_the_clock(verified_client):
    start = time.time()
    with time_machine.travel(start, tick=False):
        verified_client.get("/dossier/")
        seen = verified_client.session[LAST_SEEN]
    with time_machine.travel(seen + 5 * 60, tick=False):
        assert verified_client.get(STATUS).json() == {"expires_in": 600, "extendable": True}
    with time_machine.travel(seen + 14 * 60, tick=False):
        assert verified_client.get(STATUS).json()["expires_in"] == 60
        assert verified_client.session[LAST_SEEN] == seen  # checks are no activity
    with time_machine.travel(seen + 15 * 60 + 1, tick=False):
        response = verified_client.get(STATUS)
    assert response.status_code == 401 and response.json()["logged_out_url"].endswith("reason=idle")
    assert "_auth_user_id" not in verified_client.session  # the check itself ended the session server-side


def test_page_carries_the_seconds_left_for_the_dialog(verified_client):
    body = verified_client.get("/dossier/").content.decode()
    assert re.search(r'data-idle-expires-in="(89\d|900)"', body)
    assert 'role="alertdialog"' in body and "Blijf ingelogd" in body and "js/idle.js" in body
    assert "<script>" not in body and " style=" not in body  # the strict CSP: nothing inline


def test_keep_alive_needs_the_csrf_token(verified_client):
    client = _strict(verified_client)
    seen = client.session[LAST_SEEN]
    with time_machine.travel(seen + 10 * 60, tick=False):
        refused = client.post(KEEP, **FETCH)
        assert refused.status_code == 403 and b"expires_in" not in refused.content
        # (any request, refused or not, is activity for the middleware, as before; SameSite=Lax keeps the session
        # cookie off a cross-site POST, so another site cannot make the victim's browser do this)


def test_keep_alive_restarts_the_clock_and_answers_the_seconds_left(verified_client):
    client = _strict(verified_client)
    token = _csrf(client)
    seen = client.session[LAST_SEEN]
    with time_machine.travel(seen + 14 * 60, tick=False):
        response = client.post(KEEP, {"csrfmiddlewaretoken": token}, **FETCH)
        assert response.json() == {"expires_in": 900, "extendable": True}
        assert client.session[LAST_SEEN] == pytest.approx(seen + 14 * 60)
    with time_machine.travel(
        seen + 28 * 60, tick=False
    ):  # 28 minutes after the page, 14 after "Blijf ingelogd"
        assert client.get("/dossier/").status_code == 200


def test_keep_alive_never_reaches_past_the_absolute_lifetime(verified_client, settings):
    settings.SESSION_ABSOLUTE_LIFETIME = 20 * 60
    seen = verified_client.session[LAST_SEEN]
    with time_machine.travel(seen + 10 * 60, tick=False):
        answer = verified_client.post(KEEP, **FETCH).json()
    assert answer["extendable"] is False and 590 <= answer["expires_in"] <= 600
    with time_machine.travel(seen + 19 * 60, tick=False):
        assert verified_client.post(KEEP, **FETCH).json()["expires_in"] <= 60  # asking again buys nothing
    with time_machine.travel(seen + 20 * 60 + 5, tick=False):
        response = verified_client.get("/dossier/")
    assert response["Location"].startswith("/accounts/logged-out/?reason=expired")


def test_keep_alive_without_javascript_returns_to_the_page_and_refuses_a_forged_next(verified_client):
    assert verified_client.post(KEEP, {"next": "/dossier/access-log/"})["Location"] == "/dossier/access-log/"
    for forged in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert verified_client.post(KEEP, {"next": forged})["Location"] == "/"


def test_status_and_keep_alive_refuse_the_wrong_method(verified_client):
    assert verified_client.post(STATUS).status_code == 405
    assert verified_client.get(KEEP).status_code == 405


def test_timed_out_page_leads_back_to_itself_after_logging_in_again(verified_client, enrolled_user, verify):
    page = "/dossier/access-log/?who=self"
    seen = verified_client.session[LAST_SEEN]
    with time_machine.travel(seen + 15 * 60 + 5):
        out = verified_client.get(page)
        assert (
            out["Location"]
            == "/accounts/logged-out/?reason=idle&next=%2Fdossier%2Faccess-log%2F%3Fwho%3Dself"
        )
        body = verified_client.get(out["Location"]).content.decode()
        assert 'href="/accounts/login/?next=%2Fdossier%2Faccess-log%2F%3Fwho%3Dself"' in body
        assert "niet actief" in body
        # the user follows "Opnieuw inloggen": both steps, then the page they were on
        assert verify(verified_client, enrolled_user, next_path=page)["Location"] == page


def test_timed_out_post_is_not_repeated_after_logging_in(verified_client):
    seen = verified_client.session[LAST_SEEN]
    with time_machine.travel(seen + 15 * 60 + 5):
        response = verified_client.post("/accounts/sessions/end-all/")
    assert response["Location"] == "/accounts/logged-out/?reason=idle"


@pytest.mark.parametrize(
    "forged", ["https://evil.example/x", "//evil.example", "/\\evil.example", "javascript:x"]
)
def test_logged_out_page_ignores_a_forged_next(client, forged):
    body = client.get("/accounts/logged-out/", {"reason": "idle", "next": forged}).content.decode()
    assert 'href="/accounts/login/"' in body and "login/?next" not in body


def test_without_javascript_the_server_still_logs_out_after_the_idle_time(verified_client):
    seen = verified_client.session[LAST_SEEN]
    with time_machine.travel(seen + 15 * 60 + 5):
        assert verified_client.get("/account/settings/")["Location"].startswith(
            "/accounts/logged-out/?reason=idle"
        )
        assert verified_client.get("/dossier/")["Location"].startswith("/accounts/login/")


def test_idle_clock_is_still_written_at_most_once_per_interval(verified_client):
    seen = verified_client.session[LAST_SEEN]
    with time_machine.travel(seen + WRITE_INTERVAL - 5, tick=False):
        verified_client.get("/dossier/")
        assert verified_client.session[LAST_SEEN] == seen
    with time_machine.travel(seen + WRITE_INTERVAL + 5, tick=False):
        verified_client.get("/dossier/")
        assert verified_client.session[LAST_SEEN] == pytest.approx(seen + WRITE_INTERVAL + 5)


def test_web_portaal_pages_carry_the_dialog_too(client, enrolled_user, verify):
    enrolled_user.is_staff = True
    enrolled_user.save()
    verify(client, enrolled_user)
    response = client.get("/admin/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "data-idle-expires-in=" in body and "js/idle.js" in body


def test_pages_before_the_second_step_have_no_dialog(client, enrolled_user, password):
    client.post("/accounts/login/", {"username": enrolled_user.email, "password": password})
    assert "idle-dialog" not in client.get("/twofactor/verify/").content.decode()
