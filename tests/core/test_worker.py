"""core/worker.py: the jobs `send_notifications` runs after each outbox poll (issue 13: the dossier exports)."""

import pytest
from django.core.management import call_command

from core import worker

pytestmark = pytest.mark.django_db


def test_worker_jobs_run_after_the_outbox_and_a_failing_job_stops_nothing(monkeypatch, capsys):
    calls = []

    def broken():
        calls.append("broken")
        raise RuntimeError("storage down")

    def once():
        calls.append("once")
        return 1 if calls.count("once") == 1 else 0

    monkeypatch.setattr(worker, "_JOBS", {"broken": broken, "once": once})
    call_command("send_notifications")
    # A job that did something gets another poll at once; the failing one is logged and passed by each time.
    assert calls == ["broken", "once", "broken", "once"]
    assert "sent 0" in capsys.readouterr().out


def test_worker_the_dossier_app_registers_its_export_job():
    from dossier.exports import export_worker_job

    assert worker._JOBS["dossier_exports"] is export_worker_job
