"""HTTP glue of the second step and of enrolment: one view per action; the gates in twofactor.mixins, the flow steps
in twofactor.flows, the writes in twofactor.services. Mijn Instellingen: twofactor.settings_views."""

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from core.throttling import client_ip
from twofactor import flows, otp, passkeys, selectors, services
from twofactor.forms import MethodForm, PhoneForm, TokenForm, VerifyForm
from twofactor.gateways import SMSDeliveryError
from twofactor.mixins import DeviceView, EnrolView, TwoFactorView


class StartView(TwoFactorView):
    """After the password: verify with the confirmed method, or choose one at the first login."""

    def get(self, request):
        flows.next_remember(request, request.GET.get("next"))
        if otp.is_verified(request):
            return redirect(flows.next_pop(request))
        return redirect("twofactor:verify" if selectors.has_confirmed_device(request.user) else "twofactor:setup")


class SetupView(EnrolView, FormView):
    """ "Kies uw methode": SMS or an authenticator app."""

    template_name = "twofactor/setup.html"
    form_class = MethodForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "allowed": flows.allowed_methods(self.request.user)}

    def form_valid(self, form):
        return redirect(flows.METHOD_SETUP_URLS[form.cleaned_data["method"]])


@method_decorator(sensitive_post_parameters("token"), name="dispatch")
class SetupSMSView(EnrolView, TemplateView):
    """ "Valideer uw methode" for SMS: 1. number, 2. "Stuur SMS code" (SetupSMSSendView), 3. the code, "Valideer"."""

    template_name = "twofactor/setup_sms.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not passkeys.method_allowed(request.user, "sms"):
            messages.error(request, _("For staff accounts, choose a passkey or an authenticator app."))
            return redirect("twofactor:setup")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        pending = selectors.pending_sms_device_for(self.request.user)
        initial = {"number": pending.number if pending else self.request.user.mobile or ""}
        kwargs.setdefault("phone_form", PhoneForm(initial=initial))
        kwargs.setdefault("token_form", TokenForm())
        kwargs["code_sent"] = bool(pending and pending.token)
        kwargs["masked"] = otp.mask_number(pending.number) if pending else ""
        return super().get_context_data(**kwargs)

    def post(self, request):
        form = TokenForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(token_form=form), status=400)
        if not services.enrol_attempt_allowed(user=request.user, ip=client_ip(request)).allowed:
            form.add_error("token", _("Too many wrong codes. Wait a few minutes and try again."))
        elif result := services.sms_enrol_confirm(user=request.user, token=form.cleaned_data["token"],
                                                  ip=client_ip(request)):  # fmt: skip
            return self.enrolled(*result)
        else:
            form.add_error("token", _("This code is not correct or has expired. Check it, or send a new code."))
        return self.render_to_response(self.get_context_data(token_form=form), status=400)


class SetupSMSSendView(SetupSMSView):
    """ "Stuur SMS code": the number, then a code to it (a new pending device, or the same one re-pointed)."""

    http_method_names = ["post"]

    def post(self, request):
        form = PhoneForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(phone_form=form), status=400)
        try:
            device = services.sms_enrol_start(user=request.user, number=form.cleaned_data["number"],
                                              language=get_language())  # fmt: skip
        except services.SMSNotAllowed as exc:
            form.add_error("number", exc.message)
            return self.render_to_response(self.get_context_data(phone_form=form), status=429)
        except SMSDeliveryError:
            return self.render_to_response(self.get_context_data(phone_form=form, sms_failed=True), status=503)
        messages.success(request, _("A code was sent to %(number)s.") % {"number": otp.mask_number(device.number)})
        return redirect("twofactor:setup-sms")


@method_decorator(sensitive_post_parameters("token"), name="dispatch")
class SetupAppView(EnrolView, FormView):
    """ "Valideer uw methode" for an app: 1. install, 2. "Scan QR-code" (or type the key), 3. the code, "Valideer"."""

    template_name = "twofactor/setup_app.html"
    form_class = TokenForm

    def secret(self) -> str:
        if not self.request.session.get(otp.PENDING_SECRET):
            self.request.session[otp.PENDING_SECRET] = services.totp_new_secret()
        return self.request.session[otp.PENDING_SECRET]

    def get_context_data(self, **kwargs):
        secret = self.secret()
        uri = services.totp_provisioning_uri(secret=secret, email=self.request.user.email)
        svg = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2).to_string()
        kwargs["qr_svg"] = svg.decode() if isinstance(svg, bytes) else svg
        kwargs["secret_groups"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        kwargs["secret"], kwargs["otpauth_uri"] = secret, uri  # "open in the app" on the phone that shows this page
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        if not services.enrol_attempt_allowed(user=self.request.user, ip=client_ip(self.request)).allowed:
            form.add_error("token", _("Too many wrong codes. Wait a few minutes and try again."))
        elif result := services.totp_enrol_confirm(
            user=self.request.user, secret=self.secret(), token=form.cleaned_data["token"], ip=client_ip(self.request)
        ):
            return self.enrolled(*result)
        else:
            form.add_error("token", _("This code is not correct. Enter the 6 digits your app shows now."))
        return self.form_invalid(form)


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
            self.sms_failed = flows.send_sms_code(request, self.device, quiet_refusal=True,
                                                  tell_failure=False) == flows.SMSOutcome.FAILED  # fmt: skip
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
        result = services.device_verify(user=self.request.user, token=form.cleaned_data["token"],
                                        primary=self.device_ref, ip=client_ip(self.request))  # fmt: skip
        if result.ok:
            return redirect(flows.finish_verification(self.request, result.device))
        if result.locked_until:
            form.add_error("token", flows.wait_message(result.locked_until))
        else:
            form.add_error("token", _("This code is not correct. Check it and try again, or use a recovery code."))
        return self.form_invalid(form)


class VerifyResendView(DeviceView, TemplateView):
    """ "Stuur een nieuwe SMS-code" on the verify page."""

    http_method_names = ["post"]
    template_name = "twofactor/verify.html"

    def post(self, request):
        sms = selectors.method_of(self.device) == "sms" and passkeys.method_allowed(request.user, "sms")
        if sms and flows.send_sms_code(request, self.device, tell_failure=False) == flows.SMSOutcome.FAILED:
            context = {"form": VerifyForm(), "method": "sms", "sms_failed": True,
                       "masked": otp.mask_number(self.device.number)}  # fmt: skip
            return self.render_to_response(self.get_context_data(**context), status=503)
        return redirect("twofactor:verify")
