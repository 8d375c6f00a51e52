"""Reads of the accounts app."""

import datetime

from django.utils.crypto import constant_time_compare

from accounts.models import User, UserManager


def user_for_password_reset(*, email: str, birth_date: datetime.date) -> User | None:
    """The active user with this email and birth date, or None; one query either way (no timing tell)."""
    user = User.objects.filter(email=UserManager.normalize_email(email), is_active=True).first()
    stored = user.birth_date.isoformat() if user is not None and user.birth_date else "0000-00-00"
    if constant_time_compare(stored, birth_date.isoformat()) and user is not None:
        return user
    return None
