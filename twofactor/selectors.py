"""Reads of the twofactor app: which devices a user has."""

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from twofactor.models import SMSDevice

RECOVERY_DEVICE_NAME = "recovery"


def primary_device_for(user, *, confirmed: bool = True):
    """The user's confirmed app or SMS device (the newest, should a reset be half-way), or None."""
    candidates = [
        *TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk")[:1],
        *SMSDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk")[:1],
    ]
    return max(candidates, key=lambda d: d.created_at, default=None)


def pending_sms_device_for(user) -> SMSDevice | None:
    return SMSDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def has_confirmed_device(user) -> bool:
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or SMSDevice.objects.filter(user=user, confirmed=True).exists()
        or has_passkey(user)
    )


# ----------------------------------------------------------------------------------------------- passkeys
def passkeys_for(user):
    """The user's confirmed passkeys, oldest first (Mijn Instellingen lists them)."""
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")


def has_passkey(user) -> bool:
    return passkeys_for(user).exists()


def passkey_of(user, pk) -> WebAuthnCredential | None:
    """One passkey of this user; another user's id answers None (never someone else's passkey)."""
    try:
        return passkeys_for(user).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_DEVICE_NAME).count()


def recovery_device_for(user) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True).first()


def method_of(device) -> str | None:
    if isinstance(device, TOTPDevice):
        return "app"
    if isinstance(device, SMSDevice):
        return "sms"
    if isinstance(device, WebAuthnCredential):
        return "passkey"
    return None
