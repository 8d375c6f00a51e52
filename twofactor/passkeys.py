"""The rules of passkeys (WebAuthn, through django-otp-webauthn), in one place: where a passkey is valid (relying
party id and origins, from SITE_URL), that the person is verified on the device, which methods staff may use, and
that the last way in is never removed.

Prevents: a passkey ceremony accepted for another site (phishing: the origin and RP id are checked by the server,
not only by the browser), a passkey used without the fingerprint, face or PIN (user verification required), a
cloned authenticator (the library's sign counter check), a staff account protected only by SMS when the provider
asks for more, and an account left without a second factor.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django_otp_webauthn.helpers import WebAuthnHelper
from webauthn.helpers.structs import UserVerificationRequirement

METHOD = "passkey"
NAME_MAX_LENGTH = 64  # django-otp's Device.name


# ----------------------------------------------------------------------------------------------- relying party
def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL (the form WebAuthn's clientDataJSON carries)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def rp_id() -> str:
    """TWOFACTOR_PASSKEY_RP_ID when set, else the host of SITE_URL (read per request: tests move SITE_URL)."""
    return getattr(settings, "TWOFACTOR_PASSKEY_RP_ID", "") or (urlsplit(settings.SITE_URL).hostname or "")


def rp_id_for_request(request=None) -> str:
    """OTP_WEBAUTHN_RP_ID_CALLABLE: never the request's Host header, which a client chooses."""
    return rp_id()


def allowed_origins() -> list[str]:
    """TWOFACTOR_PASSKEY_ORIGINS when set, else the origin of SITE_URL only."""
    configured = list(getattr(settings, "TWOFACTOR_PASSKEY_ORIGINS", []) or [])
    return [origin_of(o) for o in configured] or [origin_of(settings.SITE_URL)]


def _host_within(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def relying_party_problems(*, site_url: str, rp: str, origins: list[str]) -> list[str]:
    """What is wrong with a production relying party (DEBUG off); an empty list when it matches SITE_URL.

    WebAuthn binds a passkey to the RP id: SITE_URL's host must be the RP id or under it, every origin https and
    under it, and SITE_URL's own origin among them (else nobody could use a passkey on the portal itself).
    """
    problems = []
    site = urlsplit(site_url)
    if site.scheme != "https":
        problems.append(f"SITE_URL {site_url!r} is not https: passkeys need a secure origin.")
    if not rp or not _host_within(site.hostname or "", rp):
        problems.append(f"The passkey RP id {rp!r} does not match the host of SITE_URL {site_url!r}.")
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme != "https" or not _host_within(parts.hostname or "", rp):
            problems.append(f"The passkey origin {origin!r} is not https on the RP id {rp!r}.")
    if origin_of(site_url) not in [origin_of(o) for o in origins]:
        problems.append(f"The origin of SITE_URL {origin_of(site_url)!r} is not among the passkey origins.")
    return problems


def current_relying_party_problems() -> list[str]:
    """The relying party of these settings, checked with DEBUG off; portal/startup.py refuses to start on any
    problem (gunicorn's WSGI entry point and `manage.py check`)."""
    if settings.DEBUG:
        return []
    return relying_party_problems(site_url=settings.SITE_URL, rp=rp_id(), origins=allowed_origins())


class PortalWebAuthnHelper(WebAuthnHelper):
    """The library's helper with the portal's rules: origins from SITE_URL, user verification always required."""

    def get_allowed_origins(self) -> list[str]:
        return allowed_origins()

    def get_generate_registration_options_kwargs(self, *, user) -> dict:
        kwargs = super().get_generate_registration_options_kwargs(user=user)
        kwargs["authenticator_selection"].user_verification = UserVerificationRequirement.REQUIRED
        return kwargs

    def get_generate_authentication_options_kwargs(
        self, *, user=None, require_user_verification: bool
    ) -> dict:
        # The library asks no verification when a user is logged in (passkey as a second factor); we always do:
        # a passkey then stands for "has the device AND unlocked it", which is what lets it replace a code.
        return super().get_generate_authentication_options_kwargs(user=user, require_user_verification=True)


# ----------------------------------------------------------------------------------------------- staff
def staff_requires_strong_factor(user) -> bool:
    """With TWOFACTOR_STAFF_REQUIRE_STRONG_FACTOR a staff account (Web Portaal) may use a passkey or app, not SMS."""
    return bool(getattr(settings, "TWOFACTOR_STAFF_REQUIRE_STRONG_FACTOR", False) and user.is_staff)


def method_allowed(user, method: str) -> bool:
    return not (method == "sms" and staff_requires_strong_factor(user))


# ----------------------------------------------------------------------------------------------- removal
def may_remove_passkey(*, passkeys_left_after: int, has_other_method: bool) -> bool:
    """The last way in is never removed: a passkey goes only when another passkey, the app or SMS remains.
    Recovery codes do not count: they are for a lost device, not a method to log in with every day."""
    return passkeys_left_after > 0 or has_other_method


# ----------------------------------------------------------------------------------------------- adding
def may_add_passkey(request, *, has_confirmed_device: bool) -> bool:
    """A first method at the first login, a reset in progress, or, in a verified session, after a fresh
    re-authentication (a stolen session cannot plant its own passkey for later)."""
    from twofactor import otp

    if otp.can_enrol(request, has_confirmed_device=has_confirmed_device):
        return True
    return otp.is_verified(request) and otp.reauth_is_fresh(request)
