"""The password step asks the login limit ahead and reads the account while the answer is on its way (issue 18):
accounts.lockout.PendingAttempt, accounts.selectors.login_candidate, accounts.backends.EmailBackend. The rules stay:
the verdict is read, and an allowed attempt counted, before any password check; an unknown email costs a hash."""

import os

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import backends, lockout, selectors
from accounts.models import User

pytestmark = pytest.mark.django_db
REDIS = bool(os.environ.get("REDIS_URL"))
redis_only = pytest.mark.skipif(not REDIS, reason="the attempt is sent ahead only to Redis (REDIS_URL)")


def _count(email: str) -> int:
    return int(cache.get(lockout._keys(email)[0]) or 0)  # noqa: SLF001


@pytest.fixture(autouse=True)
def _clean_limits():
    cache.clear()
    yield
    cache.clear()


def test_a_pending_attempt_gives_the_verdict_of_attempt_and_counts_once():
    for n in range(lockout.FREE_FAILURES):
        assert lockout.PendingAttempt(email="a@example.nl", ip="198.51.100.1").verdict().allowed
        lockout.record_failure(email="a@example.nl")
        assert _count("a@example.nl") == n + 1
    refused = lockout.PendingAttempt(email="a@example.nl", ip="198.51.100.1")
    verdict = refused.verdict()
    assert not verdict.allowed and verdict.retry_at is not None
    assert refused.verdict() is verdict  # read once
    assert _count("a@example.nl") == lockout.FREE_FAILURES  # a refused attempt is not counted


@redis_only
def test_an_abandoned_answer_goes_with_its_connection_and_the_next_command_gets_its_own():
    pending = lockout.PendingAttempt(email="b@example.nl", ip="198.51.100.2")
    assert pending._conn is not None  # noqa: SLF001 - sent ahead
    pending.abandon()
    cache.set("lockout-test-key", "mine")
    assert cache.get("lockout-test-key") == "mine"  # not the attempt's unread answer
    assert _count("b@example.nl") == 1  # the script ran: the attempt counts, as a verdict read would have


@redis_only
def test_a_redis_that_lost_its_scripts_still_counts_the_attempt_once():
    lockout._redis().script_flush()  # noqa: SLF001 - as after a restart
    assert lockout.PendingAttempt(email="c@example.nl", ip="198.51.100.3").verdict().allowed
    assert _count("c@example.nl") == 1


@redis_only
def test_a_redis_that_is_down_fails_open_loudly(monkeypatch, caplog):
    client = lockout._redis()  # noqa: SLF001

    def down(*args, **kwargs):
        raise ConnectionError("down")

    monkeypatch.setattr(client.connection_pool, "get_connection", down)
    monkeypatch.setattr(lockout, "_redis", lambda: None)  # and the cache API's way fails too
    monkeypatch.setattr(lockout, "_attempt_cache", down)
    try:
        assert lockout.PendingAttempt(email="d@example.nl", ip="198.51.100.4").verdict().allowed
        assert "Login limits unavailable" in caplog.text
    finally:
        monkeypatch.undo()  # before the cache is cleared for the next test


def test_the_password_step_reads_the_account_once(client, user, password):
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/accounts/login/", {"username": user.email.upper(), "password": password})
    assert response.status_code == 302
    reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT") and '"accounts_user"' in q["sql"]]
    assert len(reads) == 1


def test_a_refused_attempt_checks_no_password(client, user, password, monkeypatch):
    for _ in range(lockout.FREE_FAILURES):
        client.post("/accounts/login/", {"username": user.email, "password": "fout-wachtwoord-x"})
    monkeypatch.setattr(User, "check_password", lambda *a: pytest.fail("a limited attempt must not be checked"))
    assert client.post("/accounts/login/", {"username": user.email, "password": password}).status_code == 429


def test_an_unknown_email_still_costs_one_hash(client, monkeypatch):
    hashed = []
    real = User.set_password
    monkeypatch.setattr(User, "set_password", lambda self, raw: hashed.append(raw) or real(self, raw))
    response = client.post("/accounts/login/", {"username": "niemand@example.nl", "password": "iets-geheims-1"})
    assert response.status_code == 200
    assert hashed == ["iets-geheims-1"]


def test_the_row_read_ahead_counts_only_for_its_own_email(user, password, user_factory):
    other = user_factory()
    token = backends.login_candidate.set(selectors.login_candidate(other.email))
    try:
        assert backends.EmailBackend().authenticate(None, username=user.email, password=password) == user
        assert backends.EmailBackend().authenticate(None, username=other.email, password=password) == other
    finally:
        backends.login_candidate.reset(token)


def test_what_no_account_can_have_is_not_read_and_the_form_refuses_it(client):
    assert selectors.login_candidate("\x00") is None and selectors.login_candidate("geen-adres") is None
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/accounts/login/", {"username": "\x00", "password": "iets"})
    assert response.status_code == 200
    assert not [q for q in ctx.captured_queries if '"accounts_user"' in q["sql"]]
