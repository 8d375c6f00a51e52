"""Every write and side effect of the twofactor app: enrol, send SMS codes, verify, reset, recovery codes."""

import base64
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
import pyotp
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext, override
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.events import Event as AccountEvent
from accounts.services import user_sessions_end
from core import audit, metrics, throttling
from core.links import site_url
from core.mailer import mail_enqueue
from twofactor import passkeys, selectors
from twofactor.conf import app_settings
from twofactor.events import Event
from twofactor.gateways import get_gateway
from twofactor.models import SMSDevice

logger = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
METHOD_LABELS = {
    "sms": gettext_lazy("SMS"),
    "app": gettext_lazy("Authenticator app"),
    "passkey": gettext_lazy("Passkey"),
}


class SMSNotAllowed(Exception):
    """An SMS was refused before sending; `message` is translated and says what to do, `retry_at` when."""

    def __init__(self, message: str, retry_at: datetime | None = None):
        super().__init__(message)
        self.message = message
        self.retry_at = retry_at


@dataclass(frozen=True)
class VerifyResult:
    device: object | None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.device is not None


# ----------------------------------------------------------------------------------------------- SMS
def sms_number_allowed(number) -> bool:
    """SMS-pumping protection: only numbers of the allowed countries (NL and the EU by default)."""
    try:
        parsed = phonenumbers.parse(str(number), None)
    except phonenumbers.NumberParseException:
        return False
    region = phonenumbers.region_code_for_number(parsed)
    mobile = phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )  # never premium-rate, toll-free or landline numbers: those are what SMS pumping goes for
    return phonenumbers.is_valid_number(parsed) and mobile and region in app_settings.SMS_ALLOWED_REGIONS


def _sms_limits(device: SMSDevice, now: datetime) -> None:
    cooldown_ends = (
        device.last_sent_at + timedelta(seconds=app_settings.SMS_RESEND_COOLDOWN)
        if device.last_sent_at
        else None
    )
    # Waits are said as durations: a clock time like "00:59" reads as 59 seconds to most people.
    if cooldown_ends and now < cooldown_ends:
        seconds = max(1, math.ceil((cooldown_ends - now).total_seconds()))
        raise SMSNotAllowed(
            ngettext(
                "A code was sent a moment ago. You can ask for a new one in %(seconds)d second.",
                "A code was sent a moment ago. You can ask for a new one in %(seconds)d seconds.",
                seconds,
            )
            % {"seconds": seconds},
            cooldown_ends,
        )
    for scope, ident in (("sms-user", str(device.user_id)), ("sms-number", str(device.number))):
        verdict = throttling.hit(scope, ident, limit=app_settings.SMS_HOURLY_CAP, period=3600)
        if not verdict.allowed:
            retry_at = now + timedelta(seconds=verdict.retry_after)
            minutes = max(1, math.ceil(verdict.retry_after / 60))
            raise SMSNotAllowed(
                ngettext(
                    "You have asked for too many SMS codes. Try again in %(minutes)d minute, or use a recovery code.",
                    "You have asked for too many SMS codes. Try again in %(minutes)d minutes, or use a recovery "
                    "code.",
                    minutes,
                )
                % {"minutes": minutes},
                retry_at,
            )


