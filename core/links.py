"""Absolute links for mails and SMS: always on SITE_URL, never on the request's Host header."""

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from django.conf import settings


def site_url(path: str) -> str:
    return urljoin(settings.SITE_URL + "/", path.lstrip("/"))


def with_language(url: str, language: str) -> str:
    """A link on SITE_URL that opens in the mail's language (?lang=, read by core.language); others unchanged."""
    if not language or not url.startswith(settings.SITE_URL.rstrip("/") + "/"):
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"] + [
        ("lang", language)
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))
