"""HTTP glue of the second factor: choose, enrol (SMS or app), recovery codes, verify, Mijn Instellingen."""

import time

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView
from django_otp import login as otp_login

from accounts.services import user_sessions_end
from core.throttling import client_ip
from twofactor import otp, selectors, services
from twofactor.forms import MethodForm, PhoneForm, ReauthForm, TokenForm, VerifyForm
from twofactor.gateways import SMSDeliveryError


def _time(moment) -> str:
    return timezone.localtime(moment).strftime("%H:%M:%S")


def _finish_verification(request, device) -> str:
    """The second step succeeded: mark the session verified, rotate its key, and return where to go."""
    otp_login(request, device)
    request.session.cycle_key()
    request.session.pop(otp.PASSWORD_AT, None)
    return request.session.pop(otp.NEXT, None) or otp.DEFAULT_NEXT


@method_decorator([never_cache], name="dispatch")
class TwoFactorView(LoginRequiredMixin, View):
    """Base of every 2FA page: logged in (password step done), never cached."""


class StartView(TwoFactorView):
    """After the password: verify with the confirmed method, or choose one at the first login."""

    def get(self, request):
        if nxt := otp.safe_next(request.GET.get("next")):
            request.session[otp.NEXT] = nxt
        if otp.is_verified(request):
            return redirect(request.session.pop(otp.NEXT, None) or otp.DEFAULT_NEXT)
        if selectors.has_confirmed_device(request.user):
            return redirect("twofactor:verify")
        return redirect("twofactor:setup")


