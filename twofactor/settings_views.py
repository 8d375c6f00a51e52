"""Mijn Instellingen (second factor): the method in use, re-authentication, reset, new recovery codes.
One view per action; the flow steps in twofactor.flows, the writes in twofactor.services."""

import time

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from core.redirects import safe_next
from core.throttling import client_ip
from twofactor import flows, mobile, otp, passkeys, selectors, services
from twofactor.forms import MethodForm, MobileCodeForm, MobileNumberForm, ReauthForm
from twofactor.gateways import SMSDeliveryError
from twofactor.mixins import ReauthRequiredView, VerifiedView


class SettingsView(VerifiedView, TemplateView):
    """ "Mijn Instellingen": the method in use, the recovery codes left, "reset" and new recovery codes."""

    template_name = "twofactor/settings.html"

    def get_context_data(self, **kwargs):
        device = selectors.primary_device_for(self.request.user)
        return super().get_context_data(
            passkey_list=selectors.passkeys_for(self.request.user),
            method=selectors.method_of(device),
            masked=otp.mask_number(getattr(device, "number", "")),
            codes_left=selectors.recovery_codes_left(self.request.user),
            resetting=otp.reset_in_progress(self.request),
            can_export=not self.request.user.is_staff,  # "Download mijn dossier" (dossier:export)
            mobile=otp.mask_number(self.request.user.mobile) if self.request.user.mobile else "",
            **kwargs,
        )


