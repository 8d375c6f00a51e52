"""Authentication by email address, case-insensitive; Django's ModelBackend does the rest."""

from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """ModelBackend already hashes a dummy password for an unknown email, so timing does not tell."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        email = username if username is not None else kwargs.get("email")
        return super().authenticate(request, username=email, password=password)
