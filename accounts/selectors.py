"""Reads of the accounts app."""

import datetime
from importlib import import_module

from django.conf import settings
from django.utils.crypto import constant_time_compare

from accounts.models import User, UserManager


def user_for_password_reset(*, email: str, birth_date: datetime.date) -> User | None:
    """The active user with this email and birth date, or None; one query either way (no timing tell)."""
    user = User.objects.filter(email=UserManager.normalize_email(email), is_active=True).first()
    stored = user.birth_date.isoformat() if user is not None and user.birth_date else "0000-00-00"
    if constant_time_compare(stored, birth_date.isoformat()) and user is not None:
        return user
    return None


def session_store_class():
    """The configured session engine's store (database or Redis); both offer sessions_of / sessions_end."""
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_keys_of(*, user: User) -> list[str]:
    """The keys of the user's live sessions (for checks and tests; the sessions page reads `sessions_of`)."""
    return [key for key, _ in session_store_class().sessions_of(user.pk)]
