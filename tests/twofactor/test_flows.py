"""twofactor/flows.py on its own: the stored `next` is used once and only on this site; finishing a verification
rotates the session key; finishing an enrolment after a reset ends the user's other sessions."""

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import Client, RequestFactory

from accounts.selectors import session_keys_of
from tests.factories import PASSWORD, TOTPDeviceFactory
from twofactor import flows, otp

pytestmark = pytest.mark.django_db


def _request(client):
    """A request carrying the client's real (database) session and user, as a view gets it."""
    from django.conf import settings
    from django.contrib.auth import get_user
    from django.utils.module_loading import import_string
    from django_otp.middleware import OTPMiddleware

    request = RequestFactory().get("/")
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    request.session = store(client.cookies[settings.SESSION_COOKIE_NAME].value)
    request.user = OTPMiddleware(lambda r: None)._verify_user_sync(request, get_user(request))
    request._messages = FallbackStorage(request)
    return request


@pytest.mark.parametrize("candidate", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_a_forged_next_is_never_stored(client, user, candidate):
    client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    request = _request(client)
    flows.next_remember(request, candidate)
    assert otp.NEXT not in request.session
    assert flows.next_pop(request) == "/dossier/"


def test_the_stored_next_is_used_once(client, user):
    client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    request = _request(client)
    flows.next_remember(request, "/dossier/access-log/")
    assert flows.next_pop(request) == "/dossier/access-log/"
    assert flows.next_pop(request) == "/dossier/"
    assert flows.next_pop(request, default="twofactor:settings") == "/account/settings/"


def test_finishing_a_verification_rotates_the_session_key(client, user):
    device = TOTPDeviceFactory(user=user)
    client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    request = _request(client)
    old_key = request.session.session_key
    flows.next_remember(request, "/dossier/access-log/")
    assert flows.finish_verification(request, device) == "/dossier/access-log/"
    assert request.session.session_key != old_key
    assert otp.PASSWORD_AT not in request.session
    assert request.user.is_verified()


def test_finishing_an_enrolment_after_a_reset_ends_every_other_session(client, user):
    device = TOTPDeviceFactory(user=user)
    other = Client()
    other.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    request = _request(client)
    flows.finish_verification(request, device)
    request.session.save()
    new_device = TOTPDeviceFactory(user=user, name="app2")
    flows.finish_enrolment(request, new_device, ["code1"])
    assert sorted(session_keys_of(user=user)) == [request.session.session_key]  # either session engine
    assert request.session[otp.RECOVERY_CODES] == ["code1"]
