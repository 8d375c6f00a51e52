"""Authentication by email address, case-insensitive; Django's ModelBackend does the rest."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from core.prepared import loader


class EmailBackend(ModelBackend):
    """ModelBackend already hashes a dummy password for an unknown email, so timing does not tell."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        email = username if username is not None else kwargs.get("email")
        return super().authenticate(request, username=email, password=password)

    def get_user(self, user_id):
        """ModelBackend.get_user (the session's user, None for an unknown or inactive one), with the row read by a
        query compiled once per process (core/prepared.py): every logged-in request calls this."""
        user = loader(get_user_model()).get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
