"""Session engine without Redis (`make run`, SQLite): Django's database sessions plus the user's id in its own column.

With REDIS_URL set, `accounts.sessions_redis` is the engine (portal/settings/base.py). Both offer the same two class
methods for the per-user view, `sessions_of` and `sessions_end`, which accounts/selectors.py and services.py use.
"""

from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.utils import timezone


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls):
        from accounts.models import Session

        return Session

    def create_model_instance(self, data):
        obj = super().create_model_instance(data)
        try:
            obj.user_id = int(data.get("_auth_user_id"))
        except (TypeError, ValueError):
            obj.user_id = None
        return obj

    @classmethod
    def sessions_of(cls, user_id) -> list[tuple[str, dict]]:
        """The user's sessions that have not expired, as (key, data)."""
        rows = (
            cls.get_model_class()
            .objects.filter(user_id=user_id, expire_date__gt=timezone.now())
            .order_by("session_key")
            .values_list("session_key", "session_data")
        )
        store = cls()
        return [(key, data) for key, data in ((k, store.decode(d)) for k, d in rows) if data]

    @classmethod
    def sessions_end(cls, user_id, *, keys=None, keep: str | None = None) -> int:
        """End the user's sessions (all, or only `keys`), except `keep`; another user's keys match nothing."""
        sessions = cls.get_model_class().objects.filter(user_id=user_id)
        if keys is not None:
            sessions = sessions.filter(session_key__in=list(keys))
        if keep:
            sessions = sessions.exclude(session_key=keep)
        deleted, _ = sessions.delete()
        return deleted
