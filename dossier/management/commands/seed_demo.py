"""Demo data for `make run`: employers, HR per employer, provider staff, employees with documents. DEBUG only."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dossier import demo


class Command(BaseCommand):
    help = "Create the demo employers, users and documents (DEBUG only) and print the demo logins."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates accounts with a known password and only runs with DEBUG on."
            )
        lines = demo.seed()
        self.stdout.write(f"Demo logins (password for each: {demo.DEMO_PASSWORD}):")
        for email, role, birth in lines:
            self.stdout.write(f"  {email:<30} {role:<24} born {birth}")
        self.stdout.write("Staff log in to the Web Portaal at /admin/ (also with a second factor).")
        example = Path(settings.VAR_DIR) / "demo" / "medewerkers-import.csv"
        example.parent.mkdir(parents=True, exist_ok=True)
        example.write_text(demo.import_example_csv(), encoding="utf-8")
        self.stdout.write(
            f"HR's bulk import: log in as hr@bakkerij-demo.nl, Gebruikers > Importeren, file {example}."
        )