def sms_send_code(*, device: SMSDevice, language: str) -> None:
    """Send a fresh 6-digit code to the device's number, within the cooldown, hourly caps and country allow-list.

    Raises SMSNotAllowed (limits) or SMSDeliveryError (provider down); in both cases nothing is saved.
    """
    if not sms_number_allowed(device.number):
        raise SMSNotAllowed(_("SMS codes can only be sent to mobile numbers in the Netherlands or the EU."))
    with transaction.atomic():
        device = SMSDevice.objects.select_for_update().get(pk=device.pk)
        now = timezone.now()
        _sms_limits(device, now)
        device.generate_token(length=6, valid_secs=app_settings.SMS_CODE_VALIDITY, commit=False)
        with override(language):
            body = _("%(code)s is your login code for %(portal)s. It is valid for %(minutes)d minutes.") % {
                "code": device.token,
                "portal": app_settings.TOTP_ISSUER,
                "minutes": max(1, app_settings.SMS_CODE_VALIDITY // 60),
            }
        get_gateway().send(
            to=str(device.number), body=body
        )  # raises SMSDeliveryError: the transaction rolls back
        device.wrong_tries = 0
        device.last_sent_at = now
        device.save()


@transaction.atomic
def sms_enrol_start(*, user, number, language: str) -> SMSDevice:
    """Create (or re-point) the user's unconfirmed SMS device and send it a code; confirmed devices stay as they are."""
    device = selectors.pending_sms_device_for(user)
    if device is None:
        device = SMSDevice(user=user, name="sms", confirmed=False, number=number)
        device.save()
    elif device.number != number:
        device.number = number
        device.token = None
        device.save()
    sms_send_code(device=device, language=language)
    return device


def sms_pending_discard(*, user) -> None:
    """A cancelled reset leaves no half-enrolled SMS device behind."""
    SMSDevice.objects.filter(user=user, confirmed=False).delete()


# ----------------------------------------------------------------------------------------------- app (TOTP)
def totp_new_secret() -> str:
    return pyotp.random_base32(length=32)


def totp_provisioning_uri(*, secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=app_settings.TOTP_ISSUER)


# ----------------------------------------------------------------------------------------------- enrolment
ENROL_LIMIT = (5, 300)  # wrong codes while confirming a new device, per user
REAUTH_LIMIT = (5, 900)  # re-authentication attempts (password and code), per user


def enrol_attempt_allowed(*, user, ip: str | None = None) -> throttling.Verdict:
    """Wrong codes while confirming a new device count too."""
    verdict = throttling.hit(
        "enrol", str(user.pk), limit=ENROL_LIMIT[0], period=ENROL_LIMIT[1], fail_open=True
    )
    if not verdict.allowed:
        audit.record(AccountEvent.LIMIT_REACHED, user=user, ip=ip, detail="second factor: enrolment")
    return verdict


def reauth_attempt_allowed(*, user, ip: str | None = None) -> throttling.Verdict:
    """A stolen session cannot guess the password on the re-authentication page."""
    verdict = throttling.hit(
        "reauth", str(user.pk), limit=REAUTH_LIMIT[0], period=REAUTH_LIMIT[1], fail_open=True
    )
    if not verdict.allowed:
        audit.record(AccountEvent.LIMIT_REACHED, user=user, ip=ip, detail="second factor: re-authentication")
    return verdict


@transaction.atomic
def totp_enrol_confirm(
    *, user, secret: str, token: str, ip: str | None = None
) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the app when the code matches the pending secret (±1 step); the code is spent at once."""
    _lock_user(user)  # a double click confirms once, not twice with two sets of recovery codes
    token = "".join(str(token).split())
    if not (token.isascii() and token.isdigit() and len(token) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = timezone.now().timestamp()
    matched_t = next((t for t in (-1, 0, 1) if secrets.compare_digest(totp.at(now + t * 30), token)), None)
    if matched_t is None:
        return None
    device = TOTPDevice(
        user=user,
        name="app",
        key=base64.b32decode(secret).hex(),
        confirmed=True,
        tolerance=1,
        last_t=int(now // 30) + matched_t,  # this very code cannot be replayed at the next login
    )
    device.save()
    return device, _enrolment_complete(user=user, device=device, ip=ip)


@transaction.atomic
def sms_enrol_confirm(*, user, token: str, ip: str | None = None) -> tuple[SMSDevice, list[str]] | None:
    _lock_user(user)
    device = SMSDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None or not device.verify_token("".join(str(token).split())):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device, _enrolment_complete(user=user, device=device, ip=ip)


def _lock_user(user) -> None:
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


def _enrolment_complete(*, user, device, ip: str | None) -> list[str]:
    """Only now is the old method removed; new recovery codes replace the old ones; the user is told by mail."""
    old_apps = TOTPDevice.objects.filter(user=user)
    old_sms = SMSDevice.objects.filter(user=user)
    if isinstance(device, TOTPDevice):
        old_apps = old_apps.exclude(pk=device.pk)
    else:
        old_sms = old_sms.exclude(pk=device.pk)
    had_device = old_apps.filter(confirmed=True).exists() or old_sms.filter(confirmed=True).exists()
    old_apps.delete()
    old_sms.delete()
    codes = recovery_codes_replace(user=user)
    audit.record(
        Event.OTP_RESET if had_device else Event.OTP_ENROLLED,
        user=user,
        ip=ip,
        detail=selectors.method_of(device) or "",
    )
    _notify(
        user=user,
        template="twofactor/email/method_changed" if had_device else "twofactor/email/method_added",
        method=selectors.method_of(device),
    )
    return codes


# No look-alikes: without i, l, o, 0 and 1 nobody has to guess whether a printed character is a letter or a digit.
# Older codes (django-otp's base32: a-z, 2-7) stay valid: a code is compared as stored.
RECOVERY_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 10  # 31^10, about 2^49: single-use and throttled by the device


def recovery_code_new() -> str:
    """One recovery code from the unambiguous alphabet (secrets: a CSPRNG)."""
    return "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))


@transaction.atomic
def recovery_codes_replace(*, user, notify: bool = False) -> list[str]:
    """Ten new single-use recovery codes; the old ones stop working.

    The recovery device itself is kept (only its codes change), so a session verified with a recovery code stays
    verified while the user makes new ones.
    """
    device, _ = StaticDevice.objects.select_for_update().get_or_create(
        user=user, name=selectors.RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [recovery_code_new() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    if notify:
        _notify(user=user, template="twofactor/email/recovery_codes_new", method=None)
    return codes


# ----------------------------------------------------------------------------------------------- verification
def device_verify(*, user, token: str, ip: str | None = None, primary=None) -> VerifyResult:
    """Check a code against the user's method, else against the recovery codes (a match there is spent).

    Devices are locked for the check, so two parallel requests cannot both spend one code. A throttled device
    answers with the time it may be tried again instead of a generic "invalid". `primary` may be the reference to
    the user's app or SMS device (selectors.DeviceRef) when the caller has it already; its row is read here, once,
    locked, before the check.
    One transaction: the lock, the device's use and the event commit together.
    """
    with transaction.atomic():
        return _device_verify(user=user, token=token, ip=ip, primary=primary)


def _device_verify(*, user, token: str, ip: str | None, primary) -> VerifyResult:
    token = "".join(str(token).split()).replace("-", "").lower()  # typed with spaces, a dash or capitals
    if not token.isascii():
        return VerifyResult(device=None)
    # Six digits go to the app or SMS device; anything else is a recovery code. A recovery code typed in therefore
    # never counts as a wrong code against the phone, and the reverse.
    if token.isdigit() and len(token) == 6:
        ref = (
            primary
            if primary is not None and primary.user_id == user.pk
            else selectors.primary_device_ref(user)
        )
        device = ref.load(lock=True) if ref is not None else None
    else:
        device = selectors.recovery_device_for(user)
        device = type(device).objects.select_for_update().get(pk=device.pk) if device is not None else None
    if device is None or not passkeys.method_allowed(user, selectors.method_of(device) or ""):
        return VerifyResult(device=None)  # staff under STAFF_REQUIRE_STRONG_FACTOR: SMS codes no longer count
    allowed, info = device.verify_is_allowed()
    if not allowed:
        audit.record(AccountEvent.LIMIT_REACHED, user=user, ip=ip, detail="second factor")
        metrics.THROTTLE_REFUSALS.labels(limit="second-factor").inc()
        return VerifyResult(device=None, locked_until=(info or {}).get("locked_until"))
    if device.verify_token(token):
        audit.record(
            Event.OTP_SUCCESS, user=user, ip=ip, detail=selectors.method_of(device) or "recovery code"
        )
        return VerifyResult(device=device)
    audit.record(Event.OTP_FAILURE, user=user, ip=ip, detail=selectors.method_of(device) or "recovery code")
    return VerifyResult(device=None)


# ----------------------------------------------------------------------------------------------- reset
@transaction.atomic
def twofactor_reset_by_staff(*, user, actor, ip: str | None = None) -> None:
    """For a lost phone without recovery codes: remove every device; the user enrols again at the next login.

    The password is never touched and the user is mailed at once (not when the worker comes round), so a reset
    cannot quietly become a way into someone else's dossier. Who may call it: dossier/account_rules.py.
    """
    TOTPDevice.objects.filter(user=user).delete()
    SMSDevice.objects.filter(user=user).delete()
    WebAuthnCredential.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[user],
        action_flag=CHANGE,
        change_message=gettext("Two-factor authentication reset by staff; the user was mailed."),
        single_object=True,
    )
    user_sessions_end(user=user)
    audit.record(Event.STAFF_OTP_RESET, user=user, actor=actor, ip=ip)
    _notify(user=user, template="twofactor/email/reset_by_staff", method=None, send_now=True)


# ----------------------------------------------------------------------------------------------- passkeys
class PasskeyRefused(Exception):
    """A passkey change that the rules refuse; `message` is translated and says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def passkey_name_clean(name: str) -> str:
    return " ".join(str(name or "").split())[: passkeys.NAME_MAX_LENGTH]


@transaction.atomic
def passkey_enrolled(
    *, user, device: WebAuthnCredential, name: str = "", ip: str | None = None
) -> list[str] | None:
    """A passkey was registered (the library checked the ceremony): name it, audit it, mail the user.

    A first method also gets the ten recovery codes (returned); a passkey added beside a method keeps the codes the
    user already has (None; "New recovery codes" makes new ones), and unlike a reset never removes the other method.
    """
    _lock_user(user)
    had_method = (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or SMSDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).exists()
    )
    device.name = passkey_name_clean(name) or gettext("Passkey")
    device.save(update_fields=["name"])
    audit.record(Event.PASSKEY_ENROLLED, user=user, ip=ip, detail=f"passkey {device.pk}: {device.name}")
    _notify(
        user=user, template="twofactor/email/passkey_added", method="passkey", extra={"name": device.name}
    )
    return None if had_method else recovery_codes_replace(user=user)


