"""The mail worker's heartbeat file: what its container health check reads (deploy/compose.yaml)."""

import os
import time

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_send_notifications_touches_its_heartbeat_after_a_poll(tmp_path):
    beat = tmp_path / "heartbeat"
    call_command("send_notifications", heartbeat=str(beat))
    assert beat.exists() and time.time() - os.path.getmtime(beat) < 60


def test_without_the_option_no_file_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    call_command("send_notifications")
    assert list(tmp_path.iterdir()) == []
