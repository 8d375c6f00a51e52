"""Changing one's own mobile number in Mijn Instellingen: a code goes to the NEW number, and only that
code, typed back by this user, makes the number theirs (and their SMS login device's).

Prevents: a number nobody can receive SMS on becoming the login number (confirmed by a code sent to it), a code for
one number confirming another (the code's hash is bound to user and number), replay (the pending change is deleted
once used), guessing (TWOFACTOR_SMS_MAX_WRONG_TRIES per code, a fresh code costs an SMS within the same cooldown and
hourly caps as every SMS), one user's code confirming another's change (each user has their own pending row and the
view only reads request.user's), SMS pumping (the same mobile/country allow-list), and a quiet change (mail to the
address on file, without any code, and an audit event with the IP). The view asks for re-authentication first: in a
stolen session, an attacker's own phone would otherwise receive, and confirm, the new login number.
"""

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import override

from core import audit
from core.links import site_url
from core.mailer import mail_enqueue
from twofactor.conf import app_settings
from twofactor.events import Event
from twofactor.gateways import get_gateway
from twofactor.models import MobileChange, SMSDevice
from twofactor.otp import mask_number
from twofactor.services import SMSNotAllowed, _sms_limits, sms_number_allowed

_SALT = "twofactor.mobile_change"


def _code_hash(*, user_id: int, number: str, code: str) -> str:
    return salted_hmac(_SALT, f"{user_id}:{number}:{code}", algorithm="sha256").hexdigest()


def mobile_change_pending(*, user) -> MobileChange | None:
    """The user's own pending change, if a code is still valid for it."""
    return MobileChange.objects.filter(user=user, valid_until__gt=timezone.now()).first()


def mobile_change_start(*, user, number, language: str, ip: str | None = None) -> MobileChange:
    """Send a fresh 6-digit code to the new number; the account and its SMS device are not changed yet.

    Raises SMSNotAllowed (not a mobile number in the allowed countries, the number in use already, cooldown,
    hourly caps) or SMSDeliveryError (provider down); in both cases nothing is saved.
    """
    number = str(number)
    if not sms_number_allowed(number):
        raise SMSNotAllowed(_("SMS codes can only be sent to mobile numbers in the Netherlands or the EU."))
    if str(user.mobile) == number:
        raise SMSNotAllowed(_("This is already your mobile number."))
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()  # one request at a time
        pending = MobileChange.objects.filter(user=user).first() or MobileChange(user=user)
        now = timezone.now()
        # The cooldown runs per user, whatever number was asked for last; the hourly caps per user and per number.
        _sms_limits(_Limits(user_id=user.pk, number=number, last_sent_at=pending.last_sent_at), now)
        code = f"{secrets.randbelow(10**6):06d}"
        pending.number = number
        pending.code_hash = _code_hash(user_id=user.pk, number=number, code=code)
        pending.valid_until = now + timedelta(seconds=app_settings.SMS_CODE_VALIDITY)
        pending.wrong_tries = 0
        pending.last_sent_at = now
        with override(language):
            body = _(
                "%(code)s is your code to confirm your new mobile number for %(portal)s. It is valid for "
                "%(minutes)d minutes."
            ) % {
                "code": code,
                "portal": app_settings.TOTP_ISSUER,
                "minutes": max(1, app_settings.SMS_CODE_VALIDITY // 60),
            }
        get_gateway().send(to=number, body=body)  # raises SMSDeliveryError: the transaction rolls back
        pending.save()
    audit.record(Event.MOBILE_CHANGE_REQUESTED, user=user, ip=ip, detail=mask_number(number))
    return pending


class _Limits:
    """What services._sms_limits reads of a device, for a number that is not a device's yet."""

    def __init__(self, *, user_id, number, last_sent_at):
        self.user_id, self.number, self.last_sent_at = user_id, number, last_sent_at


@transaction.atomic
def mobile_change_confirm(*, user, code: str, ip: str | None = None) -> bool:
    """The code sent to the new number, typed back: the number becomes the user's, and their SMS login device's.

    False for no pending change (never asked, already used, cancelled), an expired code, a wrong code (counted; the
    code dies after the maximum of wrong tries) or a code for another number. Mails the address on file.
    """
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    pending = MobileChange.objects.select_for_update().filter(user=user).first()
    if pending is None or pending.valid_until <= timezone.now() or not pending.code_hash:
        return False
    code = "".join(str(code).split())
    expected = _code_hash(user_id=user.pk, number=str(pending.number), code=code)
    if not constant_time_compare(expected, pending.code_hash):
        pending.wrong_tries += 1
        if pending.wrong_tries >= app_settings.SMS_MAX_WRONG_TRIES:
            pending.code_hash = ""  # void: a new code must be sent
        pending.save(update_fields=["wrong_tries", "code_hash"])
        audit.record(Event.MOBILE_CHANGE_FAILED, user=user, ip=ip, detail=mask_number(pending.number))
        return False
    old, new = str(user.mobile or ""), str(pending.number)
    user.mobile = new
    user.save(update_fields=["mobile"])
    # The login device follows, and a login code sent to the old number before the change dies with it.
    SMSDevice.objects.filter(user=user, confirmed=True).update(
        number=new, token=None, valid_until=timezone.now()
    )
    pending.delete()
    audit.record(Event.MOBILE_CHANGED, user=user, ip=ip, detail=f"{mask_number(old)} -> {mask_number(new)}")
    mail_enqueue(
        to=user.email,
        template="twofactor/email/mobile_changed",
        context={"user": user, "masked": mask_number(new), "link": site_url(reverse("twofactor:settings"))},
        language=user.language,
    )
    return True


def mobile_change_cancel(*, user) -> None:
    MobileChange.objects.filter(user=user).delete()
