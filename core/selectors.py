"""Reads of the core app that other parts share (the metrics endpoint)."""

from datetime import datetime

from django.db.models import Count, Min
from django.utils import timezone

from core.models import OutgoingEmail


def outbox_backlog(*, now: datetime | None = None) -> tuple[int, float]:
    """Mails still waiting to be sent (postponed ones included), and the age in seconds of the oldest (0 for none)."""
    row = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING).aggregate(
        pending=Count("pk"), oldest=Min("created_at")
    )
    if row["oldest"] is None:
        return 0, 0.0
    return row["pending"], max(0.0, ((now or timezone.now()) - row["oldest"]).total_seconds())
