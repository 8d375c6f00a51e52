"""Reads of the accounts app."""

import datetime
import time
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.conf import app_settings
from accounts.middleware import LAST_SEEN, STARTED, USER_AGENT
from accounts.models import User, UserManager
from accounts.user_agents import describe


def user_for_password_reset(*, email: str, birth_date: datetime.date) -> User | None:
    """The active user with this email and birth date, or None; one query either way (no timing tell)."""
    user = User.objects.filter(email=UserManager.normalize_email(email), is_active=True).first()
    stored = user.birth_date.isoformat() if user is not None and user.birth_date else "0000-00-00"
    if constant_time_compare(stored, birth_date.isoformat()) and user is not None:
        return user
    return None


def account_state(user: User) -> tuple[str, datetime.datetime | None]:
    """Where an account stands for the Web Portaal's list: "active" (its owner set a password and logged in),
    "no_login_yet" (a password, but never a login), "invited" (the newest invitation link still lives; with its
    date), "expired" (it no longer does) or "not_invited".

    Says nothing about the second factor: HR must not learn how an employee gets in.
    """
    if user.has_usable_password():
        return ("active" if user.last_login else "no_login_yet"), None
    if user.invited_at is None:
        return "not_invited", None
    lives_until = user.invited_at + datetime.timedelta(seconds=app_settings.INVITATION_TIMEOUT)
    return ("invited" if timezone.now() < lives_until else "expired"), user.invited_at


def session_store_class():
    """The configured session engine's store (database or Redis); both offer sessions_of / sessions_end."""
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_keys_of(*, user: User) -> list[str]:
    """The keys of the user's live sessions (for checks and tests; the sessions page reads `sessions_of`)."""
    return [key for key, _ in session_store_class().sessions_of(user.pk)]


def session_public_id(key: str) -> str:
    """How the sessions page names a session: an HMAC of its key, never the key (a key in a page is a login)."""
    return salted_hmac("accounts.sessions.public-id", key).hexdigest()[:32]


@dataclass(frozen=True)
class SessionRow:
    id: str
    device: str
    started: datetime.datetime | None
    last_activity: datetime.datetime | None
    current: bool


def _moment(value) -> datetime.datetime | None:
    return datetime.datetime.fromtimestamp(value, tz=datetime.UTC) if isinstance(value, int | float) else None


def sessions_listing(*, user: User, current_key: str | None) -> list[SessionRow]:
    """ "Waar ben ik ingelogd": the user's live sessions, this one first, then the most recently active.

    Sessions past their idle timeout are left out: their next request logs them out anyway.
    """
    now, rows = time.time(), []
    for key, data in session_store_class().sessions_of(user.pk):
        last = data.get(LAST_SEEN, data.get(STARTED))
        if (
            isinstance(last, int | float)
            and now - last > settings.SESSION_IDLE_TIMEOUT
            and key != current_key
        ):
            continue
        rows.append(
            SessionRow(
                id=session_public_id(key),
                device=describe(str(data.get(USER_AGENT, ""))),
                started=_moment(data.get(STARTED)),
                last_activity=_moment(last),
                current=key == current_key,
            )
        )
    oldest = timezone.now() - datetime.timedelta(days=3650)
    return sorted(rows, key=lambda r: (not r.current, -(r.last_activity or oldest).timestamp()))


def session_key_for_public_id(*, user: User, public_id: str) -> str | None:
    """The key of the user's own session with this public id; another user's id matches nothing."""
    for key, _ in session_store_class().sessions_of(user.pk):
        if constant_time_compare(session_public_id(key), public_id or ""):
            return key
    return None
