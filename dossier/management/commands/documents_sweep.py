"""Remove stored document files that no row refers to (left by a crash between storing a file and committing), and
the dossier exports past their 24 hours (the worker does that too, this catches a stopped worker).

After a database restore the store still holds the uploads made after the dump, and no row refers to them any more.
Those are never deleted here. An unreferenced file older than --min-age-minutes but newer than the newest document
the database knows (plus a margin) is what a restore leaves, not a crash: the sweep then writes a hold into the store
and deletes no document file, this run or any later one, until an operator has looked (--dry-run lists the files)
and runs --release-hold. The hold lives in the store because the database forgot: after the first new upload the
lost files are older than the newest document, and nothing in the database would tell them from a crash's leftovers.
"""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db.models import Max
from django.utils import timezone

from dossier.exports import export_expire_due, export_files_in_use
from dossier.models import Document, Response, documents_storage

EXPORTS = "exports"
HOLD = ".sweep-hold"  # a file at the top of the store: the sweep looks only inside the folders
# The object store's clock against the app servers', and a file stored a little before its row commits.
RESTORE_MARGIN = timedelta(minutes=10)


def _newest_document_at():
    """When the newest file the database refers to was stored (documents and response attachments), or None."""
    times = [
        Document.objects.aggregate(at=Max("uploaded_at"))["at"],
        Response.objects.exclude(file="").aggregate(at=Max("at"))["at"],
    ]
    return max((t for t in times if t is not None), default=None)


class Command(BaseCommand):
    help = (
        "Delete document and export files older than --min-age-minutes that have no row, and expired dossier "
        "exports (dry run with --dry-run). Files newer than the newest document (a restore) put a hold on "
        "deleting documents until --release-hold."
    )

    def add_arguments(self, parser):
        parser.add_argument("--min-age-minutes", type=int, default=60)
        parser.add_argument("--dry-run", action="store_true", help="List what would be removed or held.")
        parser.add_argument(
            "--release-hold",
            action="store_true",
            help="Remove the hold (after a restore has been dealt with).",
        )

    def handle(self, *args, min_age_minutes=60, dry_run=False, release_hold=False, **options):
        storage = documents_storage()
        if release_hold:
            if storage.exists(HOLD):
                storage.delete(HOLD)
            self.stdout.write("hold released: the next sweep deletes unreferenced files again")
            return
        cutoff = timezone.now() - timedelta(minutes=min_age_minutes)
        known = set(Document.objects.values_list("file", flat=True))
        known |= set(Response.objects.exclude(file="").values_list("file", flat=True))
        known |= export_files_in_use()
        newest = _newest_document_at()
        expired = 0 if dry_run else export_expire_due()
        unreferenced, after_newest = [], []
        folders, _ = storage.listdir("")
        for folder in folders:
            for name in storage.listdir(folder)[1]:
                path = f"{folder}/{name}"
                if path in known:
                    continue
                modified = storage.get_modified_time(path)
                if modified > cutoff:
                    continue
                unreferenced.append(path)
                if folder != EXPORTS and (newest is None or modified > newest + RESTORE_MARGIN):
                    after_newest.append(path)
        hold = storage.exists(HOLD)
        if after_newest and not hold and not dry_run:
            note = f"{timezone.now():%Y-%m-%d %H:%M %Z}: {len(after_newest)} unreferenced file(s) after the newest\n"
            storage.save(HOLD, ContentFile(note.encode()))
        hold = hold or bool(after_newest)  # in a dry run: what a real run would do
        # Held: only unreferenced exports go (their rows have a lifetime of their own); every document file stays.
        removable = [p for p in unreferenced if not hold or p.startswith(f"{EXPORTS}/")]
        kept = [p for p in unreferenced if p not in removable]
        for path in removable:
            if dry_run:
                self.stdout.write(f"would remove {path}")
            else:
                storage.delete(path)
        if dry_run:
            for path in kept:
                self.stdout.write(f"would keep {path}")
        self.stdout.write(f"{'would remove' if dry_run else 'removed'} {len(removable)} unreferenced file(s)")
        if hold:
            self.stderr.write(
                f"HOLD: {len(kept)} unreferenced document file(s) kept: the store held files newer than the newest "
                "document the database knew (a restore?). List them with --dry-run, upload again what belongs to "
                "a dossier (the folder is the employee's id), then run --release-hold."
            )
        if not dry_run:
            self.stdout.write(f"expired {expired} dossier export(s)")
