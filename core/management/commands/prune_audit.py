"""Remove rows of every append-only log (audit events, the access log, ...) older than AUDIT_RETENTION_DAYS (at
least two years, NEN 7513). The logs are found by their base class and `is_log`, so core needs to know no app above
it; append-only dossier content (an employee's responses) is not a log and is never pruned here."""

from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from core.models import AppendOnlyModel


def append_only_logs() -> list:
    """The logs only: append-only models that say `is_log`. Dossier content (responses) is never pruned here."""
    return [
        m for m in apps.get_models() if issubclass(m, AppendOnlyModel) and m.is_log and not m._meta.abstract
    ]


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
                # QuerySet.delete() does not call each row's delete() (the append-only guard): this command is the
                # only deleter.
                old.delete()
        verb = "would remove" if dry_run else "removed"
        self.stdout.write(f"{verb} {', '.join(counts)} before {cutoff:%Y-%m-%d}")
