"""Password validator: refuse absurd input before it reaches the hasher."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

PASSWORD_MAX_LENGTH = 1024


class MaximumLengthValidator:
    """At least 64 characters are always allowed (NIST SP 800-63B); a megabyte is not (hashing DoS)."""

    def __init__(self, max_length: int = PASSWORD_MAX_LENGTH):
        self.max_length = max(64, max_length)

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long. It may contain at most %(max_length)d character.",
                    "This password is too long. It may contain at most %(max_length)d characters.",
                    self.max_length,
                ),
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self):
        return _("Your password can be as long as you like, up to %(max_length)d characters.") % {
            "max_length": self.max_length
        }
