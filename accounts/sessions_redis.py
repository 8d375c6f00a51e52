"""Session engine for several app servers: sessions in Redis, with a per-user index (one set per user).

Each session is one Redis string `accounts.session:<key>` (Django's signed encoding, as in the database engine)
with a TTL, and each logged-in session's key is also in the set `accounts.user_sessions:<user id>`. The set is
what "end every other session of this user" and the sessions page read; it is written in the same Lua script as
the session, so a session of a user is never stored without its index entry. An entry whose session has expired
(Redis dropped it by its TTL) is a pointer to nothing: readers skip it and remove it.

Prevents: a session surviving "end all sessions" (ending reads the index; a request that is still running on an
ended session cannot write it back, because an update only writes a key that still exists, and a key rotation only
moves a key that still exists), and a session id of another user ending anything (ending only looks in the user's
own index). Any request may land on any app server: nothing is kept in the process.
"""

from __future__ import annotations

import redis
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import CreateError, SessionBase, UpdateError
from django.core.exceptions import SuspiciousOperation
from django.utils.crypto import get_random_string

from accounts.middleware import LAST_SEEN, WRITE_INTERVAL

_VALID_KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"

# KEYS: session key, index key. ARGV: data, ttl, mode ("NX" create, "XX" update), session id ("" when no user is
# logged in: no index entry), index ttl.
_SAVE = """
local ok = redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], ARGV[3])
if not ok then return 0 end
if ARGV[4] ~= '' then
  redis.call('SADD', KEYS[2], ARGV[4])
  if redis.call('TTL', KEYS[2]) < tonumber(ARGV[5]) then redis.call('EXPIRE', KEYS[2], ARGV[5]) end
end
return 1
"""
# A key rotation: the new key is written only while the old one still exists (it may just have been ended).
# KEYS: old key, new key, index key. ARGV: data, ttl, old id, new id, index ttl.
_CYCLE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if not redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2], 'NX') then return -1 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[3], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[4])
if redis.call('TTL', KEYS[3]) < tonumber(ARGV[5]) then redis.call('EXPIRE', KEYS[3], ARGV[5]) end
return 1
"""

_client: redis.Redis | None = None
_scripts: dict = {}


def client() -> redis.Redis:
    """One connection pool per process (made at first use, so after gunicorn forks its workers)."""
    global _client
    if _client is None:
        _client = redis.Redis.from_url(
            settings.SESSION_REDIS_URL,
            socket_connect_timeout=settings.REDIS_TIMEOUT,
            socket_timeout=settings.REDIS_TIMEOUT,
        )
        _scripts["save"] = _client.register_script(_SAVE)
        _scripts["cycle"] = _client.register_script(_CYCLE)
    return _client


def session_key_name(session_key: str) -> str:
    # The deployment's prefix (settings.CACHE_KEY_PREFIX): two portals on one Redis database never share a key.
    return f"{settings.CACHE_KEY_PREFIX}:accounts.session:{session_key}"


def index_key_name(user_id) -> str:
    return f"{settings.CACHE_KEY_PREFIX}:accounts.user_sessions:{user_id}"


class SessionStore(SessionBase):
    def load(self):
        raw = client().get(session_key_name(self.session_key)) if self.session_key else None
        data = self.decode(raw.decode("ascii")) if raw is not None else None
        if not data:
            self._session_key = None
            return {}
        return data

    def exists(self, session_key):
        return bool(session_key) and bool(client().exists(session_key_name(session_key)))

    def _new_key(self) -> str:
        # No EXISTS round trip: SET NX refuses a key that is taken, and create() tries again.
        return get_random_string(32, _VALID_KEY_CHARS)

    def create(self):
        for _ in range(100):
            self._session_key = self._new_key()
            try:
                self.save(must_create=True)
            except CreateError:
                continue
            self.modified = True
            return
        raise RuntimeError("Unable to create a new session key.")

    def _ttl(self, data: dict) -> int:
        """The absolute lifetime; a logged-in session also dies in Redis soon after its idle timeout."""
        ttl = self.get_expiry_age(expiry=data.get("_session_expiry"))
        if LAST_SEEN in data:
            ttl = min(ttl, settings.SESSION_IDLE_TIMEOUT + 2 * WRITE_INTERVAL)
        return max(int(ttl), 1)

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()
        client()
        data = self._get_session(no_load=must_create)
        user_id = str(data.get(SESSION_KEY) or "")
        done = _scripts["save"](
            client=client(),
            keys=[session_key_name(self.session_key), index_key_name(user_id)],
            args=[
                self.encode(data),
                self._ttl(data),
                "NX" if must_create else "XX",
                self.session_key if user_id else "",
                _index_ttl(),
            ],
        )
        if not done:
            raise CreateError if must_create else UpdateError

    def cycle_key(self):
        """A new key for the same data (login, second step). A session ended meanwhile is not brought back."""
        data = self._session
        old = self.session_key
        user_id = str(data.get(SESSION_KEY) or "")
        if not user_id or not old:
            return (
                super().cycle_key()
            )  # before anyone is logged in: Django's (create a new key, delete the old)
        client()
        for _ in range(100):
            new = self._new_key()
            done = _scripts["cycle"](
                client=client(),
                keys=[session_key_name(old), session_key_name(new), index_key_name(user_id)],
                args=[self.encode(data), self._ttl(data), old, new, _index_ttl()],
            )
            if done == 1:
                self._session_key = new
                self._session_cache = data
                self.modified = True
                return
            if done == 0:
                raise SuspiciousOperation("The session was ended during the request.")
        raise RuntimeError("Unable to create a new session key.")

    def flush(self):
        user_id = self._session.get(SESSION_KEY)
        key = self.session_key
        self.clear()
        if key:
            self._delete(key, user_id)
        self._session_key = None

    def delete(self, session_key=None):
        if session_key is None:
            session_key = self.session_key
            if not session_key:
                return
        user_id = (self._session_cache or {}).get(SESSION_KEY) if session_key == self.session_key else None
        self._delete(session_key, user_id)

    @staticmethod
    def _delete(session_key: str, user_id) -> None:
        pipe = client().pipeline(transaction=False)
        pipe.delete(session_key_name(session_key))
        if user_id:
            pipe.srem(index_key_name(user_id), session_key)
        pipe.execute()

    @classmethod
    def clear_expired(cls):
        pass  # Redis drops expired sessions by their TTL; stale index entries are removed when read

    # ------------------------------------------------------------------------------------- the per-user index
    @classmethod
    def sessions_of(cls, user_id) -> list[tuple[str, dict]]:
        """The user's live sessions as (key, data); index entries of sessions that are gone are removed."""
        conn = client()
        keys = sorted(k.decode("ascii") for k in conn.smembers(index_key_name(user_id)))
        if not keys:
            return []
        store, found, gone = cls(), [], []
        for key, raw in zip(keys, conn.mget([session_key_name(k) for k in keys]), strict=True):
            data = store.decode(raw.decode("ascii")) if raw is not None else {}
            if data and str(data.get(SESSION_KEY)) == str(user_id):
                found.append((key, data))
            else:
                gone.append(key)
        if gone:
            conn.srem(index_key_name(user_id), *gone)
        return found

    @classmethod
    def sessions_end(cls, user_id, *, keys=None, keep: str | None = None) -> int:
        """End the user's sessions (all, or only `keys`), except `keep`; keys not in the user's index are ignored."""
        conn = client()
        own = {k.decode("ascii") for k in conn.smembers(index_key_name(user_id))}
        targets = own if keys is None else own & set(keys)
        targets.discard(keep)
        if not targets:
            return 0
        pipe = conn.pipeline(transaction=False)
        for key in sorted(targets):
            pipe.delete(session_key_name(key))
        pipe.srem(index_key_name(user_id), *targets)
        return sum(pipe.execute()[:-1])


def _index_ttl() -> int:
    return int(max(settings.SESSION_COOKIE_AGE, settings.SESSION_ABSOLUTE_LIFETIME))
