"""What every template may show: the portal's name and where the language flags return to."""

from django.conf import settings


def portal(request):
    return {"PORTAL_NAME": settings.PORTAL_NAME, "current_path": request.get_full_path()}
