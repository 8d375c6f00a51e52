"""Bench users for load tests: employees with one known password and a known TOTP secret each. DEBUG only.

`python manage.py bench_users --count 400 [--documents 20] [--prefix bench] [--clear]` creates employees
`<prefix><i>@bench.test` (i = 0 .. count-1), all with the password BENCH_PASSWORD (hashed once, the same hash on
every row), a confirmed authenticator app whose secret is bench_secret(prefix, i), an employment at one bench
employer, and `--documents` documents each. Every document row points at ONE small PDF stored once in the
documents storage; no notification mail is queued. `--clear` first removes earlier users of the same prefix with
their documents, devices, employments, sessions and access log rows.

The password, the email and the TOTP secret of user i come from devtools/bench_identity.py, which imports no Django
(the bench scripts compute the same codes with pyotp); the models are imported inside the functions that need them,
so the bench scripts can import bench_create() before Django is set up. The app `devtools` is installed with DEBUG
only (portal/settings/base.py), and the command refuses to run with DEBUG off as well.
"""

import base64
import hashlib
import re

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from devtools.bench_identity import BENCH_DOMAIN, BENCH_PASSWORD, bench_email, bench_secret

__all__ = ["BENCH_PASSWORD", "bench_clear", "bench_create", "bench_email", "bench_file_name", "bench_secret"]

BATCH = 1000
_PREFIX_RE = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")


def bench_employer_name(prefix: str) -> str:
    return f"Bench B.V. ({prefix})"


def bench_file_name(prefix: str) -> str:
    """Where the one shared PDF of this prefix is stored in the documents storage."""
    return f"bench/{prefix}.pdf"


def _bench_users(prefix: str):
    from accounts.models import User

    return User.objects.filter(email__regex=rf"^{re.escape(prefix)}[0-9]+@{re.escape(BENCH_DOMAIN)}$")


@transaction.atomic
def bench_clear(*, prefix: str) -> int:
    """Remove the bench users of `prefix`, all that points at them, and the shared file; returns users removed."""
    from dossier.models import AccessLog, Document, Employer, documents_storage

    users = _bench_users(prefix)
    count = users.count()
    # Access log rows and documents protect their employee; both go first (bench data only).
    AccessLog.objects.filter(subject__in=users).delete()
    Document.objects.filter(employee__in=users).delete()
    users.delete()  # devices, employments, trajects, sessions cascade
    name = bench_file_name(prefix)
    storage = documents_storage()
    if not Document.objects.filter(file=name).exists() and storage.exists(name):
        storage.delete(name)
    Employer.objects.filter(name=bench_employer_name(prefix), employments__isnull=True).delete()
    return count


def bench_create(*, prefix: str, count: int, documents: int) -> None:
    """Create the users, devices, employments and documents in bulk (one transaction; the file is stored first)."""
    from django.contrib.auth.hashers import make_password
    from django.core.files.base import ContentFile
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from dossier.demo import demo_pdf
    from dossier.models import Document, Employer, Employment, documents_storage

    emails = [bench_email(prefix, i) for i in range(count)]
    if User.objects.filter(email__in=emails).exists():
        raise CommandError(
            f"Bench users with the prefix {prefix!r} exist already: add --clear to replace them."
        )

    content = demo_pdf("Bench")
    storage = documents_storage()
    file_name = bench_file_name(prefix)
    if not storage.exists(file_name):
        file_name = storage.save(file_name, ContentFile(content))
    digest = hashlib.sha256(content).hexdigest()
    categories = [choice.value for choice in Document.Category]

    with transaction.atomic():
        employer, _ = Employer.objects.get_or_create(name=bench_employer_name(prefix))
        password_hash = make_password(BENCH_PASSWORD)  # once: argon2 is slow on purpose
        User.objects.bulk_create(
            [
                User(email=email, first_name="Bench", last_name=str(i), password=password_hash, language="nl")
                for i, email in enumerate(emails)
            ],
            batch_size=BATCH,
        )
        users = dict(User.objects.filter(email__in=emails).values_list("email", "pk"))
        user_ids = [users[email] for email in emails]
        Employment.objects.bulk_create(
            [
                Employment(user_id=pk, employer=employer, personnel_number=f"{prefix}{i}", job_title="Bench")
                for i, pk in enumerate(user_ids)
            ],
            batch_size=BATCH,
        )
        TOTPDevice.objects.bulk_create(
            [
                TOTPDevice(
                    user_id=pk,
                    name="app",
                    key=base64.b32decode(bench_secret(prefix, i)).hex(),
                    confirmed=True,
                    tolerance=1,
                )
                for i, pk in enumerate(user_ids)
            ],
            batch_size=BATCH,
        )
        Document.objects.bulk_create(
            (
                Document(
                    employee_id=pk,
                    category=categories[j % len(categories)],
                    title=f"Bench document {j + 1}",
                    file=file_name,
                    original_name=f"bench-{j + 1}.pdf",
                    content_type="application/pdf",
                    size=len(content),
                    sha256=digest,
                )
                for pk in user_ids
                for j in range(documents)
            ),
            batch_size=BATCH,
        )


class Command(BaseCommand):
    help = (
        "Create N bench employees <prefix><i>@bench.test with one known password, a known TOTP secret each and "
        "documents, for load tests (DEBUG only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="number of employees")
        parser.add_argument("--documents", type=int, default=20, help="documents per employee (default 20)")
        parser.add_argument("--prefix", default="bench", help="email prefix (default bench)")
        parser.add_argument(
            "--clear", action="store_true", help="remove earlier bench users of the prefix first"
        )

    def handle(self, *args, count, documents, prefix, clear, **options):
        if not settings.DEBUG:
            raise CommandError(
                "bench_users creates accounts with a known password and only runs with DEBUG on."
            )
        if count < 1 or documents < 0:
            raise CommandError("--count must be at least 1 and --documents at least 0.")
        if not _PREFIX_RE.match(prefix):
            raise CommandError(
                "--prefix: a lower-case letter, then letters, digits, '-' or '_' (at most 31)."
            )
        if clear:
            removed = bench_clear(prefix=prefix)
            self.stdout.write(f"Removed {removed} earlier bench user(s) with the prefix {prefix!r}.")
        bench_create(prefix=prefix, count=count, documents=documents)
        self.stdout.write(
            f"Created {count} bench employees {bench_email(prefix, 0)} .. {bench_email(prefix, count - 1)} "
            f"with {documents} document(s) each, at the employer {bench_employer_name(prefix)!r}."
        )
        self.stdout.write(f"Password of each: {BENCH_PASSWORD}")
        self.stdout.write(
            "TOTP secret of user i (an authenticator app, 6 digits, 30 s): "
            f"base32(sha256(f'{{prefix}}{{i}}')[:20]), e.g. {bench_email(prefix, 0)}: {bench_secret(prefix, 0)}; "
            "in Python: devtools.bench_identity.bench_secret(prefix, i)."
        )
