"""Reads of the twofactor app: which devices a user has."""

from dataclasses import dataclass
from functools import cache

from django.db import connection
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from twofactor.models import SMSDevice

RECOVERY_DEVICE_NAME = "recovery"


@dataclass(frozen=True)
class DeviceRef:
    """Which device, without its row: the model, the primary key and the owner."""

    model: type
    pk: int
    user_id: int

    def load(self, *, lock: bool = False):
        """The device's row (locked for the rest of the transaction with lock=True); None if it is gone."""
        devices = self.model.objects.select_for_update() if lock else self.model.objects
        return devices.filter(pk=self.pk, user_id=self.user_id).first()


_PRIMARY_MODELS = (TOTPDevice, SMSDevice)  # the order breaks a tie in created_at: the app first, as before


@cache
def _primary_sql() -> str:
    """Identifiers only from our own models (quoted); the user and `confirmed` are bound as parameters."""
    quote = connection.ops.quote_name
    parts = [
        f"SELECT {kind} AS kind, id, created_at, (created_at IS NULL) AS undated "  # noqa: S608 - see above
        f"FROM {quote(model._meta.db_table)} WHERE user_id = %s AND confirmed = %s"
        for kind, model in enumerate(_PRIMARY_MODELS)
    ]
    return " UNION ALL ".join(parts) + " ORDER BY undated, created_at DESC, kind, id DESC LIMIT 1"


def primary_device_ref(user, *, confirmed: bool = True) -> DeviceRef | None:
    """Which of the user's app and SMS devices is the primary one (the newest, should a reset be half-way), in one
    small query over both tables (kind, id and date only) instead of two reads of whole rows; the token step then
    reads the chosen row once, locked, in `device_verify`."""
    with connection.cursor() as cursor:
        cursor.execute(_primary_sql(), [user.pk, confirmed] * len(_PRIMARY_MODELS))
        row = cursor.fetchone()
    return DeviceRef(_PRIMARY_MODELS[row[0]], row[1], user.pk) if row else None


def primary_device_for(user, *, confirmed: bool = True):
    """The user's confirmed app or SMS device (the newest, should a reset be half-way), or None."""
    ref = primary_device_ref(user, confirmed=confirmed)
    return ref.load() if ref is not None else None


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
