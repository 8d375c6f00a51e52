"""Issue 13, "Waar ben ik ingelogd": list the user's sessions, log out one, log out everywhere (both engines)."""

import pytest
from django.test import Client
from django.utils import translation

from accounts.selectors import session_keys_of, session_public_id
from accounts.user_agents import describe
from core.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


def _verified(user, verify, agent=FIREFOX_WINDOWS) -> Client:
    browser = Client(HTTP_USER_AGENT=agent)
    assert verify(browser, user).status_code == 302
    return browser


def _password_step(user, agent=SAFARI_IPHONE) -> Client:
    browser = Client(HTTP_USER_AGENT=agent)
    assert browser.post("/accounts/login/", {"username": user.email, "password": PASSWORD}).status_code == 302
    return browser


def _ids(page: str) -> list[str]:
    import re

    return re.findall(r'name="session" value="([0-9a-f]+)"', page)


@pytest.mark.parametrize(
    ("agent", "words"),
    [
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/126.0 Safari/537.36 Edg/126.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("curl/8.5", "Unknown browser"),
        ("", "Unknown browser"),
    ],
)
def test_describe_user_agent_in_words(agent, words):
    with translation.override("en"):
        assert describe(agent) == words


def test_sessions_page_lists_every_session_this_one_marked_and_never_a_key(enrolled_user, verify):
    here = _verified(enrolled_user, verify)
    phone = _password_step(enrolled_user)
    page = here.get("/accounts/sessions/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Firefox op Windows" in page and "Safari op iPhone" in page and "deze browser" in page
    assert len(_ids(page)) == 2
    for key in (here.cookies["sessionid"].value, phone.cookies["sessionid"].value):
        assert key not in page


def test_log_out_one_session_ends_exactly_that_one(enrolled_user, verify):
    here = _verified(enrolled_user, verify)
    phone = _password_step(enrolled_user)
    keep = _password_step(enrolled_user, agent=FIREFOX_WINDOWS)
    page = here.get("/accounts/sessions/").content.decode()
    phone_id = next(i for i in _ids(page) if f'value="{i}"' in page.split("Safari")[1].split("</li>")[0])
    response = here.post("/accounts/session-end/", {"session": phone_id})
    assert response.status_code == 302 and response["Location"] == "/accounts/sessions/"
    assert sorted(session_keys_of(user=enrolled_user)) == sorted(
        [here.cookies["sessionid"].value, keep.cookies["sessionid"].value]
    )
    assert "_auth_user_id" not in phone.session
    assert AuditEvent.objects.filter(kind="session_ended", user=enrolled_user).count() == 1


def test_a_session_id_of_another_user_ends_nothing(enrolled_user, verify, user_factory):
    victim = user_factory(email="piet@example.nl")
    theirs = _password_step(victim)
    theirs_page_id = session_public_id(theirs.cookies["sessionid"].value)
    here = _verified(enrolled_user, verify)
    response = here.post("/accounts/session-end/", {"session": theirs_page_id})
    assert response.status_code == 302
    assert session_keys_of(user=victim) == [theirs.cookies["sessionid"].value]
    for junk in ("", "x" * 64, theirs.cookies["sessionid"].value):
        here.post("/accounts/session-end/", {"session": junk})
    assert session_keys_of(user=victim) == [theirs.cookies["sessionid"].value]
    assert len(session_keys_of(user=enrolled_user)) == 1


def test_log_out_everywhere_ends_every_session_this_one_too(enrolled_user, verify):
    here = _verified(enrolled_user, verify)
    phone = _password_step(enrolled_user)
    response = here.post("/accounts/sessions/end-all/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/logged-out/")
    assert session_keys_of(user=enrolled_user) == []
    assert "_auth_user_id" not in phone.session and "_auth_user_id" not in here.session


def test_log_out_of_this_session_from_the_page_is_a_logout(enrolled_user, verify):
    here = _verified(enrolled_user, verify)
    other = _password_step(enrolled_user)
    mine = session_public_id(here.cookies["sessionid"].value)
    assert mine in _ids(here.get("/accounts/sessions/").content.decode())
    assert here.post("/accounts/session-end/", {"session": mine})["Location"].startswith(
        "/accounts/logged-out/"
    )
    assert session_keys_of(user=enrolled_user) == [other.cookies["sessionid"].value]


def test_staff_have_the_page_too(enrolled_user, verify):
    enrolled_user.is_staff = True
    enrolled_user.save(update_fields=["is_staff"])
    here = _verified(enrolled_user, verify)
    with translation.override("en"):
        page = here.get("/accounts/sessions/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Where am I logged in" in page or "Waar ben ik ingelogd" in page
    assert len(_ids(page)) == 1


def test_the_page_needs_a_login_and_the_second_factor(enrolled_user):
    assert Client().get("/accounts/sessions/")["Location"].startswith("/accounts/login/")
    assert Client().post("/accounts/sessions/end-all/")["Location"].startswith("/accounts/login/")
    half = _password_step(enrolled_user)
    assert half.get("/accounts/sessions/")["Location"].startswith("/twofactor/")
    assert half.post("/accounts/sessions/end-all/")["Location"].startswith("/twofactor/")
    assert len(session_keys_of(user=enrolled_user)) == 1
