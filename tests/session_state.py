"""What the session engine holds, for tests that run on both engines (database without Redis, Redis with it)."""

from django.conf import settings

from accounts.models import Session
from accounts.selectors import session_keys_of, session_store_class


def session_exists(key: str) -> bool:
    return session_store_class()().exists(key)


def user_session_count(user) -> int:
    return len(session_keys_of(user=user))


def all_session_keys() -> list[str]:
    """Every stored session key, sorted (the database table, or the session keys in Redis)."""
    if settings.SESSION_ENGINE == "accounts.sessions_redis":
        from accounts import sessions_redis

        prefix = sessions_redis.session_key_name("")
        keys = sessions_redis.client().scan_iter(match=f"{prefix}*")
        return sorted(k.decode("ascii").removeprefix(prefix) for k in keys)
    return list(Session.objects.order_by("pk").values_list("pk", flat=True))
