"""twofactor/otp.py on its own, from the attacker's side: who may enrol, when a re-authentication or a pending
login still counts, how much of a number is shown, how long recovery codes stay in the session, where `next` leads."""

import time

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory

from tests.factories import TOTPDeviceFactory
from twofactor import otp
from twofactor.conf import app_settings

pytestmark = pytest.mark.django_db


def _request(user, *, verified=False):
    request = RequestFactory().get("/")
    request.session = SessionStore()
    user.is_verified = lambda: verified
    request.user = user
    return request


def test_first_enrolment_needs_no_verification_but_a_second_device_does(user):
    assert otp.can_enrol(_request(user), has_confirmed_device=False)
    assert not otp.can_enrol(_request(user), has_confirmed_device=True)  # the password alone adds no device


def test_a_verified_user_enrols_again_only_during_a_fresh_reset(user):
    request = _request(user, verified=True)
    assert not otp.can_enrol(request, has_confirmed_device=True)
    otp.mark_resetting(request)
    assert otp.can_enrol(request, has_confirmed_device=True)
    with time_machine.travel(time.time() + otp.RESET_WINDOW_SECONDS + 1):
        assert not otp.can_enrol(request, has_confirmed_device=True)


def test_anonymous_never_enrols():
    request = RequestFactory().get("/")
    request.session, request.user = SessionStore(), AnonymousUser()
    assert not otp.can_enrol(request, has_confirmed_device=False)


def test_a_forged_reset_marker_counts_for_nothing(user):
    request = _request(user, verified=True)
    request.session[otp.RESETTING] = "always"
    assert not otp.reset_in_progress(request)


def test_reauthentication_is_fresh_for_its_window_only(user):
    request = _request(user, verified=True)
    assert not otp.reauth_is_fresh(request)
    otp.mark_reauthenticated(request)
    assert otp.reauth_is_fresh(request)
    with time_machine.travel(time.time() + app_settings.REAUTH_SECONDS + 1):
        assert not otp.reauth_is_fresh(request)


def test_a_password_only_session_expires_at_the_second_step(user):
    request = _request(user)
    assert otp.pending_login_expired(request)  # no password step recorded at all
    request.session[otp.PASSWORD_AT] = time.time()
    assert not otp.pending_login_expired(request)
    with time_machine.travel(time.time() + app_settings.PENDING_LOGIN_SECONDS + 1):
        assert otp.pending_login_expired(request)


@pytest.mark.parametrize(
    ("number", "shown"), [("+31612345678", "+31 •••• ••78"), ("", "••••"), ("12345", "••••")]
)
def test_a_number_is_masked_to_its_last_two_digits(number, shown):
    assert otp.mask_number(number) == shown


def test_recovery_codes_leave_the_session_after_their_time(user):
    request = _request(user)
    request.session[otp.RECOVERY_CODES] = ["abc"]
    request.session[otp.RECOVERY_CODES_AT] = time.time()
    assert otp.recovery_codes_on_show(request) == ["abc"]
    with time_machine.travel(time.time() + otp.RECOVERY_CODES_SHOWN_SECONDS + 1):
        assert otp.recovery_codes_on_show(request) is None
    assert otp.RECOVERY_CODES not in request.session


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "javascript:x",
        "http:/evil.example",
        "",
        None,
    ],
)
def test_next_never_leaves_the_site(target):
    assert otp.safe_next(target) is None


def test_is_verified_follows_django_otp(user):
    TOTPDeviceFactory(user=user)
    assert not otp.is_verified(_request(user))
    assert otp.is_verified(_request(user, verified=True))