def passkey_used(*, user, device: WebAuthnCredential, ip: str | None = None) -> None:
    audit.record(Event.PASSKEY_USED, user=user, ip=ip, detail=f"passkey {device.pk}: {device.name}")


def passkey_failed(*, user, ip: str | None = None, reason: str = "") -> None:
    audit.record(Event.PASSKEY_FAILURE, user=user, ip=ip, detail=reason)


@transaction.atomic
def passkey_rename(*, user, device: WebAuthnCredential, name: str, ip: str | None = None) -> None:
    """A new name for one of the user's own passkeys; mailed, so a stolen session cannot relabel quietly."""
    name = passkey_name_clean(name)
    if not name:
        raise PasskeyRefused(gettext("Enter a name for the passkey."))
    old, device.name = device.name, name
    device.save(update_fields=["name"])
    audit.record(Event.PASSKEY_RENAMED, user=user, ip=ip, detail=f"passkey {device.pk}: {old} -> {name}")
    _notify(user=user, template="twofactor/email/passkey_renamed", method="passkey", extra={"name": name})


@transaction.atomic
def passkey_remove(*, user, device: WebAuthnCredential, ip: str | None = None) -> None:
    """Remove one passkey (the caller has a fresh re-authentication), unless it is the last way in.

    Prevents locking oneself out, and a stolen session quietly removing what the owner logs in with: the owner is
    mailed at once.
    """
    _lock_user(user)
    left_after = WebAuthnCredential.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).count()
    other = (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or SMSDevice.objects.filter(user=user, confirmed=True).exists()
    )
    if not passkeys.may_remove_passkey(passkeys_left_after=left_after, has_other_method=other):
        raise PasskeyRefused(
            gettext(
                "This is your only way to log in. Add another passkey or method first, then remove this one."
            )
        )
    name = device.name
    device.delete()
    audit.record(Event.PASSKEY_REMOVED, user=user, ip=ip, detail=f"passkey: {name}")
    _notify(
        user=user,
        template="twofactor/email/passkey_removed",
        method="passkey",
        extra={"name": name},
        send_now=True,
    )


def _notify(
    *, user, template: str, method: str | None, send_now: bool = False, extra: dict | None = None
) -> None:
    mail_enqueue(
        to=user.email,
        template=template,
        context={
            "user": user,
            "method_label": METHOD_LABELS.get(method, ""),
            "link": site_url(reverse("twofactor:settings")),
            **(extra or {}),
        },
        language=user.language,
        send_now=send_now,
    )
