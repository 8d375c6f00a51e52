"""HTTP glue of the second step: where the login goes after the password, the code (or a recovery code), and the
recovery codes shown once after enrolment. The gates live in twofactor.mixins, the flow steps in twofactor.flows, the
writes in twofactor.services; enrolment in twofactor.setup_views, Mijn Instellingen in twofactor.settings_views."""

from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from core.throttling import client_ip
from twofactor import flows, otp, passkeys, selectors, services
from twofactor.forms import VerifyForm
from twofactor.mixins import DeviceView, TwoFactorView


class StartView(TwoFactorView):
    """After the password: verify with the confirmed method, or choose one at the first login."""

    def get(self, request):
        flows.next_remember(request, request.GET.get("next"))
        if otp.is_verified(request):
            return redirect(flows.next_pop(request))
        return redirect(
            "twofactor:verify" if selectors.has_confirmed_device(request.user) else "twofactor:setup"
        )


class RecoveryCodesView(TwoFactorView, TemplateView):
    """The new recovery codes, shown once, with print and download; "Continue" forgets them for good."""

    template_name = "twofactor/recovery_codes.html"

    def get(self, request, *args, **kwargs):
        if not otp.recovery_codes_on_show(request):
            return redirect(flows.next_pop(request, default="twofactor:settings"))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(codes=self.request.session[otp.RECOVERY_CODES], **kwargs)

    def post(self, request):
        otp.recovery_codes_forget(request)
        return redirect(flows.next_pop(request))


class RecoveryCodesDownloadView(TwoFactorView):
    """The same codes as a text file, while they may still be shown."""

    def get(self, request):
        codes = otp.recovery_codes_on_show(request)
        if not codes:
            return redirect("twofactor:settings")
        text = _("Recovery codes for %(email)s. Each code works once.") % {"email": request.user.email}
        response = HttpResponse("\n".join([text, "", *codes, ""]), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="recovery-codes.txt"'
        return response


@method_decorator(sensitive_post_parameters("token"), name="dispatch")
class VerifyView(DeviceView, FormView):
    """Later logins: the code of the confirmed method (an SMS is sent on arrival), or a recovery code."""

    template_name = "twofactor/verify.html"
    form_class = VerifyForm

    def get(self, request, *args, **kwargs):
        if self.sms_usable() and not self.device.token:
            self.sms_failed = (
                flows.send_sms_code(request, self.device, quiet_refusal=True, tell_failure=False)
                == flows.SMSOutcome.FAILED
            )
        return super().get(request, *args, **kwargs)

    def sms_usable(self) -> bool:
        return selectors.method_of(self.device) == "sms" and passkeys.method_allowed(self.request.user, "sms")

    def get_context_data(self, **kwargs):
        kwargs["method"] = selectors.method_of(self.device)
        kwargs["masked"] = otp.mask_number(getattr(self.device, "number", ""))
        kwargs.setdefault("sms_failed", getattr(self, "sms_failed", False))
        kwargs["has_passkey"] = selectors.has_passkey(self.request.user)
        kwargs["sms_refused"] = kwargs["method"] == "sms" and not self.sms_usable()
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        result = services.device_verify(
            user=self.request.user,
            token=form.cleaned_data["token"],
            primary=self.device_ref,
            ip=client_ip(self.request),
        )
        if result.ok:
            return redirect(flows.finish_verification(self.request, result.device))
        if result.locked_until:
            form.add_error("token", flows.wait_message(result.locked_until))
        else:
            form.add_error(
                "token", _("This code is not correct. Check it and try again, or use a recovery code.")
            )
        return self.form_invalid(form)


class VerifyResendView(DeviceView, TemplateView):
    """ "Stuur een nieuwe SMS-code" on the verify page."""

    http_method_names = ["post"]
    template_name = "twofactor/verify.html"

    def post(self, request):
        sms = selectors.method_of(self.device) == "sms" and passkeys.method_allowed(request.user, "sms")
        if sms and flows.send_sms_code(request, self.device, tell_failure=False) == flows.SMSOutcome.FAILED:
            context = {
                "form": VerifyForm(),
                "method": "sms",
                "sms_failed": True,
                "masked": otp.mask_number(self.device.number),
            }
            return self.render_to_response(self.get_context_data(**context), status=503)
        return redirect("twofactor:verify")
