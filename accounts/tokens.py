"""Password-reset links: Django's HMAC token generator with our own salt.

Its hash covers the password hash and the last login, so a link dies once the password is set (used) or changed,
and the timestamp makes it expire after PASSWORD_RESET_TIMEOUT (at most an hour). The clock is injectable.
"""

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class PasswordResetTokens(PasswordResetTokenGenerator):
    key_salt = "accounts.tokens.PasswordResetTokens"

    def _make_hash_value(self, user, timestamp):
        # The email is included so a link also dies when staff change the address it was sent to.
        return f"{super()._make_hash_value(user, timestamp)}{user.email}"


password_reset_tokens = PasswordResetTokens()
