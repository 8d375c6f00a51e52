"""A link from a mail carries the recipient's language (?lang=en), so the page it opens, and the pages after it,
speak the mail's language even when the browser asks for another.

Safe by construction: only a language of settings.LANGUAGES is taken (anything else is ignored), it only picks the
language the visitor sees (the same as pressing a flag), and nothing is redirected. Placed before LocaleMiddleware.
"""

from django.conf import settings

LINK_PARAMETER = "lang"


def link_language(value) -> str | None:
    """The language asked for by a link, if it is one the portal speaks."""
    return value if value in dict(settings.LANGUAGES) else None


class LanguageFromLinkMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = link_language(request.GET.get(LINK_PARAMETER))
        if language:
            request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = language  # LocaleMiddleware reads it next
        response = self.get_response(request)
        if language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                httponly=True,
            )
        return response
