"""What every template may show: the portal's name, where the language flags return to, and how to reach us."""

import re

from django.conf import settings


def contact_details() -> dict:
    phone = settings.PORTAL_CONTACT_PHONE
    return {
        "CONTACT_PHONE": phone,
        "CONTACT_PHONE_HREF": "tel:" + re.sub(r"[^\d+]", "", phone),
        "CONTACT_EMAIL": settings.PORTAL_CONTACT_EMAIL,
    }


def portal(request):
    return {"PORTAL_NAME": settings.PORTAL_NAME, "current_path": request.get_full_path(), **contact_details()}
