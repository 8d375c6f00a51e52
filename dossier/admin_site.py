"""The Web Portaal (Django admin) as django-otp's OTP admin site: staff need a verified session too.

Its login goes through the portal's own two steps, so staff enrol and verify like everyone else. The staff member's
own password is changed on the portal's own page (mail, audit event, other sessions ended), never by the admin's
form. Autocomplete answers that name employees are written to the access log like the lists are.
"""

from urllib.parse import urlencode

from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_otp.admin import OTPAdminSite

from core.redirects import safe_next
from core.throttling import client_ip
from dossier import services

# Django's admin says "De {name} ‘{obj}’ is toegevoegd" for every model, but Dutch nouns take "de" or "het" (het
# document, het traject). Our catalogue, searched before Django's, words these messages without an article.
DJANGO_ADMIN_MESSAGES = [
    gettext_noop("The {name} “{obj}” was added successfully."),
    gettext_noop("The {name} “{obj}” was added successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may edit it again below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may add another {name} below."),
    gettext_noop("The %(name)s “%(obj)s” was deleted successfully."),
]


class LoggedAutocompleteJsonView(AutocompleteJsonView):
    """Employees named in an autocomplete answer are written to the access log (one row each)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        people = [obj for obj in context["object_list"] if isinstance(obj, get_user_model())]
        services.access_log_record_listed(
            actor=self.request.user, subjects=people, ip=client_ip(self.request)
        )
        return context


class PortalAdminSite(OTPAdminSite):
    site_header = _("Web Portaal")
    site_title = _("Web Portaal")
    index_title = _("Web Portaal")

    def login(self, request, extra_context=None):
        if request.user.is_authenticated and request.user.is_verified() and not request.user.is_staff:
            # An employee: the Web Portaal is not for them (and sending them to login again would loop).
            raise PermissionDenied
        target = safe_next(request.GET.get("next")) or reverse("admin:index")
        return redirect(f"{reverse('accounts:staff-login')}?{urlencode({'next': target})}")

    def password_change(self, request, extra_context=None):
        """One way to change one's own password: the portal's page (mail, audit, other sessions ended)."""
        return redirect("accounts:password-change")

    def password_change_done(self, request, extra_context=None):
        return redirect("admin:index")

    def autocomplete_view(self, request):
        return LoggedAutocompleteJsonView.as_view(admin_site=self)(request)
