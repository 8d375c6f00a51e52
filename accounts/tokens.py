"""Password-reset and activation links: Django's HMAC token generator with our own salt.

Its hash covers the password hash and the last login, so a link dies once the password is set (used) or changed,
and the timestamp makes it expire after PASSWORD_RESET_TIMEOUT (at most an hour). The clock is injectable.
"""

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int

from accounts.conf import app_settings


class PasswordResetTokens(PasswordResetTokenGenerator):
    key_salt = "accounts.tokens.PasswordResetTokens"

    def _make_hash_value(self, user, timestamp):
        # The email is included so a link also dies when staff change the address it was sent to.
        return f"{super()._make_hash_value(user, timestamp)}{user.email}"


password_reset_tokens = PasswordResetTokens()


class ActivationTokens(PasswordResetTokenGenerator):
    """Invitation (activation) links for a new employee, who has no password yet.

    Single use and superseded: the hash covers the (unusable) password hash, the last login, the email and the
    time of the newest invitation, so the link dies once a password is set, once its owner logged in, when staff
    change the address, and when a newer invitation is sent. It lives ACCOUNTS_INVITATION_TIMEOUT (7 days by
    default) instead of the reset's hour. A separate salt: a reset token is never an activation token.
    """

    key_salt = "accounts.tokens.ActivationTokens"

    def _make_hash_value(self, user, timestamp):
        invited = int(user.invited_at.timestamp() * 1_000_000) if user.invited_at else ""
        return f"{super()._make_hash_value(user, timestamp)}{user.email}{invited}"

    def check_token(self, user, token):
        """Django's HMAC check (constant time, old secrets too) with the invitation's own lifetime."""
        if not (user and token and user.invited_at):
            return False
        try:
            timestamp = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if self._num_seconds(self._now()) - timestamp > app_settings.INVITATION_TIMEOUT:
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )


activation_tokens = ActivationTokens()
