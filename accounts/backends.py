"""Authentication by email address, case-insensitive; Django's ModelBackend does the rest."""

from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from core.prepared import loader

# The session's user row, where a middleware has read it already, in the same query as the session's device
# (twofactor.middleware.OTPMiddleware). get_user takes it only for the very key it is asked for.
session_user_row: ContextVar = ContextVar("accounts.session_user_row", default=None)

# The login form's account, read by the login view while the login limit's verdict was on its way
# (accounts.views.LoginView.post, selectors.login_candidate): (normalized email, the user or None for no account).
# authenticate takes it only for the very email it is asked for.
login_candidate: ContextVar = ContextVar("accounts.login_candidate", default=None)


class EmailBackend(ModelBackend):
    """ModelBackend already hashes a dummy password for an unknown email, so timing does not tell."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        email = username if username is not None else kwargs.get("email")
        found = login_candidate.get()
        if found is None or email is None or password is None:
            return super().authenticate(request, username=email, password=password)
        model = get_user_model()
        if found[0] != model._default_manager.normalize_email(email):
            return super().authenticate(request, username=email, password=password)
        # ModelBackend.authenticate with the row already read: the same checks, and the same hashing for no account
        user = found[1]
        if user is None:
            model().set_password(password)  # as ModelBackend: an unknown email costs the same time (#20760)
            return None
        return user if user.check_password(password) and self.user_can_authenticate(user) else None

    def get_user(self, user_id):
        """ModelBackend.get_user (the session's user, None for an unknown or inactive one), with the row read by a
        query compiled once per process (core/prepared.py), or already read with the session's device: every
        logged-in request calls this. Django then checks the session hash against this row, as always."""
        user = session_user_row.get()
        if user is None or str(user.pk) != str(user_id):
            user = loader(get_user_model()).get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
