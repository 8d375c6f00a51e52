"""The session engines' per-user view (database without Redis, Redis with it): listing and ending sessions.

The same tests run on both stacks: `make test` (SQLite, database sessions) and with DATABASE_URL + REDIS_URL
(PostgreSQL, Redis sessions with the per-user index).
"""

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.test import Client

from accounts.selectors import session_keys_of, session_store_class
from accounts.services import user_sessions_end
from tests.session_state import session_exists

pytestmark = pytest.mark.django_db

REDIS = settings.SESSION_ENGINE == "accounts.sessions_redis"


def _browser(user, password) -> Client:
    browser = Client()
    response = browser.post("/accounts/login/", {"username": user.email, "password": password})
    assert response.status_code == 302, response
    return browser


def _key(browser: Client) -> str:
    return browser.cookies["sessionid"].value


def test_sessions_of_lists_exactly_the_users_live_sessions(user, user_factory, password):
    other = user_factory(email="piet@example.nl")
    first, second = _browser(user, password), _browser(user, password)
    _browser(other, password)
    assert sorted(session_keys_of(user=user)) == sorted([_key(first), _key(second)])
    (key, data) = next((k, d) for k, d in session_store_class().sessions_of(user.pk) if k == _key(first))
    assert data["_auth_user_id"] == str(user.pk) and key == _key(first)


def test_ending_all_but_one_keeps_exactly_that_one(user, password):
    keep, gone = _browser(user, password), _browser(user, password)
    kept = keep.session
    assert user_sessions_end(user=user, keep=kept) == 1
    kept.save()  # as the request's session is saved with its response
    assert session_keys_of(user=user) == [_key(keep)]
    assert not session_exists(_key(gone)) and session_exists(_key(keep))
    assert "_auth_user_id" not in gone.session
    assert keep.get("/twofactor/").status_code == 302 and "_auth_user_id" in keep.session


def test_ending_all_sessions_holds_when_the_store_lost_its_per_user_index(user, password, monkeypatch):
    """As after Redis evicted the index while the sessions lived on: the user row's session generation still
    ends every session at its next request, whatever the store finds."""
    keep, gone = _browser(user, password), _browser(user, password)
    monkeypatch.setattr(session_store_class(), "sessions_end", classmethod(lambda cls, *a, **k: 0))
    kept = keep.session
    user_sessions_end(user=user, keep=kept)
    kept.save()
    assert session_exists(_key(gone))  # the store still has it
    answer = gone.get("/twofactor/")
    assert answer.status_code == 302 and "reason=ended" in answer["Location"]
    assert "_auth_user_id" not in gone.session
    assert keep.get("/twofactor/").status_code == 302 and "_auth_user_id" in keep.session


def test_ending_chosen_keys_ends_only_those(user, password):
    a, b, c = (_browser(user, password) for _ in range(3))
    assert user_sessions_end(user=user, only=[_key(b)]) == 1
    assert sorted(session_keys_of(user=user)) == sorted([_key(a), _key(c)])


def test_a_session_key_of_another_user_ends_nothing(user, user_factory, password):
    victim = user_factory(email="piet@example.nl")
    theirs = _browser(victim, password)
    _browser(user, password)
    assert user_sessions_end(user=user, only=[_key(theirs)]) == 0
    assert session_exists(_key(theirs)) and session_keys_of(user=victim) == [_key(theirs)]


def test_logout_removes_the_session_from_the_users_list(user, password):
    browser = _browser(user, password)
    browser.post("/accounts/logout/")
    assert session_keys_of(user=user) == []


def test_a_request_still_running_on_an_ended_session_cannot_write_it_back(user, password):
    browser = _browser(user, password)
    store = session_store_class()(_key(browser))
    store["touched"] = True
    user_sessions_end(user=user)
    with pytest.raises(UpdateError):
        store.save()
    assert not session_exists(_key(browser)) and session_keys_of(user=user) == []


@pytest.mark.skipif(not REDIS, reason="the Redis engine only (REDIS_URL)")
def test_redis_a_key_rotation_of_an_ended_session_does_not_bring_it_back(user, password):
    from django.core.exceptions import SuspiciousOperation

    browser = _browser(user, password)
    store = session_store_class()(_key(browser))
    assert store.get("_auth_user_id") == str(user.pk)  # read at the start of the request
    user_sessions_end(user=user)
    with pytest.raises(SuspiciousOperation):
        store.cycle_key()
    assert session_keys_of(user=user) == []


@pytest.mark.skipif(not REDIS, reason="the Redis engine only (REDIS_URL)")
def test_redis_a_logged_in_session_leaves_redis_soon_after_its_idle_timeout(verified_client):
    from accounts import sessions_redis

    ttl = sessions_redis.client().ttl(sessions_redis.session_key_name(_key(verified_client)))
    assert 0 < ttl <= settings.SESSION_IDLE_TIMEOUT + 120


@pytest.mark.skipif(not REDIS, reason="the Redis engine only (REDIS_URL)")
def test_redis_index_entries_of_expired_sessions_are_dropped_when_read(user, password):
    from accounts import sessions_redis

    browser = _browser(user, password)
    sessions_redis.client().delete(sessions_redis.session_key_name(_key(browser)))  # as Redis does at the TTL
    assert session_keys_of(user=user) == []
    assert not sessions_redis.client().smembers(sessions_redis.index_key_name(user.pk))


@pytest.mark.skipif(not REDIS, reason="the Redis engine only (REDIS_URL)")
def test_redis_the_password_step_replaces_the_visitors_session(user, password):
    """Session fixation: the key a visitor had before the password step is gone afterwards and never holds the
    user; the new key carries the visitor's data and is in the user's index."""
    browser = Client()
    browser.get("/accounts/login/")
    store = session_store_class()()
    store["visitor"] = "before"  # a session the visitor already had (a language choice, a next link)
    store.save()
    browser.cookies["sessionid"] = before = store.session_key
    response = browser.post("/accounts/login/", {"username": user.email, "password": password})
    assert response.status_code == 302
    after = _key(browser)
    assert after != before and not session_exists(before)
    data = session_store_class()(after).load()
    assert data["_auth_user_id"] == str(user.pk) and data["visitor"] == "before"
    assert session_keys_of(user=user) == [after]


@pytest.mark.skipif(not REDIS, reason="the Redis engine only (REDIS_URL)")
def test_redis_a_rotation_before_login_moves_the_data_and_a_flush_removes_it():
    old = session_store_class()()
    old["a"] = 1
    old.save()
    store = session_store_class()(old.session_key)
    store.cycle_key()
    new = store.session_key
    assert new != old.session_key and not session_exists(old.session_key)
    assert session_store_class()(new).load() == {"a": 1}
    store.flush()
    assert not session_exists(new) and store.session_key is None


@pytest.mark.skipif(not REDIS, reason="the Redis engine only (REDIS_URL)")
def test_redis_two_deployments_on_one_redis_database_never_share_a_session(user, password, settings):
    """Each portal's keys carry its own prefix (CACHE_KEY_PREFIX): the same session key and the same user id mean
    nothing to the other deployment."""
    browser = _browser(user, password)
    key = _key(browser)
    assert session_exists(key) and session_keys_of(user=user) == [key]
    settings.CACHE_KEY_PREFIX = "another-portal"
    assert not session_exists(key) and session_keys_of(user=user) == []
    assert session_store_class()(key).load() == {}
