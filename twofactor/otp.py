"""The rules of the second step, in one place: who may enrol, when a re-authentication counts, when a half-finished
login expires, where `next` may lead.

Prevents: enrolling a new device with the password alone (a user with a confirmed device must verify first), a
stale re-authentication, a password-only session lingering at the second step, and an open redirect via `next`.
"""

import time

from accounts.services import SESSION_PASSWORD_AT
from core.redirects import safe_next  # noqa: F401 - one rule for every `next`
from twofactor.conf import app_settings

# Session keys (named constants, cleared at the end of each flow).
NEXT = "twofactor.next"
PASSWORD_AT = SESSION_PASSWORD_AT  # set by accounts at the password step
PENDING_SECRET = "twofactor.pending_secret"
RECOVERY_CODES = "twofactor.recovery_codes"
RECOVERY_CODES_AT = "twofactor.recovery_codes_at"
RECOVERY_CODES_SHOWN_SECONDS = 10 * 60  # long enough to print or download them, then gone from the session
REAUTH_AT = "twofactor.reauth_at"
RESETTING = "twofactor.resetting"

DEFAULT_NEXT = "/dossier/"


def is_verified(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_verified())


RESET_WINDOW_SECONDS = 15 * 60  # time to choose and confirm the new method after a reset was started


def can_enrol(request, *, has_confirmed_device: bool) -> bool:
    """First enrolment before verification, or a recent reset started with a fresh re-authentication."""
    if not request.user.is_authenticated:
        return False
    if not is_verified(request):
        return not has_confirmed_device
    return reset_in_progress(request) or not has_confirmed_device


def mark_resetting(request) -> None:
    request.session[RESETTING] = time.time()


def reset_in_progress(request) -> bool:
    started = request.session.get(RESETTING)
    return isinstance(started, (int, float)) and time.time() - started <= RESET_WINDOW_SECONDS


def pending_login_expired(request) -> bool:
    """An unfinished second step expires TWOFACTOR_PENDING_LOGIN_SECONDS after the password step."""
    started = request.session.get(PASSWORD_AT)
    return started is None or time.time() - started > app_settings.PENDING_LOGIN_SECONDS


def mark_reauthenticated(request) -> None:
    request.session[REAUTH_AT] = time.time()


def reauth_is_fresh(request) -> bool:
    at = request.session.get(REAUTH_AT)
    return at is not None and time.time() - at <= app_settings.REAUTH_SECONDS


def sms_code_pending(device) -> bool:
    """An SMS code was sent and is still valid, so opening the page again sends no new one."""
    valid_until = getattr(device, "valid_until", None)
    return bool(getattr(device, "token", None) and valid_until and time.time() < valid_until.timestamp())


def mask_number(number) -> str:
    """+31612345678 -> +31 •••• ••78: enough to recognise, not enough to harvest."""
    text = str(number or "")
    if len(text) < 6:
        return "••••"
    return f"{text[:3]} •••• ••{text[-2:]}"


def recovery_codes_on_show(request) -> list[str] | None:
    """The new recovery codes while they may still be shown (until "continue", at most ten minutes)."""
    at = request.session.get(RECOVERY_CODES_AT)
    if at is None or time.time() - at > RECOVERY_CODES_SHOWN_SECONDS:
        recovery_codes_forget(request)
        return None
    return request.session.get(RECOVERY_CODES)


def recovery_codes_forget(request) -> None:
    request.session.pop(RECOVERY_CODES, None)
    request.session.pop(RECOVERY_CODES_AT, None)
