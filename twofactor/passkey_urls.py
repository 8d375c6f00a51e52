"""The passkey ceremonies (JSON, called by django-otp-webauthn's static JS) under the library's own URL names, so
its template tags find them; every view is our wrapper (twofactor.passkey_views). Mounted at /twofactor/passkey/."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from twofactor import passkey_views

app_name = "otp_webauthn"

urlpatterns = [
    path(
        "registration/begin/",
        passkey_views.RegistrationBeginView.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        passkey_views.RegistrationCompleteView.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        passkey_views.AuthenticationBeginView.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        passkey_views.AuthenticationCompleteView.as_view(),
        name="credential-authentication-complete",
    ),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]), name="js-i18n-catalog"),
]
