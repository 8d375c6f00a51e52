"""The steps of the second-factor flows that touch the request and its session, each written once (as
django-allauth's mfa/*/internal/flows.py): finish a verification, finish an enrolment, send an SMS code, and the
one pair of helpers that keeps the login's `next`. The views only call these; the services do the writes.
"""

import math
import time
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django_otp import login as otp_login

from accounts.services import user_sessions_end
from core.redirects import safe_next
from twofactor import otp, passkeys, selectors, services
from twofactor.gateways import SMSDeliveryError

# The page that sets up each method of "Kies uw methode".
METHOD_SETUP_URLS = {
    "sms": "twofactor:setup-sms",
    "app": "twofactor:setup-app",
    "passkey": "twofactor:setup-passkey",
}


def allowed_methods(user) -> list[str]:
    """The methods this user may choose (staff under STAFF_REQUIRE_STRONG_FACTOR: no SMS)."""
    return [m for m in METHOD_SETUP_URLS if passkeys.method_allowed(user, m)]


# ----------------------------------------------------------------------------------------------- next
def next_remember(request, candidate: str | None) -> None:
    """Keep where the login should lead, if it is a path on this site (core.redirects)."""
    if target := safe_next(candidate):
        request.session[otp.NEXT] = target


def next_pop(request, default: str | None = None) -> str:
    """Where to go now; the stored `next` is used once. Falls back to LOGIN_REDIRECT_URL."""
    return request.session.pop(otp.NEXT, None) or resolve_url(default or settings.LOGIN_REDIRECT_URL)


# ----------------------------------------------------------------------------------------------- finishing
def finish_verification(request, device) -> str:
    """The second step succeeded: mark the session verified, rotate its key, and return where to go."""
    otp_login(request, device)
    request.session.cycle_key()
    request.session.pop(otp.PASSWORD_AT, None)
    return next_pop(request)


def keep_verified_after_removal(request, removed_id: str) -> None:
    """The passkey that verified this session was removed: the session stays verified, now under a remaining
    method (django-otp would otherwise find no device and end the session halfway through Mijn Instellingen)."""
    current = getattr(request.user, "otp_device", None)
    if current is None or current.persistent_id != removed_id:
        return
    remaining = selectors.passkeys_for(request.user).first() or selectors.primary_device_for(request.user)
    if remaining is not None:
        otp_login(request, remaining)


def finish_enrolment(request, device, codes: list[str]) -> None:
    """A new method is confirmed: show its recovery codes next.

    At the first login this also finishes the login (the `next` is kept for after the codes). After a reset the
    session stays verified with the new device under a new key, and every other session of the user ends.
    """
    request.session[otp.RECOVERY_CODES] = codes
    request.session[otp.RECOVERY_CODES_AT] = time.time()
    request.session.pop(otp.PENDING_SECRET, None)
    request.session.pop(otp.RESETTING, None)
    if otp.is_verified(request):
        otp_login(request, device)
        request.session.cycle_key()
        request.session.save()
        user_sessions_end(user=request.user, keep=request.session)
    else:
        request.session[otp.NEXT] = finish_verification(request, device)
    messages.success(request, _("Your two-factor authentication method is set up."))


# ----------------------------------------------------------------------------------------------- SMS
class SMSOutcome:
    SENT, REFUSED, FAILED = "sent", "refused", "failed"


def send_sms_code(request, device, *, quiet_refusal: bool = False, tell_failure: bool = True) -> str:
    """Send a code to the device and say so in a message; returns an SMSOutcome value.

    A refusal (cool-down, hourly cap, country) is told as the service words it, unless `quiet_refusal` (a page that
    sends on arrival); a provider failure is told with the way out unless the page shows its own block for it
    (`tell_failure=False`), and the caller answers 503.
    """
    try:
        services.sms_send_code(device=device, language=get_language())
    except services.SMSNotAllowed as exc:
        if not quiet_refusal:
            messages.error(request, exc.message)
        return SMSOutcome.REFUSED
    except SMSDeliveryError:
        if tell_failure:
            messages.error(
                request,
                _("The SMS could not be sent.") + " " + _("Try again in a moment, or use a recovery code."),
            )
        return SMSOutcome.FAILED
    messages.success(
        request, _("A code was sent to %(number)s.") % {"number": otp.mask_number(device.number)}
    )
    return SMSOutcome.SENT


# ----------------------------------------------------------------------------------------------- throttled
def wait_message(locked_until: datetime) -> str:
    """A throttled code, said plainly: how many minutes to wait (rounded up, at least one) and the other way in."""
    minutes = max(1, math.ceil((locked_until - timezone.now()).total_seconds() / 60))
    return ngettext(
        "Too many wrong codes. For your safety, wait %(minutes)d minute and try again. Or log in now with one of "
        "your recovery codes.",
        "Too many wrong codes. For your safety, wait %(minutes)d minutes and try again. Or log in now with one of "
        "your recovery codes.",
        minutes,
    ) % {"minutes": minutes}
