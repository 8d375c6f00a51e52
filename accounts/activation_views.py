"""The invitation's activation page: birth date and a first password, then straight on to the second factor.

Django's reset-confirm view carries the link: it moves the token from the URL into the session before the page
is shown (no token in a Referer or a log), and checks it again on every POST.
"""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import services
from accounts.forms import ActivationForm
from accounts.tokens import activation_tokens
from accounts.views import remember_language
from core.redirects import safe_next
from core.throttling import client_ip

# Where the invitation link leads after the second factor (a document of a "new document" mail), a safe path.
SESSION_ACTIVATION_NEXT = "accounts.activation_next"


@method_decorator(
    [sensitive_post_parameters("birth_date", "new_password1", "new_password2"), never_cache], name="dispatch"
)
class ActivateView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/activate.html"
    form_class = ActivationForm
    token_generator = activation_tokens
    reset_url_token = "set-password"
    post_reset_login = False

    def dispatch(self, request, *args, **kwargs):
        if request.method == "GET" and (target := safe_next(request.GET.get("next"))):
            request.session[SESSION_ACTIVATION_NEXT] = target
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(days=services.invitation_days(), **kwargs)

    def form_valid(self, form):
        ip = client_ip(self.request)
        verdict = services.activation_throttle(ip=ip, user=self.user)
        if not verdict.allowed:
            minutes = max(1, (verdict.retry_after + 59) // 60)
            limited = _("Too many requests. For your safety, please try again in %(minutes)d minutes.") % {
                "minutes": minutes
            }
            return self.render_to_response(self.get_context_data(form=form, limited=limited), status=429)
        if not services.activation_birth_date_matches(
            user=self.user, birth_date=form.cleaned_data["birth_date"], ip=ip
        ):
            form.add_error(
                "birth_date", _("This date of birth does not match our records. Check it and try again.")
            )
            return self.form_invalid(form)
        target = self.request.session.pop(SESSION_ACTIVATION_NEXT, None) or resolve_url(
            settings.LOGIN_REDIRECT_URL
        )
        self.request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        services.account_activate(
            request=self.request,
            user=self.user,
            password=form.cleaned_data["new_password1"],
            chosen_language=self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME),
        )
        response = HttpResponseRedirect(f"{reverse('twofactor:start')}?{urlencode({'next': target})}")
        remember_language(response, self.user.language)
        return response
