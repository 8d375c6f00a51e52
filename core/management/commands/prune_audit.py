"""Remove rows of every append-only log (audit events, the access log, ...) older than AUDIT_RETENTION_DAYS (at
least two years, NEN 7513). The logs are found by their base class, so core needs to know no app above it."""

from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from core.models import AppendOnlyModel


def append_only_logs() -> list:
    return [m for m in apps.get_models() if issubclass(m, AppendOnlyModel) and not m._meta.abstract]


class Command(BaseCommand):
    help = "Delete rows of the append-only logs older than the configured retention (AUDIT_RETENTION_DAYS)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run=False, **options):
        cutoff = timezone.now() - timedelta(days=max(730, settings.AUDIT_RETENTION_DAYS))
        counts = []
        for model in append_only_logs():
            old = model.objects.filter(at__lt=cutoff)
            counts.append(f"{old.count()} {model._meta.verbose_name_plural}")
            if not dry_run:
                # QuerySet.delete bypasses the rows' own append-only guard: this command is the only deleter.
                old._raw_delete(old.db)
        verb = "would remove" if dry_run else "removed"
        self.stdout.write(f"{verb} {', '.join(counts)} before {cutoff:%Y-%m-%d}")
