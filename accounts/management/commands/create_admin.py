"""Create a provider administrator and print a one-time link to set the password (never a password argument)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import User


class Command(BaseCommand):
    help = (
        "Create a Web Portaal administrator (staff and superuser) without a password and print a one-time link "
        "to set it. With --new-link: a fresh link for an administrator who has not set a password yet."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--new-link", action="store_true", help="only a new link for an existing administrator"
        )

    def handle(self, *args, email, first_name, last_name, new_link=False, **options):
        email = User.objects.normalize_email(email.strip())
        existing = User.objects.filter(email__iexact=email).first()
        if new_link:
            if existing is None:
                raise CommandError(f"No user with the address {email}.")
            try:
                link = services.admin_password_link(user=existing)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        else:
            if existing is not None:
                raise CommandError(f"{email} already has an account (use --new-link for a new link).")
            try:
                _, link = services.admin_create_with_link(
                    email=email, first_name=first_name, last_name=last_name
                )
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
        minutes = settings.PASSWORD_RESET_TIMEOUT // 60
        self.stdout.write(
            f"Administrator {email}: open this link within {minutes} minutes to set the password (it works once).\n"
            f"{link}\n"
            "Then log in and set up the second factor; the Web Portaal is at /admin/."
        )
