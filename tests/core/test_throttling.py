"""Shared counters and the trusted client address."""

import time

import pytest
import time_machine
from django.test import RequestFactory

from core import throttling


def test_hit_allows_up_to_the_limit_then_refuses():
    verdicts = [throttling.hit("t", "a@example.nl", limit=3, period=60) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert 1 <= verdicts[-1].retry_after <= 60


def test_hit_counts_each_identifier_apart():
    for _ in range(3):
        throttling.hit("t", "a@example.nl", limit=3, period=60)
    assert throttling.hit("t", "b@example.nl", limit=3, period=60).allowed


def test_hit_window_resets_after_the_period():
    start = (time.time() // 60 + 1) * 60 + 1
    with time_machine.travel(start, tick=False):
        for _ in range(4):
            throttling.hit("t", "a", limit=3, period=60)
        assert not throttling.peek("t", "a", limit=3, period=60).allowed
    with time_machine.travel(start + 61, tick=False):  # just after the boundary the last minute still counts
        assert not throttling.hit("t", "a", limit=3, period=60).allowed
    with time_machine.travel(start + 121, tick=False):
        assert throttling.hit("t", "a", limit=3, period=60).allowed


def test_hit_does_not_let_twice_the_limit_through_around_a_window_boundary():
    start = (time.time() // 60 + 1) * 60
    allowed = 0
    for second in (50, 52, 54, 56, 58, 60.5, 62, 64, 66, 68):
        with time_machine.travel(start + second, tick=False):
            allowed += throttling.hit("t", "b", limit=5, period=60).allowed
    assert allowed == 5


def test_cache_keys_hold_no_clear_text_identifier(settings):
    key = throttling._key("reset-email", "jan@example.nl", 1)
    assert "jan" not in key and "example" not in key


@pytest.mark.parametrize(
    "proxies, forwarded, expected",
    [
        (0, "203.0.113.9", "10.0.0.1"),  # no proxy configured: the header is ignored
        (1, "203.0.113.9", "203.0.113.9"),  # our proxy appended the client
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the client's own forged entry is ignored
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.5", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.1"),  # fewer entries than proxies: fall back to the socket
    ],
)
def test_client_ip_trusts_only_configured_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    settings.TRUSTED_PROXY_IPS = ["10.0.0.0/24"]
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert throttling.client_ip(request) == expected


@pytest.mark.parametrize(
    "allowed, remote, expected",
    [
        (["10.0.0.0/24"], "10.0.0.1", "203.0.113.9"),  # from our proxy's network
        (["10.0.0.5"], "10.0.0.1", "10.0.0.1"),  # another host on the network, straight to port 8000
        (["127.0.0.1", "::1"], "198.51.100.7", "198.51.100.7"),  # the default: a direct client forges nothing
        (["*"], "198.51.100.7", "203.0.113.9"),  # "*": only when port 8000 is reachable by the proxy alone
        (["not-an-address"], "10.0.0.1", "10.0.0.1"),
    ],
)
def test_client_ip_reads_forwarded_for_only_from_a_trusted_proxy_address(settings, allowed, remote, expected):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_IPS = allowed
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert throttling.client_ip(request) == expected
