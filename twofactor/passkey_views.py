"""Passkeys: the library's four JSON ceremony views (django-otp-webauthn) wrapped so they end as our other methods do
(twofactor.flows, audit, mail), and the pages around them: name and register, Mijn Instellingen's rename and remove.
The rules live in twofactor.passkeys; the writes in twofactor.services."""

from logging import getLogger

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView
from django_otp_webauthn import exceptions as webauthn_errors
from django_otp_webauthn import views as webauthn_views
from django_otp_webauthn.settings import app_settings as webauthn_settings
from django_otp_webauthn.utils import rewrite_exceptions

from core.redirects import safe_next
from core.throttling import client_ip
from twofactor import flows, otp, passkeys, selectors, services
from twofactor.forms import PasskeyNameForm
from twofactor.mixins import ReauthRequiredView, TwoFactorView, VerifiedView

PENDING_NAME = "twofactor.passkey_name"  # the name typed before the ceremony, used when it completes


class RegistrationRefused(webauthn_errors.OTPWebAuthnApiError):
    status_code = 403
    code = "registration_refused"
    default_detail = "Confirm it is you first, then add the passkey."


# ----------------------------------------------------------------------------------------------- JSON ceremonies
def _webauthn_logger():
    """The logger the library's own ceremony views log verifier errors to: its documented setting, read as they read
    it (their helper for it is private); a blank name logs nothing."""
    name = webauthn_settings.OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME
    return getLogger(name) if name else None


class _Audited:
    """A refused ceremony (wrong origin, another user's passkey, a replayed state) is audited with the IP."""

    def handle_exception(self, exc):
        user = getattr(self.request, "user", None)
        if (
            isinstance(exc, webauthn_errors.OTPWebAuthnApiError)
            and user is not None
            and user.is_authenticated
        ):
            services.passkey_failed(
                user=user, ip=client_ip(self.request), reason=f"{type(self).__name__}: {exc.code}"
            )
        return super().handle_exception(exc)


class _RegistrationGate:
    def check_can_register(self):
        has_device = selectors.has_confirmed_device(self.request.user)
        if not passkeys.may_add_passkey(self.request, has_confirmed_device=has_device):
            raise RegistrationRefused()


class RegistrationBeginView(_Audited, _RegistrationGate, webauthn_views.BeginCredentialRegistrationView):
    pass


class RegistrationCompleteView(
    _Audited, _RegistrationGate, webauthn_views.CompleteCredentialRegistrationView
):
    """The library's registration, then our ending: named, audited, mailed; a first method finishes the login."""

    def post(self, *args, **kwargs):
        request, user = self.request, self.get_user()
        state = self.get_state()
        with rewrite_exceptions(logger=_webauthn_logger()):
            device = self.get_helper().register_complete(user=user, state=state, data=request.data)
        codes = services.passkey_enrolled(
            user=user, device=device, name=request.session.pop(PENDING_NAME, ""), ip=client_ip(request)
        )
        if codes is not None:
            flows.finish_enrolment(request, device, codes)
        else:
            request.session.pop(otp.RESETTING, None)
            messages.success(request, _("Your passkey is added."))
        return JsonResponse({"id": device.pk, "redirect_url": reverse("twofactor:passkey-enrolled")})


class AuthenticationBeginView(_Audited, webauthn_views.BeginCredentialAuthenticationView):
    pass


class AuthenticationCompleteView(_Audited, webauthn_views.CompleteCredentialAuthenticationView):
    """The second step with a passkey ends exactly as with a code (flows.finish_verification); in a verified session
    the same ceremony is the re-authentication before a sensitive change."""

    def complete_auth(self, device):
        request = self.request
        services.passkey_used(user=request.user, device=device, ip=client_ip(request))
        if otp.is_verified(request):
            otp.mark_reauthenticated(request)
            self.redirect_to = safe_next(request.GET.get("next")) or reverse("twofactor:settings")
        else:
            self.redirect_to = flows.finish_verification(request, device)

    def get_success_url(self):
        return self.redirect_to


# ----------------------------------------------------------------------------------------------- pages
class PasskeySetupView(TwoFactorView, FormView):
    """ "Passkey instellen": 1. a name ("iPhone van Jan"), 2. "Passkey aanmaken" (the browser asks for the
    fingerprint, face or PIN). Added from Mijn Instellingen after a fresh re-authentication."""

    template_name = "twofactor/setup_passkey.html"
    form_class = PasskeyNameForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            has_device = selectors.has_confirmed_device(request.user)
            if not passkeys.may_add_passkey(request, has_confirmed_device=has_device):
                if otp.is_verified(request):
                    return redirect(f"{reverse('twofactor:reauth')}?{urlencode({'next': request.path})}")
                return redirect("twofactor:verify")
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"name": self.request.session.get(PENDING_NAME, "")}

    def get_context_data(self, **kwargs):
        kwargs["pending_name"] = self.request.session.get(PENDING_NAME, "")
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        self.request.session[PENDING_NAME] = form.cleaned_data["name"]
        return redirect("twofactor:setup-passkey")


class PasskeyEnrolledView(TwoFactorView):
    """Where the page goes after the ceremony: the recovery codes of a first method, else Mijn Instellingen."""

    def get(self, request):
        if otp.recovery_codes_on_show(request):
            return redirect("twofactor:recovery-codes")
        return redirect("twofactor:settings" if otp.is_verified(request) else "twofactor:start")


class PasskeyRenameView(VerifiedView, FormView):
    template_name = "twofactor/passkey_rename.html"
    form_class = PasskeyNameForm

    def dispatch(self, request, *args, **kwargs):
        self.passkey = (
            selectors.passkey_of(request.user, kwargs["pk"]) if request.user.is_authenticated else None
        )
        if request.user.is_authenticated and otp.is_verified(request) and self.passkey is None:
            return redirect("twofactor:settings")
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"name": self.passkey.name}

    def get_context_data(self, **kwargs):
        return super().get_context_data(passkey=self.passkey, **kwargs)

    def form_valid(self, form):
        try:
            services.passkey_rename(
                user=self.request.user,
                device=self.passkey,
                name=form.cleaned_data["name"],
                ip=client_ip(self.request),
            )
        except services.PasskeyRefused as exc:
            form.add_error("name", exc.message)
            return self.form_invalid(form)
        messages.success(self.request, _("The passkey is renamed."))
        return redirect("twofactor:settings")


class PasskeyRemoveView(ReauthRequiredView, TemplateView):
    """ "Verwijderen": after a fresh re-authentication, and never the last way in."""

    template_name = "twofactor/passkey_remove.html"

    def dispatch(self, request, *args, **kwargs):
        self.passkey = (
            selectors.passkey_of(request.user, kwargs["pk"]) if request.user.is_authenticated else None
        )
        if request.user.is_authenticated and otp.is_verified(request) and self.passkey is None:
            return redirect("twofactor:settings")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(passkey=self.passkey, **kwargs)

    def post(self, request, *args, **kwargs):
        removed_id = self.passkey.persistent_id  # read before the row (and its pk) is gone
        try:
            services.passkey_remove(user=request.user, device=self.passkey, ip=client_ip(request))
        except services.PasskeyRefused as exc:
            return self.render_to_response(self.get_context_data(refused=exc.message), status=409)
        flows.keep_verified_after_removal(request, removed_id)
        messages.success(request, _("The passkey is removed."))
        return redirect("twofactor:settings")
