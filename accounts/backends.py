"""Authentication by email address, case-insensitive; Django's ModelBackend does the rest."""

from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from core.prepared import loader

# The session's user row, where a middleware has read it already, in the same query as the session's device
# (twofactor.middleware.OTPMiddleware). get_user takes it only for the very key it is asked for.
session_user_row: ContextVar = ContextVar("accounts.session_user_row", default=None)


class EmailBackend(ModelBackend):
    """ModelBackend already hashes a dummy password for an unknown email, so timing does not tell."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        email = username if username is not None else kwargs.get("email")
        return super().authenticate(request, username=email, password=password)

    def get_user(self, user_id):
        """ModelBackend.get_user (the session's user, None for an unknown or inactive one), with the row read by a
        query compiled once per process (core/prepared.py), or already read with the session's device: every
        logged-in request calls this. Django then checks the session hash against this row, as always."""
        user = session_user_row.get()
        if user is None or str(user.pk) != str(user_id):
            user = loader(get_user_model()).get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
