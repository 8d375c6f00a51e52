"""Reads of the twofactor app: which devices a user has."""

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

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
    )


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_DEVICE_NAME).count()


def recovery_device_for(user) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True).first()


def method_of(device) -> str | None:
    if isinstance(device, TOTPDevice):
        return "app"
    if isinstance(device, SMSDevice):
        return "sms"
    return None