class EnrolView(TwoFactorView):
    """Only who may enrol gets here (twofactor.otp.can_enrol)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not otp.can_enrol(
            request, has_confirmed_device=selectors.has_confirmed_device(request.user)
        ):
            return redirect("twofactor:verify" if not otp.is_verified(request) else "twofactor:settings")
        return super().dispatch(request, *args, **kwargs)

    def enrolled(self, device, codes):
        self.request.session[otp.RECOVERY_CODES] = codes
        self.request.session.pop(otp.PENDING_SECRET, None)
        self.request.session[otp.RECOVERY_CODES_AT] = time.time()
        self.request.session.pop(otp.RESETTING, None)
        if otp.is_verified(self.request):  # a reset: the new method is confirmed, every other session ends
            otp_login(self.request, device)
            self.request.session.cycle_key()
            self.request.session.save()
            user_sessions_end(user=self.request.user, keep_session_key=self.request.session.session_key)
        else:
            self.request.session[otp.NEXT] = _finish_verification(self.request, device)
        messages.success(self.request, _("Your two-factor authentication method is set up."))
        return redirect("twofactor:recovery-codes")


class SetupView(EnrolView, FormView):
    """ "Kies uw methode": SMS or an authenticator app."""

    template_name = "twofactor/setup.html"
    form_class = MethodForm

    def form_valid(self, form):
        return redirect(
            "twofactor:setup-sms" if form.cleaned_data["method"] == "sms" else "twofactor:setup-app"
        )


@method_decorator(sensitive_post_parameters("token"), name="dispatch")
class SetupSMSView(EnrolView, TemplateView):
    """ "Valideer uw methode" for SMS: 1. number, 2. "Stuur SMS code", 3. the token and "Valideer"."""

    template_name = "twofactor/setup_sms.html"

    def get_context_data(self, **kwargs):
        pending = selectors.pending_sms_device_for(self.request.user)
        initial = {"number": pending.number if pending else self.request.user.mobile or ""}
        kwargs.setdefault("phone_form", PhoneForm(initial=initial))
        kwargs.setdefault("token_form", TokenForm())
        kwargs["code_sent"] = bool(pending and pending.token)
        kwargs["masked"] = otp.mask_number(pending.number) if pending else ""
        return super().get_context_data(**kwargs)

    def post(self, request):
        if "send" in request.POST:
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
        form = TokenForm(request.POST)
        if form.is_valid():
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


@method_decorator(sensitive_post_parameters("token"), name="dispatch")
class SetupAppView(EnrolView, FormView):
    """ "Valideer uw methode" for an app: 1. install, 2. "Scan QR-code" (or type the key), 3. the token, "Valideer"."""

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
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        if not services.enrol_attempt_allowed(user=self.request.user, ip=client_ip(self.request)).allowed:
            form.add_error("token", _("Too many wrong codes. Wait a few minutes and try again."))
            return self.form_invalid(form)
        result = services.totp_enrol_confirm(
            user=self.request.user, secret=self.secret(), token=form.cleaned_data["token"],
            ip=client_ip(self.request),
        )  # fmt: skip
        if result is None:
            form.add_error("token", _("This code is not correct. Enter the 6 digits your app shows now."))
            return self.form_invalid(form)
        return self.enrolled(*result)


class RecoveryCodesView(TwoFactorView, TemplateView):
    """The new recovery codes, shown once, with print and download."""

    template_name = "twofactor/recovery_codes.html"

    def get(self, request, *args, **kwargs):
        if not otp.recovery_codes_on_show(request):
            return redirect(request.session.pop(otp.NEXT, None) or "twofactor:settings")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(codes=self.request.session[otp.RECOVERY_CODES], **kwargs)

    def post(self, request):
        """ "Continue": the codes leave the session for good."""
        otp.recovery_codes_forget(request)
        return redirect(request.session.pop(otp.NEXT, None) or otp.DEFAULT_NEXT)


class RecoveryCodesDownloadView(TwoFactorView):
    def get(self, request):
        codes = otp.recovery_codes_on_show(request)
        if not codes:
            return redirect("twofactor:settings")
        text = _("Recovery codes for %(email)s. Each code works once.") % {"email": request.user.email}
        response = HttpResponse("\n".join([text, "", *codes, ""]), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="recovery-codes.txt"'
        return response


@method_decorator(sensitive_post_parameters("token"), name="dispatch")
class VerifyView(TwoFactorView, FormView):
    """Later logins: the code of the confirmed method (an SMS is sent on arrival), or a recovery code."""

    template_name = "twofactor/verify.html"
    form_class = VerifyForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if otp.is_verified(request):
                return redirect(request.session.pop(otp.NEXT, None) or otp.DEFAULT_NEXT)
            self.device = selectors.primary_device_for(request.user)
            if self.device is None:
                return redirect("twofactor:setup")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if selectors.method_of(self.device) == "sms" and not self.device.token:
            self.send_sms(quiet_cooldown=True)
        return super().get(request, *args, **kwargs)

    def send_sms(self, quiet_cooldown=False):
        try:
            services.sms_send_code(device=self.device, language=get_language())
        except services.SMSNotAllowed as exc:
            if not quiet_cooldown:
                messages.error(self.request, exc.message)
            return False
        except SMSDeliveryError:
            self.sms_failed = True
            return False
        messages.success(
            self.request,
            _("A code was sent to %(number)s.") % {"number": otp.mask_number(self.device.number)},
        )
        return True

    def get_context_data(self, **kwargs):
        kwargs["method"] = selectors.method_of(self.device)
        kwargs["masked"] = otp.mask_number(getattr(self.device, "number", ""))
        kwargs["sms_failed"] = getattr(self, "sms_failed", False)
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        if "resend" in request.POST and selectors.method_of(self.device) == "sms":
            self.send_sms()
            if getattr(self, "sms_failed", False):
                return self.render_to_response(self.get_context_data(), status=503)
            return redirect("twofactor:verify")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        result = services.device_verify(
            user=self.request.user, token=form.cleaned_data["token"], primary=self.device,
            ip=client_ip(self.request),
        )  # fmt: skip
        if result.ok:
            return redirect(_finish_verification(self.request, result.device))
        if result.locked_until:
            form.add_error(
                "token",
                _("Too many wrong codes. For your safety you can try again at %(time)s.")
                % {"time": _time(result.locked_until)},
            )
        else:
            form.add_error(
                "token", _("This code is not correct. Check it and try again, or use a recovery code.")
            )
        return self.form_invalid(form)


# ----------------------------------------------------------------------------------------------- Mijn Instellingen
class VerifiedView(TwoFactorView):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not otp.is_verified(request):
            return redirect(f"{reverse('twofactor:start')}?{urlencode({'next': request.path})}")
        return super().dispatch(request, *args, **kwargs)


class SettingsView(VerifiedView, TemplateView):
    """ "Mijn Instellingen": the method in use, the recovery codes left, "reset" and new recovery codes."""

    template_name = "twofactor/settings.html"

    def get_context_data(self, **kwargs):
        device = selectors.primary_device_for(self.request.user)
        return super().get_context_data(
            method=selectors.method_of(device),
            masked=otp.mask_number(getattr(device, "number", "")),
            codes_left=selectors.recovery_codes_left(self.request.user),
            resetting=otp.reset_in_progress(self.request),
            **kwargs,
        )


class ReauthRequiredView(VerifiedView):
    """A sensitive action: the password and a code again, valid TWOFACTOR_REAUTH_SECONDS."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and otp.is_verified(request) and not otp.reauth_is_fresh(request):
            return redirect(f"{reverse('twofactor:reauth')}?{urlencode({'next': request.path})}")
        return super().dispatch(request, *args, **kwargs)


@method_decorator(sensitive_post_parameters("password", "token"), name="dispatch")
class ReauthView(VerifiedView, FormView):
    template_name = "twofactor/reauth.html"
    form_class = ReauthForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "request": self.request}

    def get_context_data(self, **kwargs):
        device = selectors.primary_device_for(self.request.user)
        kwargs["method"] = selectors.method_of(device)
        kwargs["masked"] = otp.mask_number(getattr(device, "number", ""))
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        if "send_sms" in request.POST:
            device = selectors.primary_device_for(request.user)
            if selectors.method_of(device) == "sms":
                try:
                    services.sms_send_code(device=device, language=get_language())
                    messages.success(
                        request,
                        _("A code was sent to %(number)s.") % {"number": otp.mask_number(device.number)},
                    )
                except services.SMSNotAllowed as exc:
                    messages.error(request, exc.message)
                except SMSDeliveryError:
                    messages.error(
                        request,
                        _("The SMS could not be sent.")
                        + " "
                        + _("Try again in a moment, or use a recovery code."),
                    )
            return redirect(request.get_full_path())
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
        return redirect(otp.safe_next(self.request.GET.get("next")) or reverse("twofactor:settings"))


class ResetView(ReauthRequiredView, TemplateView):
    """ "reset": choose a method again; the old one keeps working until the new one is confirmed."""

    template_name = "twofactor/reset.html"

    def post(self, request):
        otp.mark_resetting(request)
        return redirect("twofactor:setup")


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
