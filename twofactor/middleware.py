"""Until the second step succeeds, a logged-in user reaches only the 2FA pages and logout. There is no other way in."""

from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

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
