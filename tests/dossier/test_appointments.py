"""Issue 12: appointments, their .ics (parsed back with icalendar), the employee's answer in the Web Portaal."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone
from icalendar import Calendar

from core.models import OutgoingEmail
from dossier.appointments import appointment_save
from dossier.models import Appointment
from tests.factories import document_for

pytestmark = pytest.mark.django_db
AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def appointment(world):
    invitation = document_for(world.a, title="Uitnodiging", category="uitnodiging_bedrijfsarts")
    day = timezone.localdate() + datetime.timedelta(days=10)
    return appointment_save(
        appointment=Appointment(
            employee=world.a,
            document=invitation,
            with_whom="Dr. Visser",
            place="Stationsplein 1, Utrecht",
            starts_at=datetime.datetime(day.year, day.month, day.day, 10, 0, tzinfo=AMSTERDAM),
            duration_minutes=45,
        ),
        actor=world.case_manager,
    )


def _event(response):
    calendar = Calendar.from_ical(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    return next(c for c in calendar.walk("VEVENT"))


def test_upcoming_appointment_is_at_the_top_of_the_dossier(world, client_for, appointment):
    body = client_for(world.a).get("/dossier/").content.decode()
    assert "Mijn afspraken" in body and "Dr. Visser" in body
    assert body.index("Mijn afspraken") < body.index("Mijn documenten")


def test_ics_is_rfc5545_in_amsterdam_with_a_stable_uid_and_rising_sequence(world, client_for, appointment):
    client = client_for(world.a)
    url = f"/dossier/appointments/{appointment.pk}/calendar.ics"
    first = client.get(url)
    assert first["Content-Type"].startswith("text/calendar")
    event = _event(first)
    start = event.decoded("dtstart")
    assert start.tzinfo.key == "Europe/Amsterdam" and (start.hour, start.minute) == (10, 0)
    assert event.decoded("dtend") - start == datetime.timedelta(minutes=45)
    assert str(event["uid"]) == f"{appointment.pk}@verzuimportaal" and event.decoded("sequence") == 0
    assert "Europe/Amsterdam" in first.content.decode() and "BEGIN:VTIMEZONE" in first.content.decode()
    (alarm,) = event.walk("VALARM")  # issue 31: a reminder the day before
    assert str(alarm["action"]) == "DISPLAY" and alarm.decoded("trigger") == -datetime.timedelta(days=1)
    assert str(alarm["description"]) == "Morgen: afspraak met Dr. Visser"
    appointment.starts_at += datetime.timedelta(hours=2)
    appointment_save(appointment=appointment, actor=world.case_manager)
    moved = _event(client.get(url))
    assert str(moved["uid"]) == str(event["uid"]) and moved.decoded("sequence") == 1
    assert moved.decoded("dtstart").hour == 12


def test_change_and_cancel_mail_the_employee_without_details(world, appointment):
    appointment.place = "Online"
    appointment_save(appointment=appointment, actor=world.case_manager)
    appointment.cancelled = True
    appointment_save(appointment=appointment, actor=world.case_manager)
    mails = list(OutgoingEmail.objects.filter(kind="appointment_changed", to=world.a.email).order_by("pk"))
    assert len(mails) == 3  # new, changed, cancelled
    assert "geannuleerd" in mails[-1].subject
    for sent in mails:
        assert "Visser" not in sent.body_text and "Stationsplein" not in sent.body_text
    assert Appointment.objects.get(pk=appointment.pk).sequence == 2


def test_ics_of_another_employees_appointment_is_404(world, client_for, appointment):
    for who in (world.b, world.hr_x, world.case_manager):
        assert client_for(who).get(f"/dossier/appointments/{appointment.pk}/calendar.ics").status_code == 404
        assert client_for(who).get(f"/dossier/appointments/{appointment.pk}/").status_code == 404


def test_confirm_and_another_time_are_saved_and_visible_in_the_admin(world, client_for, appointment):
    client = client_for(world.a)
    url = f"/dossier/appointments/{appointment.pk}/answer/"
    refused = client.post(url, {"answer": "other_time", "reason": ""})
    assert refused.status_code == 400 and "waarom u een andere tijd" in refused.content.decode()
    assert (
        client.post(url, {"answer": "other_time", "reason": "Dan heb ik fysiotherapie."}).status_code == 302
    )
    saved = Appointment.objects.get(pk=appointment.pk)
    assert saved.answer == "other_time" and saved.answered_at
    admin = client_for(world.case_manager)
    assert (
        "Dan heb ik fysiotherapie."
        in admin.get(f"/admin/dossier/appointment/{saved.pk}/change/").content.decode()
    )
    client.post(url, {"answer": "confirmed"})
    listing = admin.get("/admin/dossier/appointment/").content.decode()
    assert "Bevestigd" in listing or "bevestigd" in listing
    assert client_for(world.hr_x).get(f"/admin/dossier/appointment/{saved.pk}/change/").status_code in (
        403,
        404,
    )


def _answer_other_time(client, appointment):
    return client.post(
        f"/dossier/appointments/{appointment.pk}/answer/",
        {"answer": "other_time", "reason": "Dan heb ik fysiotherapie."},
        follow=True,
    )


def test_another_time_reaches_the_case_manager_without_details(world, client_for, appointment):
    """Issue 31: "Nee, ik wil graag een andere tijd" mails the traject's case manager a link to the appointment in
    the Web Portaal (no name, time, doctor or reason), and the page says who was told."""
    from dossier.models import Traject

    traject = Traject.objects.create(
        employee=world.a, kind="verzuim", start=timezone.localdate(), case_manager=world.case_manager
    )
    appointment.document.traject = traject
    appointment.document.save(update_fields=["traject"])
    page = _answer_other_time(client_for(world.a), appointment).content.decode()
    assert "Uw casemanager heeft bericht gekregen" in page
    (mail,) = OutgoingEmail.objects.filter(to=world.case_manager.email)
    assert f"/admin/dossier/appointment/{appointment.pk}/change/" in mail.body_text
    for detail in ("Anna", "Visser", "fysiotherapie", "Stationsplein", "10:00"):
        assert detail not in mail.body_text + mail.subject
    # a confirmation tells nobody new
    client_for(world.a).post(f"/dossier/appointments/{appointment.pk}/answer/", {"answer": "confirmed"})
    assert OutgoingEmail.objects.filter(to=world.case_manager.email).count() == 1


def test_another_time_without_a_case_manager_says_to_call(world, client_for, appointment):
    page = _answer_other_time(client_for(world.a), appointment).content.decode()
    assert "Bel ons om een andere tijd af te spreken" in page and "Uw antwoord is verstuurd" not in page
    assert Appointment.objects.get(pk=appointment.pk).answer == "other_time"  # saved all the same
