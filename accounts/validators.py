"""Password validators: refuse absurd input before it reaches the hasher, and say every refusal in the page's
language (Django 5.2's own "too short" message is missing from its Dutch catalogue)."""

from django.contrib.auth import password_validation
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


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's rule with our words, so the message is in our catalogues (NL and EN)."""

    def get_error_message(self):
        return ngettext(
            "This password is too short. Use at least %(min_length)d character.",
            "This password is too short. Use at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self):
        return ngettext(
            "Use at least %(min_length)d character.",
            "Use at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    """Django's rule; "your email address", not Django's Dutch "de e-mailadres"."""

    def get_error_message(self):
        return _("This password is too much like your %(verbose_name)s. Choose another password.")
