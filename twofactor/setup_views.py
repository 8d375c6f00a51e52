"""HTTP glue of enrolment: choose a method, then set up SMS or an authenticator app; the new recovery codes are
shown by twofactor.views, a passkey is set up by twofactor.passkey_views."""

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from core.throttling import client_ip
from twofactor import flows, otp, passkeys, selectors, services
from twofactor.forms import MethodForm, PhoneForm, TokenForm
from twofactor.gateways import SMSDeliveryError
from twofactor.mixins import EnrolView


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
        elif result := services.sms_enrol_confirm(
            user=request.user, token=form.cleaned_data["token"], ip=client_ip(request)
        ):
            return self.enrolled(*result)
        else:
            form.add_error(
                "token", _("This code is not correct or has expired. Check it, or send a new code.")
            )
        return self.render_to_response(self.get_context_data(token_form=form), status=400)


class SetupSMSSendView(SetupSMSView):
    """ "Stuur SMS code": the number, then a code to it (a new pending device, or the same one re-pointed)."""

    http_method_names = ["post"]

    def post(self, request):
        form = PhoneForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(phone_form=form), status=400)
        try:
            device = services.sms_enrol_start(
                user=request.user, number=form.cleaned_data["number"], language=get_language()
            )
        except services.SMSNotAllowed as exc:
            form.add_error("number", exc.message)
            return self.render_to_response(self.get_context_data(phone_form=form), status=429)
        except SMSDeliveryError:
            return self.render_to_response(
                self.get_context_data(phone_form=form, sms_failed=True), status=503
            )
        messages.success(
            request, _("A code was sent to %(number)s.") % {"number": otp.mask_number(device.number)}
        )
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
        kwargs["secret"], kwargs["otpauth_uri"] = (
            secret,
            uri,
        )  # "open in the app" on the phone that shows this page
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        if not services.enrol_attempt_allowed(user=self.request.user, ip=client_ip(self.request)).allowed:
            form.add_error("token", _("Too many wrong codes. Wait a few minutes and try again."))
        elif result := services.totp_enrol_confirm(
            user=self.request.user,
            secret=self.secret(),
            token=form.cleaned_data["token"],
            ip=client_ip(self.request),
        ):
            return self.enrolled(*result)
        else:
            form.add_error("token", _("This code is not correct. Enter the 6 digits your app shows now."))
        return self.form_invalid(form)
