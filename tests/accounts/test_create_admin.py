"""manage.py create_admin: the first administrator, with a printed one-time link and never a password argument."""

import io
import re
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command

from accounts.events import Event
from accounts.models import User
from core.models import AuditEvent

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "een-lang-nieuw-wachtwoord-2026"


def _create(*args: str) -> str:
    out = io.StringIO()
    call_command("create_admin", *args, stdout=out)
    return out.getvalue()


def _link(output: str) -> str:
    return re.search(r"https://portal\.example\.test/accounts/reset/\S+", output).group(0)


def test_create_admin_makes_a_superuser_without_password_and_prints_a_link_that_sets_one(client):
    output = _create("--email", "Beheer@Provider.nl", "--first-name", "Anna", "--last-name", "Beheer")
    user = User.objects.get(email__iexact="beheer@provider.nl")
    assert user.is_staff and user.is_superuser and user.is_active
    assert not user.has_usable_password()
    assert "60 minutes" in output and "works once" in output
    assert AuditEvent.objects.filter(user=user, kind=Event.PASSWORD_RESET_REQUESTED).exists()

    path = urlsplit(_link(output)).path
    response = client.get(path)  # Django's confirm view moves the token into the session ...
    assert response.status_code == 302 and response["Location"].endswith("/set-password/")
    response = client.post(
        response["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # ... and the link is spent: the password hash it was made from has changed.
    assert client.get(path).status_code == 200 and not client.get(path).has_header("Location")


def test_create_admin_refuses_an_address_that_exists(user):
    with pytest.raises(CommandError, match="already has an account"):
        _create("--email", user.email.upper())


def test_create_admin_has_no_password_option():
    with pytest.raises(CommandError):
        _create("--email", "a@provider.nl", "--password", "secret")


def test_a_new_link_only_for_an_administrator_who_has_no_password_yet(user):
    _create("--email", "beheer@provider.nl")
    assert "/accounts/reset/" in _create("--email", "beheer@provider.nl", "--new-link")
    with pytest.raises(CommandError, match="only a staff user who has not set a password"):
        _create("--email", user.email, "--new-link")  # an employee with a password: use "Wachtwoord vergeten"
    with pytest.raises(CommandError, match="No user"):
        _create("--email", "nobody@provider.nl", "--new-link")


def test_create_admin_refuses_an_invalid_address():
    with pytest.raises(CommandError, match="e-mailadres|email address"):  # Django's own message
        _create("--email", "not-an-address")
