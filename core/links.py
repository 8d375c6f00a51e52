"""Absolute links for mails and SMS: always on SITE_URL, never on the request's Host header."""

from urllib.parse import urljoin

from django.conf import settings


def site_url(path: str) -> str:
    return urljoin(settings.SITE_URL + "/", path.lstrip("/"))
