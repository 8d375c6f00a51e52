"""HTTP glue of the accounts screens: validate, call one service, redirect."""

import math
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.crypto import constant_time_compare
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from accounts import idle, lockout, selectors, services
from accounts.forms import LoginForm, NewPasswordForm, PasswordChangeForm, PasswordResetRequestForm
from accounts.tokens import password_reset_tokens
from core.redirects import safe_next
from core.throttling import client_ip


def remember_language(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        httponly=True,
    )


@method_decorator([sensitive_post_parameters("password"), csrf_protect, never_cache], name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_redirect_url(self):
        return safe_next(self.request.POST.get("next", self.request.GET.get("next"))) or ""

    def get_success_url(self):
        """Always on to the second factor, carrying the (safe) target of the email link."""
        target = self.get_redirect_url() or resolve_url(settings.LOGIN_REDIRECT_URL)
        return f"{reverse('twofactor:start')}?{urlencode({'next': target})}"

    def post(self, request, *args, **kwargs):
        email, ip = request.POST.get("username", "")[:254], client_ip(request)
        verdict = lockout.attempt(
            email=email, ip=ip
        )  # before any password check; an allowed attempt is counted
        if not verdict.allowed:
            return self.refused(email, ip, verdict)
        try:
            return super().post(request, *args, **kwargs)
        except Exception:
            lockout.void(email=email, ip=ip)  # a server error is no failed guess
            raise

    def refused(self, email, ip, verdict):
        """Limited, or the limits could not be asked: no password is checked, and the same answer for an unknown
        email, so nothing tells whether it exists. The email stays in the form (WCAG 3.3.7)."""
        form = self.get_form_class()(self.request, initial={"username": email})
        if verdict.unavailable:
            message = _("Logging in is not possible for a moment. Please try again in a few minutes.")
            context = self.get_context_data(form=form, limited=message)
            return self.render_to_response(context, status=503)
        services.login_limited(email=email, ip=ip)
        minutes = max(1, math.ceil((verdict.retry_at - time.time()) / 60))
        limited = ngettext(
            "Too many failed login attempts. For your safety, wait %(minutes)d minute and try again.",
            "Too many failed login attempts. For your safety, wait %(minutes)d minutes and try again.",
            minutes,
        ) % {"minutes": minutes}
        reset_url = f"{reverse('accounts:password-reset')}?{urlencode({'email': email})}"  # keeps the email
        context = self.get_context_data(form=form, limited=limited, reset_url=reset_url)
        return self.render_to_response(context, status=429)

    def form_invalid(self, form):
        if form.has_error(NON_FIELD_ERRORS):
            services.login_failed(
                email=self.request.POST.get("username", "")[:254], ip=client_ip(self.request)
            )
        return super().form_invalid(form)

    def form_valid(self, form):
        chosen = self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        services.user_login(request=self.request, user=form.get_user(), chosen_language=chosen)
        response = HttpResponseRedirect(self.get_success_url())
        remember_language(response, form.get_user().language)
        return response


class StaffLoginView(LoginView):
    """The Web Portaal's login: the same two steps, limits and rules as the employees' page, only titled for staff
    and leading to the Web Portaal. Whether someone may use the Web Portaal is decided there, after the login."""

    extra_context = {"staff": True}

    def get_success_url(self):
        target = self.get_redirect_url() or reverse("admin:index")
        return f"{reverse('twofactor:start')}?{urlencode({'next': target})}"


class LogoutView(auth_views.LogoutView):
    """POST only (Django's): a link or an image cannot log anyone out. The session is deleted server-side."""

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            services.user_logged_out(user=request.user, ip=client_ip(request))
        return super().post(request, *args, **kwargs)


class LoggedOutView(TemplateView):
    """ "You were logged out": after the idle timeout or the absolute session lifetime."""

    template_name = "accounts/logged_out.html"

    def get_context_data(self, **kwargs):
        # "Log in again" leads back to the page the user was on (a path on this site only)
        target = safe_next(self.request.GET.get("next"))
        login_url = reverse("accounts:login") + (f"?{urlencode({'next': target})}" if target else "")
        return super().get_context_data(
            reason=self.request.GET.get("reason", ""), login_url=login_url, **kwargs
        )


@method_decorator([login_required, never_cache], name="dispatch")
class SessionListView(TemplateView):
    """ "Waar ben ik ingelogd" in Mijn Instellingen: every live session of the user, this one marked."""

    template_name = "accounts/sessions.html"

    def get_context_data(self, **kwargs):
        rows = selectors.sessions_listing(
            user=self.request.user, current_key=self.request.session.session_key
        )
        return super().get_context_data(sessions=rows, others=sum(not r.current for r in rows), **kwargs)


@method_decorator([login_required, never_cache], name="dispatch")
class SessionEndView(View):
    """ "Log uit" beside one session (POST). This session's own button is a logout."""

    def post(self, request):
        public_id = request.POST.get("session", "")[:64]
        if constant_time_compare(selectors.session_public_id(request.session.session_key or ""), public_id):
            return _log_out_here(request)
        if services.user_session_end(user=request.user, public_id=public_id, ip=client_ip(request)):
            messages.success(request, _("That session has been logged out."))
        else:
            messages.info(request, _("That session had already ended."))
        return redirect("accounts:sessions")


@method_decorator([login_required, never_cache], name="dispatch")
class SessionEndAllView(View):
    """ "Log overal uit" (POST): every other session ends, then this one logs out."""

    def post(self, request):
        services.user_sessions_end_everywhere(
            user=request.user, current=request.session, ip=client_ip(request)
        )
        return _log_out_here(request)


def _log_out_here(request):
    services.user_logged_out(user=request.user, ip=client_ip(request))
    logout(request)  # flushes the session server-side
    return redirect(f"{reverse('accounts:logged-out')}?reason=sessions")


@method_decorator([sensitive_post_parameters(), never_cache], name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """ "Wachtwoord wijzigen" in Mijn Instellingen: the old password, then the new one twice."""

    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("twofactor:settings")

    def form_valid(self, form):
        services.password_change(
            request=self.request, user=form.user, password=form.cleaned_data["new_password1"]
        )
        messages.success(
            self.request, _("Your password has been changed. Other sessions have been logged out.")
        )
        return HttpResponseRedirect(self.get_success_url())


@method_decorator(
    [sensitive_post_parameters("birth_date", "email"), csrf_protect, never_cache], name="dispatch"
)
class PasswordResetRequestView(FormView):
    template_name = "accounts/password_reset_form.html"
    form_class = PasswordResetRequestForm
    success_url = reverse_lazy("accounts:password-reset-done")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "remote_ip": client_ip(self.request)}

    def get_initial(self):
        # The email typed on the login page comes along as ?email= (WCAG 3.3.7, no typing it twice). It only fills
        # the field: the page is the same whether or not such an account exists.
        return {"email": self.request.GET.get("email", "")[:254]}

    def form_valid(self, form):
        # Counted only once the form and its captcha passed, so nobody can use up a victim's limit without them.
        email = form.cleaned_data["email"]
        verdict = services.password_reset_throttle(ip=client_ip(self.request), email=email)
        if not verdict.allowed:
            minutes = max(1, (verdict.retry_after + 59) // 60)
            limited = _("Too many requests. For your safety, please try again in %(minutes)d minutes.") % {
                "minutes": minutes
            }
            # What was typed stays; the robot check is asked again (each tick is single-use, for security).
            form = self.form_class(initial={"email": email, "birth_date": form.cleaned_data["birth_date"]})
            context = self.get_context_data(form=form, limited=limited)
            return self.render_to_response(context, status=429)
        services.password_reset_request(email=email, birth_date=form.cleaned_data["birth_date"])
        return redirect(self.success_url)


class PasswordResetDoneView(TemplateView):
    template_name = "accounts/password_reset_done.html"


@method_decorator([sensitive_post_parameters("new_password1", "new_password2"), never_cache], name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view: it moves the token from the URL into the session before showing the form."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = NewPasswordForm
    token_generator = password_reset_tokens
    success_url = reverse_lazy("accounts:login")
    post_reset_login = False

    def form_valid(self, form):
        services.password_reset_complete(user=form.user, password=form.cleaned_data["new_password1"])
        self.request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        messages.success(self.request, _("Your password has been changed. You can now log in with it."))
        return HttpResponseRedirect(self.success_url)


@method_decorator(csrf_protect, name="dispatch")
class SetLanguageView(View):
    """The NL and UK flags: back to the same page (a path on this site only), remembered for a verified user."""

    http_method_names = ["post"]

    def post(self, request):
        language = services.supported_language(request.POST.get("language"))
        response = HttpResponseRedirect(safe_next(request.POST.get("next")) or "/")
        if language:
            remember_language(response, language)
            # Stored for the user only in a verified session: the password alone changes nothing about the account.
            if request.user.is_authenticated and getattr(request.user, "is_verified", lambda: False)():
                services.user_set_language(user=request.user, language=language)
        return response


# ----------------------------------------------------------------------------------------------- idle timeout
@method_decorator(never_cache, name="dispatch")
class IdleStatusView(View):
    """How many seconds this session has left (GET, for the timeout dialog). Reads the clock, never restarts it:
    the middleware skips its write for this path, so open tabs checking cannot keep an abandoned session alive."""

    http_method_names = ["get"]

    def get(self, request):
        if not request.user.is_authenticated:
            return idle.logged_out_json()
        seconds, extendable = idle.expires_in(request.session)
        return JsonResponse({"expires_in": seconds, "extendable": extendable})


@method_decorator([csrf_protect, never_cache], name="dispatch")
class KeepAliveView(View):
    """ "Blijf ingelogd" (POST with the CSRF token): restarts the idle clock and answers the seconds left, which
    never reach past the absolute lifetime. Without JavaScript the button's form lands back on its page."""

    http_method_names = ["post"]

    def post(self, request):
        if not request.user.is_authenticated:
            return idle.logged_out_json()
        seconds, extendable = idle.keep_alive(request.session)
        if request.headers.get("X-Requested-With") == "fetch":
            return JsonResponse({"expires_in": seconds, "extendable": extendable})
        return redirect(safe_next(request.POST.get("next")) or "/")
