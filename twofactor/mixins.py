"""The gates of the 2FA pages, as view bases: logged in, allowed to enrol, has a method, verified, re-authenticated.

ReauthRequiredView is the one meant for other apps (the dossier's export); the others serve twofactor's own pages."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.views import View
from django.views.decorators.cache import never_cache

from twofactor import flows, otp, selectors


@method_decorator([never_cache], name="dispatch")
class TwoFactorView(LoginRequiredMixin, View):
    """Base of every 2FA page: logged in (password step done), never cached."""


class EnrolView(TwoFactorView):
    """Only who may enrol gets here (twofactor.otp.can_enrol)."""

    def dispatch(self, request, *args, **kwargs):
        has_device = request.user.is_authenticated and selectors.has_confirmed_device(request.user)
        if request.user.is_authenticated and not otp.can_enrol(request, has_confirmed_device=has_device):
            return redirect("twofactor:verify" if not otp.is_verified(request) else "twofactor:settings")
        return super().dispatch(request, *args, **kwargs)

    def enrolled(self, device, codes):
        flows.finish_enrolment(self.request, device, codes)
        return redirect("twofactor:recovery-codes")


class DeviceView(TwoFactorView):
    """The second step for a user with a confirmed method (self.device_ref; its row, self.device, is read only when
    the page needs it: the code's check reads it itself, locked); a verified session moves on."""

    device_ref = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if otp.is_verified(request):
                return redirect(flows.next_pop(request))
            self.device_ref = selectors.primary_device_ref(request.user)  # None for a user with passkeys only
            if self.device_ref is None and not selectors.has_passkey(request.user):
                return redirect("twofactor:setup")
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def device(self):
        return self.device_ref.load() if self.device_ref is not None else None


class VerifiedView(TwoFactorView):
    """Mijn Instellingen: a verified session only; otherwise the second step first, and back here."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not otp.is_verified(request):
            return redirect(f"{reverse('twofactor:start')}?{urlencode({'next': request.path})}")
        return super().dispatch(request, *args, **kwargs)


class ReauthRequiredView(VerifiedView):
    """The re-authentication gate, for any app's sensitive page: subclass it (with TemplateView, FormView...).

    Logged in and verified first (VerifiedView), then the password and a code again within the last
    TWOFACTOR_REAUTH_SECONDS; otherwise the user goes to twofactor:reauth and comes back to this page. A stolen but
    verified session alone cannot reach what sits behind it."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and otp.is_verified(request) and not otp.reauth_is_fresh(request):
            return redirect(f"{reverse('twofactor:reauth')}?{urlencode({'next': request.path})}")
        return super().dispatch(request, *args, **kwargs)
