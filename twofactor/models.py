"""Our SMS device: a django-otp side-channel device with throttling, so it answers the same verify_token contract."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from django_otp.models import SideChannelDevice, ThrottlingMixin, TimestampMixin
from phonenumber_field.modelfields import PhoneNumberField


class SMSDevice(TimestampMixin, ThrottlingMixin, SideChannelDevice):
    """Codes are sent by the services (never from the model); the model only checks them.

    Prevents guessing: a code lives TWOFACTOR_SMS_CODE_VALIDITY seconds, dies after TWOFACTOR_SMS_MAX_WRONG_TRIES
    wrong tries, works once, and failures slow further tries down exponentially (ThrottlingMixin).
    """

    number = PhoneNumberField(_("mobile number"))
    wrong_tries = models.PositiveSmallIntegerField(_("wrong tries on the current code"), default=0)
    last_sent_at = models.DateTimeField(_("last code sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS device")
        verbose_name_plural = _("SMS devices")

    def get_throttle_factor(self) -> int:
        return 1

    def verify_token(self, token) -> bool:
        from twofactor.conf import app_settings

        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        now = timezone.now()
        matches = (
            self.token is not None
            and now < self.valid_until
            and constant_time_compare(str(token).strip(), self.token)
        )
        if matches:
            self.token = None
            self.valid_until = now
            self.wrong_tries = 0
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        if self.token is not None:
            self.wrong_tries += 1
            if self.wrong_tries >= app_settings.SMS_MAX_WRONG_TRIES:
                self.token = None  # the code is void: a new one must be sent
        self.throttle_increment(commit=False)
        self.save()
        return False


# -----------------------------------------------------------------------------------------------
class MobileChange(models.Model):
    """A new mobile number the user asked for, waiting for the code sent to it (twofactor/mobile.py).

    One per user: asking again replaces it. Only a keyed hash of the code is kept, bound to the user and this
    number, so the code can confirm nothing else. Deleted once confirmed: a code works once.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    number = PhoneNumberField(_("new mobile number"))
    code_hash = models.CharField(max_length=64)
    valid_until = models.DateTimeField()
    wrong_tries = models.PositiveSmallIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("mobile number change")
        verbose_name_plural = _("mobile number changes")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.number}"
