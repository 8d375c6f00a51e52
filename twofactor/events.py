"""The audit event kinds of the twofactor app (core.audit records them; a limit reached is the accounts' kind)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core import audit


@audit.register
class Event(models.TextChoices):
    OTP_ENROLLED = "otp_enrolled", _("second factor set up")
    OTP_RESET = "otp_reset", _("second factor reset")
    OTP_FAILURE = "otp_failure", _("second factor failed")
    OTP_SUCCESS = "otp_success", _("second factor verified")
    STAFF_OTP_RESET = "staff_otp_reset", _("second factor reset by staff")
    PASSKEY_ENROLLED = "passkey_enrolled", _("passkey added")
    PASSKEY_USED = "passkey_used", _("passkey used")
    PASSKEY_FAILURE = "passkey_failure", _("passkey refused")
    PASSKEY_RENAMED = "passkey_renamed", _("passkey renamed")
    PASSKEY_REMOVED = "passkey_removed", _("passkey removed")
    # own mobile number (twofactor/mobile.py)
    MOBILE_CHANGE_REQUESTED = "mobile_change_requested", _("code sent to a new mobile number")
    MOBILE_CHANGE_FAILED = "mobile_change_failed", _("wrong code for a new mobile number")
    MOBILE_CHANGED = "mobile_changed", _("mobile number changed")