@method_decorator(sensitive_post_parameters("password", "token"), name="dispatch")
class ReauthView(VerifiedView, FormView):
    """ "Bevestig dat u het bent": the password and a code again, before a sensitive action."""

    template_name = "twofactor/reauth.html"
    form_class = ReauthForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "request": self.request}

    def get(self, request, *args, **kwargs):
        # Forward only: the SMS goes out as the page opens, so password and code are asked once, on one
        # screen, and no button between them empties the password. A code still valid is not sent again.
        device = selectors.primary_device_for(request.user)
        if (
            selectors.method_of(device) == "sms"
            and passkeys.method_allowed(request.user, "sms")
            and not otp.sms_code_pending(device)
        ):
            # A refusal (the wait after a code, the hourly cap) is said in a message; the page then does not claim
            # that a code was sent.
            outcome = flows.send_sms_code(request, device, tell_failure=False)
            self.sms_failed = outcome == flows.SMSOutcome.FAILED
            self.sms_refused = outcome == flows.SMSOutcome.REFUSED
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        device = selectors.primary_device_for(self.request.user)
        kwargs["method"] = selectors.method_of(device)
        kwargs["masked"] = otp.mask_number(getattr(device, "number", ""))
        kwargs.setdefault("sms_failed", getattr(self, "sms_failed", False))
        kwargs.setdefault("sms_refused", getattr(self, "sms_refused", False))
        kwargs["has_passkey"] = selectors.has_passkey(self.request.user)
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        if not services.reauth_attempt_allowed(user=request.user, ip=client_ip(request)).allowed:
            form = self.get_form()
            form.is_valid()
            form.add_error(None, _("Too many attempts. For your safety, wait 15 minutes and try again."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        result = services.device_verify(
            user=self.request.user, token=form.cleaned_data["token"], ip=client_ip(self.request)
        )
        if not result.ok:
            form.add_error(
                "token", _("This code is not correct. Check it and try again, or use a recovery code.")
            )
            return self.form_invalid(form)
        otp.mark_reauthenticated(self.request)
        return redirect(safe_next(self.request.GET.get("next")) or reverse("twofactor:settings"))


class ReauthSendSMSView(VerifiedView):
    """ "Stuur SMS code" on the re-authentication page (for a user whose method is SMS)."""

    http_method_names = ["post"]

    def post(self, request):
        device = selectors.primary_device_for(request.user)
        if selectors.method_of(device) == "sms":
            flows.send_sms_code(request, device)
        if request.headers.get("X-Requested-With") == "fetch":
            # static/js/resend.js: the answer is shown in place, so the password typed on the page stays.
            return JsonResponse({"messages": [str(m) for m in messages.get_messages(request)]})
        target = safe_next(request.GET.get("next"))
        reauth = reverse("twofactor:reauth")
        return redirect(f"{reauth}?{urlencode({'next': target})}" if target else reauth)


class ResetView(ReauthRequiredView, FormView):
    """ "reset": choose the new method on this page (one screen less); the old one keeps working until the new one
    is confirmed. Says first whether printed recovery codes will stop working."""

    template_name = "twofactor/reset.html"
    form_class = MethodForm

    def get_form_kwargs(self):
        # A passkey is added beside the method ("Passkey toevoegen" on Mijn Instellingen), never swapped in by a reset.
        allowed = [m for m in flows.allowed_methods(self.request.user) if m != passkeys.METHOD]
        return {**super().get_form_kwargs(), "allowed": allowed}

    def get_context_data(self, **kwargs):
        kwargs["codes_left"] = selectors.recovery_codes_left(self.request.user)
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        otp.mark_resetting(request)
        form = self.get_form()
        if not form.is_valid():  # no choice made here: the method page asks
            return redirect("twofactor:setup")
        return redirect(flows.METHOD_SETUP_URLS[form.cleaned_data["method"]])


class NewRecoveryCodesView(ReauthRequiredView, TemplateView):
    template_name = "twofactor/new_codes.html"

    def post(self, request):
        request.session[otp.RECOVERY_CODES] = services.recovery_codes_replace(user=request.user, notify=True)
        request.session[otp.RECOVERY_CODES_AT] = time.time()
        return redirect("twofactor:recovery-codes")


class CancelResetView(VerifiedView):
    def post(self, request):
        request.session.pop(otp.RESETTING, None)
        request.session.pop(otp.PENDING_SECRET, None)
        services.sms_pending_discard(user=request.user)
        return redirect("twofactor:settings")


# ----------------------------------------------------------------------------------------------- mobile
class MobileBaseView(VerifiedView):
    """Changing the mobile number asks for the password and a code again first (a stolen session must not make an
    attacker's phone the login number). Back to the mobile page afterwards, whichever step asked."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and otp.is_verified(request) and not otp.reauth_is_fresh(request):
            return redirect(
                f"{reverse('twofactor:reauth')}?{urlencode({'next': reverse('twofactor:mobile')})}"
            )
        return super().dispatch(request, *args, **kwargs)


class MobileView(MobileBaseView, TemplateView):
    """ "Mobiel nummer wijzigen": the email read-only (changed through HR), the new number, then the code."""

    template_name = "twofactor/mobile.html"

    def get_context_data(self, **kwargs):
        pending = mobile.mobile_change_pending(user=self.request.user)
        kwargs.setdefault("number_form", MobileNumberForm())
        kwargs.setdefault("code_form", MobileCodeForm())
        return super().get_context_data(
            current=otp.mask_number(self.request.user.mobile) if self.request.user.mobile else "",
            pending_masked=otp.mask_number(pending.number) if pending else "",
            login_by_sms=selectors.method_of(selectors.primary_device_for(self.request.user)) == "sms",
            **kwargs,
        )


class MobileSendView(MobileView):
    """ "Stuur code": an SMS code to the new number; nothing changes yet."""

    http_method_names = ["post"]

    def post(self, request):
        form = MobileNumberForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(number_form=form), status=400)
        try:
            mobile.mobile_change_start(
                user=request.user,
                number=form.cleaned_data["number"],
                language=get_language(),
                ip=client_ip(request),
            )
        except services.SMSNotAllowed as exc:
            form.add_error("number", exc.message)
            return self.render_to_response(self.get_context_data(number_form=form), status=429)
        except SMSDeliveryError:
            form.add_error("number", _("The SMS could not be sent. Try again in a moment."))
            return self.render_to_response(self.get_context_data(number_form=form), status=503)
        messages.success(
            request,
            _("A code was sent to %(number)s.") % {"number": otp.mask_number(form.cleaned_data["number"])},
        )
        return redirect(reverse("twofactor:mobile") + "#id_token")


class MobileConfirmView(MobileView):
    """The code from the SMS: only now does the number become the user's (and their SMS login device's)."""

    http_method_names = ["post"]

    def post(self, request):
        form = MobileCodeForm(request.POST)
        if form.is_valid() and mobile.mobile_change_confirm(
            user=request.user, code=form.cleaned_data["token"], ip=client_ip(request)
        ):
            messages.success(
                request, _("Your mobile number has been changed. We sent you an email about it.")
            )
            return redirect("twofactor:settings")
        if form.is_valid():
            form.add_error(
                "token", _("This code is not correct or no longer valid. Check it, or ask for a new code.")
            )
        return self.render_to_response(self.get_context_data(code_form=form), status=400)


class MobileCancelView(MobileBaseView):
    http_method_names = ["post"]

    def post(self, request):
        mobile.mobile_change_cancel(user=request.user)
        return redirect("twofactor:settings")
