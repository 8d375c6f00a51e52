"""The reCAPTCHA v2 checkbox of "Wachtwoord vergeten", with a local mode for machines that cannot reach Google.

Production uses django-recaptcha unchanged. Local mode (RECAPTCHA_LOCAL, refused with DEBUG off by the settings)
renders a local checkbox whose value is a signed single-use token, and answers django-recaptcha's siteverify call at
its HTTP boundary (`django_recaptcha.client.recaptcha_request`) on this machine. Either way a failure to verify is a
translated form error, never a 500: django-recaptcha itself only catches HTTPError.
"""

import io
import json
import logging
import secrets
from urllib.parse import parse_qs

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_recaptcha import client
from django_recaptcha.fields import ReCaptchaField
from django_recaptcha.widgets import ReCaptchaV2Checkbox

logger = logging.getLogger(__name__)

_SALT = "accounts.captcha.local"
_MAX_AGE = 30 * 60


def local_token() -> str:
    return signing.dumps(secrets.token_urlsafe(16), salt=_SALT)


def _local_siteverify(params: bytes) -> io.BytesIO:
    """What Google's siteverify answers, decided here: the right secret and an unused, fresh local token."""
    data = {key: values[0] for key, values in parse_qs(params.decode("utf-8")).items()}
    errors = []
    if data.get("secret") != settings.RECAPTCHA_PRIVATE_KEY:
        errors.append("invalid-input-secret")
    try:
        nonce = signing.loads(data.get("response", ""), salt=_SALT, max_age=_MAX_AGE)
    except signing.BadSignature:
        errors.append("invalid-input-response")
    else:
        try:
            if not cache.add(f"{_SALT}:{nonce}", 1, timeout=_MAX_AGE):
                errors.append("timeout-or-duplicate")
        except Exception:  # noqa: BLE001 - without the cache a replay cannot be ruled out: refuse
            logger.exception("Local captcha check without cache")
            errors.append("cache-unavailable")
    return io.BytesIO(json.dumps({"success": not errors, "error-codes": errors}).encode())


def install_local_verification() -> None:
    """Route django-recaptcha's siteverify request to the local check while RECAPTCHA_LOCAL is on."""
    if getattr(client.recaptcha_request, "portal_local", False):
        return
    remote = client.recaptcha_request

    def recaptcha_request(params):
        if getattr(settings, "RECAPTCHA_LOCAL", False):
            return _local_siteverify(params)
        return remote(params)

    recaptcha_request.portal_local = True
    client.recaptcha_request = recaptcha_request


class CaptchaWidget(ReCaptchaV2Checkbox):
    """Google's checkbox, or in local mode a plain, keyboard-friendly checkbox that works without script."""

    local_template_name = "accounts/widgets/local_captcha.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["local_mode"] = settings.RECAPTCHA_LOCAL
        if settings.RECAPTCHA_LOCAL:
            context["local_token"] = local_token()
        context["api_params"] = f"hl={get_language() or settings.LANGUAGE_CODE}"
        return context

    def _render(self, template_name, context, renderer=None):
        if settings.RECAPTCHA_LOCAL:
            template_name = self.local_template_name
        return super()._render(template_name, context, renderer)


class CaptchaField(ReCaptchaField):
    widget = CaptchaWidget
    default_error_messages = {
        "required": _("Tick the box “I'm not a robot”."),
        "captcha_invalid": _("The robot check did not succeed. Tick the box “I'm not a robot” again."),
        "captcha_error": _("The robot check could not be completed just now. Please try again in a minute."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.remote_ip = None

    def get_remote_ip(self):
        # The form sets the trusted client address; django-recaptcha's own guess trusts X-Forwarded-For blindly.
        return self.remote_ip

    def validate(self, value):
        try:
            super().validate(value)
        except ValidationError:
            raise
        except (OSError, ValueError, KeyError) as exc:  # URLError, timeouts, refused connections, bad JSON
            logger.warning("reCAPTCHA verification failed: %s", type(exc).__name__)
            raise ValidationError(self.error_messages["captcha_error"], code="captcha_error") from exc
