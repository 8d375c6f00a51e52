"""The Web Portaal (Django admin) as django-otp's OTP admin site: staff need a verified session too.

Its login goes through the portal's own two steps, so staff enrol and verify like everyone else.
"""

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from accounts.redirects import safe_next


class PortalAdminSite(OTPAdminSite):
    site_header = _("Web Portaal")
    site_title = _("Web Portaal")
    index_title = _("Web Portaal")

    def login(self, request, extra_context=None):
        if request.user.is_authenticated and request.user.is_verified() and not request.user.is_staff:
            # An employee: the Web Portaal is not for them (and sending them to login again would loop).
            raise PermissionDenied
        target = safe_next(request.GET.get("next")) or reverse("admin:index")
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")
