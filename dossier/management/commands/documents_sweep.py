"""Remove stored document files that no row refers to (left by a crash between storing a file and committing), and
the dossier exports past their 24 hours (the worker does that too, this catches a stopped worker)."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from dossier.exports import export_expire_due, export_files_in_use
from dossier.models import Document, Response, documents_storage

EXPORTS = "exports"


class Command(BaseCommand):
    help = (
        "Delete document and export files older than --min-age-minutes that have no row, and expired dossier "
        "exports (dry run with --dry-run)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--min-age-minutes", type=int, default=60)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, min_age_minutes=60, dry_run=False, **options):
        storage = documents_storage()
        cutoff = timezone.now() - timedelta(minutes=min_age_minutes)
        known = set(Document.objects.values_list("file", flat=True))
        known |= set(Response.objects.exclude(file="").values_list("file", flat=True))
        known |= export_files_in_use()
        expired = 0 if dry_run else export_expire_due()
        removed = 0
        folders, _ = storage.listdir("")
        for folder in folders:
            for name in storage.listdir(folder)[1]:
                path = f"{folder}/{name}"
                if path in known or storage.get_modified_time(path) > cutoff:
                    continue
                removed += 1
                if not dry_run:
                    storage.delete(path)
        self.stdout.write(f"{'would remove' if dry_run else 'removed'} {removed} unreferenced file(s)")
        if not dry_run:
            self.stdout.write(f"expired {expired} dossier export(s)")
