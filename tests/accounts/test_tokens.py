"""accounts/tokens.py from the attacker's side: a reset link works once, for one user, for at most its lifetime."""

import time

import pytest
import time_machine
from django.utils import timezone

from accounts.tokens import password_reset_tokens
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_fresh_token_is_valid_for_its_user_only(user):
    other = UserFactory(email="ander@example.nl")
    token = password_reset_tokens.make_token(user)
    assert password_reset_tokens.check_token(user, token)
    assert not password_reset_tokens.check_token(other, token)


def test_a_token_dies_when_the_password_is_set(user):
    token = password_reset_tokens.make_token(user)
    user.set_password("een-nieuw-wachtwoord-1")
    user.save()
    assert not password_reset_tokens.check_token(user, token)


def test_a_token_dies_after_a_login(user):
    token = password_reset_tokens.make_token(user)
    user.last_login = timezone.now()
    user.save()
    assert not password_reset_tokens.check_token(user, token)


def test_a_token_dies_when_staff_change_the_email_it_was_sent_to(user):
    token = password_reset_tokens.make_token(user)
    user.email = "nieuw@example.nl"
    user.save()
    assert not password_reset_tokens.check_token(user, token)


def test_a_token_expires_after_the_reset_timeout(user, settings):
    token = password_reset_tokens.make_token(user)
    with time_machine.travel(time.time() + settings.PASSWORD_RESET_TIMEOUT + 5):
        assert not password_reset_tokens.check_token(user, token)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"),
        lambda t: t.upper(),
        lambda t: "",
        lambda t: t + "x",
        lambda t: "1-" + t,
    ],
)
def test_a_tampered_token_is_refused(user, mangle):
    token = password_reset_tokens.make_token(user)
    assert not password_reset_tokens.check_token(user, mangle(token))


def test_a_token_of_django_default_generator_is_not_ours(user):
    from django.contrib.auth.tokens import default_token_generator

    assert not password_reset_tokens.check_token(user, default_token_generator.make_token(user))
