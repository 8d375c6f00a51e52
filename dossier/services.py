"""Every write of the dossier app."""

from django.db import transaction

from dossier.models import Employer, Employment

DEMO_EMPLOYER = "Bakkerij De Demo B.V."


@transaction.atomic
def demo_dossier_seed(*, user) -> Employment:
    """Give a demo user a place at the demo employer (used by `seed_demo` only)."""
    employer, _ = Employer.objects.get_or_create(name=DEMO_EMPLOYER)
    employment, _ = Employment.objects.get_or_create(
        user=user,
        defaults={
            "employer": employer,
            "personnel_number": f"D{user.pk:05d}",
            "job_title": "HR-adviseur" if user.is_staff else "Bakker",
        },
    )
    return employment
