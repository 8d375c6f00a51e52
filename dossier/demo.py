"""Demo data for `make run` (DEBUG only): employers, staff in each role, employees with trajects and documents."""

import datetime
import zoneinfo

from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from dossier import page_cache, services
from dossier.appointments import appointment_save
from dossier.models import Appointment, Document, Employer, Employment, Traject
from dossier.roles import ensure_roles

DEMO_PASSWORD = "demo-wachtwoord-2026"

EMPLOYERS = ["Bakkerij De Demo B.V.", "Transport Noord B.V."]

PEOPLE = [
    # email, first, last, birth date, mobile, language, employer index or None, role group or None
    (
        "hr@bakkerij-demo.nl",
        "Hanna",
        "de Vries",
        datetime.date(1979, 3, 14),
        "+31612345670",
        "nl",
        0,
        "Werkgever HR",
    ),
    (
        "hr@transport-noord.nl",
        "Henk",
        "Bos",
        datetime.date(1975, 5, 2),
        "+31612345671",
        "nl",
        1,
        "Werkgever HR",
    ),
    (
        "casemanager@arbodienst.nl",
        "Carla",
        "Meijer",
        datetime.date(1982, 1, 9),
        "+31612345672",
        "nl",
        None,
        "Casemanager",
    ),
    (
        "bedrijfsarts@arbodienst.nl",
        "Bram",
        "Visser",
        datetime.date(1970, 8, 30),
        "+31612345673",
        "nl",
        None,
        "Medisch (bedrijfsarts)",
    ),
    ("jan.jansen@example.nl", "Jan", "Jansen", datetime.date(1985, 7, 4), "+31612345678", "nl", 0, None),
    ("emma.smith@example.nl", "Emma", "Smith", datetime.date(1990, 11, 23), "+31687654321", "en", 0, None),
    ("piet.peters@example.nl", "Piet", "Peters", datetime.date(1988, 2, 17), "+31611223344", "nl", 1, None),
]

DOCUMENTS = [
    (Document.Category.INVITATION, "Uitnodiging spreekuur bedrijfsarts", False),
    (Document.Category.PROBLEM_ANALYSIS, "Probleemanalyse", False),
    (Document.Category.ACTION_PLAN, "Plan van aanpak", False),
    (Document.Category.OTHER, "Advies bedrijfsarts (medisch)", True),
]


def demo_pdf(title: str) -> bytes:
    """A small, valid one-page PDF with the title as its text."""
    text = title.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 18 Tf 72 770 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@transaction.atomic
def seed() -> list[tuple[str, str, str]]:
    """Create what is missing (safe to run twice); returns (email, role, birth date) lines to print."""
    ensure_roles(Group, Permission, strict=True)
    employers = [Employer.objects.get_or_create(name=name)[0] for name in EMPLOYERS]
    lines = []
    uploader = doctor = None
    for email, first, last, birth, mobile, language, employer_index, group in PEOPLE:
        user = User.objects.filter(email=email).first()
        created = user is None
        if created:
            user = User.objects.create_user(
                email=email,
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                birth_date=birth,
                mobile=mobile,
                language=language,
                is_staff=group is not None,
            )
            if group:
                user.groups.add(Group.objects.get(name=group))
        if employer_index is not None:
            Employment.objects.get_or_create(
                user=user,
                defaults={
                    "employer": employers[employer_index],
                    "personnel_number": f"D{user.pk:05d}",
                    "job_title": "HR-adviseur" if group else "Medewerker",
                },
            )
        if group == "Casemanager":
            uploader = user
        if group == "Medisch (bedrijfsarts)":
            doctor = user
        if created and group is None:
            traject = Traject.objects.create(
                employee=user,
                kind=Traject.Kind.VERZUIM,
                start=datetime.date(2026, 10, 1),
                case_manager=uploader,
                company_doctor=doctor,
            )
            for category, title, medical in DOCUMENTS:
                document = services.document_create(
                    employee=user,
                    traject=traject,
                    category=category,
                    title=title,
                    is_medical=medical,
                    upload=ContentFile(demo_pdf(title), name=f"{title}.pdf"),
                    uploaded_by=doctor if medical else uploader,
                )
                _demo_extras(document, employee=user, actor=uploader, doctor=doctor)
        lines.append((email, group or "Werknemer", birth.strftime("%d-%m-%Y")))
    return lines


def _demo_extras(document: Document, *, employee, actor, doctor) -> None:
    """Issue 12: the plan van aanpak asks for a response within two weeks; the invitation carries an appointment
    with the company doctor, a week from now at 10:00 (Amsterdam)."""
    today = timezone.localdate()
    if document.category == Document.Category.ACTION_PLAN:
        Document.objects.filter(pk=document.pk).update(
            action_needed_before=today + datetime.timedelta(days=14),
            note="Lees het plan rustig door. Bent u het ermee eens? Laat het ons weten, met uw eigen visie.",
        )
        page_cache.changed(document.employee_id)
    elif document.category == Document.Category.INVITATION:
        day = today + datetime.timedelta(days=7)
        starts = datetime.datetime(
            day.year, day.month, day.day, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam")
        )
        appointment_save(
            appointment=Appointment(
                employee=employee,
                document=document,
                starts_at=starts,
                duration_minutes=30,
                place="Arbodienst, Stationsplein 1, Utrecht",
                with_whom=doctor.get_full_name() if doctor else "de bedrijfsarts",
            ),
            actor=actor,
        )


# Issue 11: a small file for HR's bulk import ("Importeren" on the user list of the Web Portaal). seed_demo writes it to
# var/demo/medewerkers-import.csv; hr@bakkerij-demo.nl imports it for "Bakkerij De Demo B.V.".
IMPORT_EXAMPLE = [
    ("email", "voornaam", "achternaam", "geboortedatum", "mobiel", "personeelsnummer", "functie"),
    ("sanne.smit@example.nl", "Sanne", "Smit", "12-04-1992", "0612340001", "B-2001", "Bakker"),
    (
        "youssef.elamrani@example.nl",
        "Youssef",
        "El Amrani",
        "30-09-1987",
        "0612340002",
        "B-2002",
        "Chauffeur",
    ),
    ("lotte.dekker@example.nl", "Lotte", "Dekker", "1995-01-05", "+31612340003", "B-2003", "Verkoper"),
]


def import_example_csv() -> str:
    """The example import file as text: semicolons, as a Dutch spreadsheet writes CSV."""
    return "".join(";".join(row) + "\n" for row in IMPORT_EXAMPLE)
