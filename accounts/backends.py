"""Authentication by email address, case-insensitive; Django's ModelBackend does the rest."""

from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """ModelBackend looks the user up by `get_by_natural_key` (lower-cased email, accounts.models.UserManager) and
    already hashes a dummy password for an unknown email, so timing does not tell whether an account exists."""
