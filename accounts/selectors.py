"""Reads of the accounts app."""

import datetime

from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.conf import app_settings
from accounts.models import User, UserManager


def user_for_password_reset(*, email: str, birth_date: datetime.date) -> User | None:
    """The active user with this email and birth date, or None; one query either way (no timing tell)."""
    user = User.objects.filter(email=UserManager.normalize_email(email), is_active=True).first()
    stored = user.birth_date.isoformat() if user is not None and user.birth_date else "0000-00-00"
    if constant_time_compare(stored, birth_date.isoformat()) and user is not None:
        return user
    return None


def account_state(user: User) -> tuple[str, datetime.datetime | None]:
    """Where an account stands for the Web Portaal's list: "active" (its owner set a password), "invited" (the
    newest invitation link still lives; with its date), "expired" (it no longer does) or "not_invited".

    Says nothing about the second factor: HR must not learn how an employee gets in.
    """
    if user.has_usable_password():
        return "active", None
    if user.invited_at is None:
        return "not_invited", None
    lives_until = user.invited_at + datetime.timedelta(seconds=app_settings.INVITATION_TIMEOUT)
    return ("invited" if timezone.now() < lives_until else "expired"), user.invited_at
