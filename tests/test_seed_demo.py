"""`seed_demo`: demo logins for `make run`, refused with DEBUG off."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from dossier.demo import DEMO_PASSWORD
from dossier.models import Document, Employment

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert User.objects.count() == 0


def test_seed_demo_creates_an_employer_hr_and_two_employees_once(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.count() == 7
    assert (
        User.objects.filter(is_staff=True, groups__name="Werkgever HR").count() == 2
    )  # one HR user per employer
    employees = User.objects.filter(is_staff=False)
    assert employees.count() == 3
    assert all(u.birth_date and u.mobile and u.check_password(DEMO_PASSWORD) for u in employees)
    assert Employment.objects.values("employer").distinct().count() == 2
    assert Document.objects.count() == 12  # seeded once, not twice
    assert Document.objects.filter(is_medical=True).count() == 3
    assert Document.objects.values("category").distinct().count() == 4
    out = capsys.readouterr().out
    assert "jan.jansen@example.nl" in out and DEMO_PASSWORD in out


def test_seed_demo_gives_each_employee_a_plan_to_answer_and_an_upcoming_appointment(settings):
    from django.utils import timezone

    from dossier.models import Appointment, Traject

    settings.DEBUG = True
    call_command("seed_demo")
    jan = User.objects.get(email="jan.jansen@example.nl")
    plan = Document.objects.get(employee=jan, category="plan_van_aanpak")
    assert plan.action_needed_before and plan.note
    appointment = Appointment.objects.get(employee=jan)
    assert (
        appointment.starts_at > timezone.now() and appointment.document.category == "uitnodiging_bedrijfsarts"
    )
    traject = Traject.objects.get(employee=jan)
    assert traject.case_manager.email == "casemanager@arbodienst.nl"
    assert traject.company_doctor.email == "bedrijfsarts@arbodienst.nl"


def test_seed_demo_writes_an_import_example_that_hr_can_import(settings, capsys, tmp_path):
    """Issue 11: the example file HR imports on `make run` passes the import's own checks."""
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    example = tmp_path / "demo" / "medewerkers-import.csv"
    assert "medewerkers-import.csv" in capsys.readouterr().out

    from dossier.imports import EmployeeCSV, EmployeeImportResource
    from dossier.models import Employer

    hr = User.objects.get(email="hr@bakkerij-demo.nl")
    employer = Employer.objects.get(name="Bakkerij De Demo B.V.")
    dataset = EmployeeCSV().create_dataset(example.read_bytes())
    result = EmployeeImportResource(actor=hr, employer=employer, ip="127.0.0.1").import_data(
        dataset, dry_run=True
    )
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 3


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_demo_employee_can_download_the_dossier(settings, language, tmp_path):
    """Issue 31: "Download mijn dossier" on what `make run` seeds (documents sent by staff, whose role label is a
    translation): the archive is written and its dossier.json passes the export's own schema."""
    import json
    import zipfile

    import jsonschema
    from django.utils import translation

    from dossier.exports import SCHEMA_PATH, export_write_zip

    settings.DEBUG = True
    call_command("seed_demo")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    for employee in User.objects.filter(is_staff=False):
        with translation.override(language), open(tmp_path / f"{employee.pk}.zip", "wb") as out:
            problems = export_write_zip(user=employee, out=out)
        assert problems == []
        with zipfile.ZipFile(tmp_path / f"{employee.pk}.zip") as zf:
            data = json.loads(zf.read("dossier.json"))
        jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)
        roles = {d["uploaded_by_role"] for d in data["documents"]}
        assert roles and None not in roles, (
            roles
        )  # the demo's documents have senders, labelled in the language
