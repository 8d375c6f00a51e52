"""Where a `next` parameter may lead: a path on this site, nothing else.

Prevents open redirects from a forged mail link: another host, `//host`, `javascript:`, `/\\host`, schemes.
"""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(candidate: str | None) -> str | None:
    if not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return None
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts=set()):
        return candidate
    return None
