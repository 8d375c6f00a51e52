"""Root URLs: each app mounts its own; the admin is the staff "Web Portaal"."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView, TemplateView

from accounts.views import SetLanguageView
from portal.errors import upload_too_large
from portal.health import healthz, live, ready

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="dossier:home", permanent=False)),
    path("accounts/", include("accounts.urls")),
    path("i18n/setlang/", SetLanguageView.as_view(), name="set_language"),
    path("", include("twofactor.urls")),
    path("twofactor/passkey/", include("twofactor.passkey_urls")),  # passkey ceremonies
    path("dossier/", include("dossier.urls")),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("healthz/live/", live, name="healthz-live"),
    path("healthz/ready/", ready, name="healthz-ready"),
    # nginx's error page for a body over its limit (error_page 413 in deploy/nginx).
    path("upload-too-large/", upload_too_large, name="upload-too-large"),
    # The accessibility statement: public, before and after login (linked from every footer).
    path("toegankelijkheid/", TemplateView.as_view(template_name="accessibility.html"), name="accessibility"),
]

handler400 = "portal.errors.bad_request"
handler403 = "portal.errors.permission_denied"
handler404 = "portal.errors.page_not_found"
handler500 = "portal.errors.server_error"
