"""Until the second step succeeds, a logged-in user reaches only the 2FA pages and logout. There is no other way in."""

from django.apps import apps
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp.middleware import OTPMiddleware as _DjangoOTPMiddleware
from django_otp.models import Device

from core.prepared import loader
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
    """django-otp's middleware (request.user.otp_device, is_verified()), with the session's device read by a query
    compiled once per process (core/prepared.py) instead of a QuerySet built per request. The row and the checks
    are django-otp's: the persistent id names a Device model and a key, and `_finalize_device` still drops a device
    of another user or an unconfirmed one and removes it from the session."""

    def _device_from_persistent_id(self, persistent_id: str):
        persistent_id = self._normalize_persistent_id(persistent_id)
        try:
            label, device_id = persistent_id.rsplit("/", 1)
            model = apps.get_model(label)
        except (ValueError, LookupError):
            return None
        if not (isinstance(model, type) and issubclass(model, Device)):
            return None
        return loader(model).get(device_id)
