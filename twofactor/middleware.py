"""Until the second step succeeds, a logged-in user reaches only the 2FA pages and logout. There is no other way in."""

from contextvars import ContextVar

from django.apps import apps
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware as _DjangoOTPMiddleware
from django_otp.models import Device

from accounts.backends import session_user_row
from core.prepared import PreparedQuery, integer_key, loader
from twofactor import otp

ALLOWED_BEFORE_VERIFICATION = (
    "/twofactor/",
    "/accounts/logout/",
    "/accounts/login/",
    "/i18n/setlang/",
    "/static/",
    "/healthz/",
    "/toegankelijkheid/",  # the accessibility statement and its contact details: for whoever is stuck here
)


class VerifiedSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified():
            if otp.pending_login_expired(request):
                logout(request)
                messages.info(request, _("The login was not completed in time. Please log in again."))
                return redirect("accounts:login")
            # path_info is what the URL resolver routes on (request.path also carries SCRIPT_NAME).
            if not request.path_info.startswith(ALLOWED_BEFORE_VERIFICATION):
                return redirect(
                    f"{reverse('twofactor:start')}?{urlencode({'next': request.get_full_path()})}"
                )
        return self.get_response(request)


class OTPMiddleware(_DjangoOTPMiddleware):
    """django-otp's middleware (request.user.otp_device, is_verified()), with the session's device and its owner's
    row read in one query compiled once per process (core/prepared.py), instead of two QuerySets built per request.

    The checks are Django's and django-otp's, unchanged: the persistent id names a Device model and a key; the user
    row is used only when it is the row of the session's user id (accounts.backends.EmailBackend.get_user), and then
    Django checks the session hash against it; `_finalize_device` still drops a device of another user or an
    unconfirmed one and removes it from the session. A session without a device (before the second step) reads the
    user alone, as before."""

    def _verify_user_sync(self, request, user):
        device = self._device_with_its_user(request)
        tokens = (_session_device.set(device), session_user_row.set(getattr(device, "user", None)))
        try:
            return super()._verify_user_sync(request, user)  # reads the user (the backend) and then the device
        finally:
            _session_device.reset(tokens[0])
            session_user_row.reset(tokens[1])

    def _device_with_its_user(self, request):
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        named = _named_device(self._normalize_persistent_id(persistent_id)) if persistent_id else None
        query = _device_with_user_query(named[0]) if named is not None else None
        if query is None:
            return None
        rows = query.fetch(None, pk=named[1])
        return rows[0] if rows else None

    def _device_from_persistent_id(self, persistent_id: str):
        named = _named_device(self._normalize_persistent_id(persistent_id))
        if named is None:
            return None
        model, pk = named
        device = _session_device.get()
        if device is not None and type(device) is model and device.pk == pk:
            return device  # read just now, with its owner's row
        return loader(model).get(pk)


_session_device: ContextVar = ContextVar("twofactor.session_device", default=None)


def _named_device(persistent_id: str):
    """(Device model, integer key) that django-otp's persistent id names, or None."""
    try:
        label, device_id = persistent_id.rsplit("/", 1)
        model = apps.get_model(label)
    except (ValueError, LookupError):
        return None
    if not (isinstance(model, type) and issubclass(model, Device)):
        return None
    pk = integer_key(model, device_id)
    return None if pk is None else (model, pk)


_with_user: dict = {}


def _device_with_user_query(model) -> PreparedQuery | None:
    """The model's row by key with its owner's row (select_related), as a query compiled once; None for a device
    model without a `user` key to the user model."""
    if model not in _with_user:
        field = next((f for f in model._meta.concrete_fields if f.name == "user"), None)
        has_user = field is not None and field.is_relation and field.related_model is get_user_model()
        _with_user[model] = (
            PreparedQuery(model, lambda shape, pk: model._default_manager.select_related("user").filter(pk=pk))
            if has_user
            else None
        )
    return _with_user[model]
