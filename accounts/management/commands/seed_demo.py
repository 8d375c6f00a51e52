"""Demo data for `make run`: an employer's HR user and two employees. Refuses to run with DEBUG off."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User

DEMO_PASSWORD = "demo-wachtwoord-2026"

DEMO_USERS = [
    {
        "email": "hr@bakkerij-demo.nl",
        "first_name": "Hanna",
        "last_name": "de Vries",
        "birth_date": datetime.date(1979, 3, 14),
        "mobile": "+31612345670",
        "is_staff": True,
    },
    {
        "email": "jan.jansen@example.nl",
        "first_name": "Jan",
        "last_name": "Jansen",
        "birth_date": datetime.date(1985, 7, 4),
        "mobile": "+31612345678",
        "language": "nl",
    },
    {
        "email": "emma.smith@example.nl",
        "first_name": "Emma",
        "last_name": "Smith",
        "birth_date": datetime.date(1990, 11, 23),
        "mobile": "+31687654321",
        "language": "en",
    },
]


class Command(BaseCommand):
    help = "Create demo users (DEBUG only) and print their logins."

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates accounts with a known password and only runs with DEBUG on."
            )
        from dossier.services import demo_dossier_seed

        for data in DEMO_USERS:
            user = User.objects.filter(email=data["email"]).first()
            if user is None:
                user = User.objects.create_user(password=DEMO_PASSWORD, **data)
            demo_dossier_seed(user=user)
        self.stdout.write(f"Demo logins (password for each: {DEMO_PASSWORD}):")
        for data in DEMO_USERS:
            role = "HR, Web Portaal" if data.get("is_staff") else "employee"
            self.stdout.write(f"  {data['email']:<28} {role:<16} born {data['birth_date']:%d-%m-%Y}")
