"""Remove audit events and access-log rows older than AUDIT_RETENTION_DAYS (at least two years, NEN 7513)."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import AuditEvent
from dossier.models import AccessLog


class Command(BaseCommand):
    help = (
        "Delete audit events and access-log rows older than the configured retention (AUDIT_RETENTION_DAYS)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run=False, **options):
        cutoff = timezone.now() - timedelta(days=max(730, settings.AUDIT_RETENTION_DAYS))
        events = AuditEvent.objects.filter(at__lt=cutoff)
        logs = AccessLog.objects.filter(at__lt=cutoff)
        counts = (events.count(), logs.count())
        if not dry_run:
            # QuerySet.delete bypasses the rows' own append-only guard: this command is the only deleter.
            events._raw_delete(events.db)
            logs._raw_delete(logs.db)
        verb = "would remove" if dry_run else "removed"
        self.stdout.write(
            f"{verb} {counts[0]} audit event(s) and {counts[1]} access-log row(s) before {cutoff:%Y-%m-%d}"
        )
