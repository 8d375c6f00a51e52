"""The `.ics` of an appointment (RFC 5545), made with the maintained `icalendar` package, never by hand.

Times are in Europe/Amsterdam with its VTIMEZONE; the UID is stable (the appointment's id), SEQUENCE is the
appointment's version, so a calendar replaces the event it already has. A cancelled appointment is sent as
METHOD:CANCEL / STATUS:CANCELLED. No medical content: who, when, where, as the invitation says. A reminder (VALARM)
the day before, so an unwell employee does not have to remember it.
"""

import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

from dossier.models import Appointment

AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")
UID_DOMAIN = "verzuimportaal"


def appointment_uid(appointment: Appointment) -> str:
    return f"{appointment.pk}@{UID_DOMAIN}"


def appointment_ics(appointment: Appointment) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Verzuimportaal//Afspraken//NL")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if appointment.cancelled else "PUBLISH")
    event = Event()
    event.add("uid", appointment_uid(appointment))
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.starts_at.astimezone(AMSTERDAM))
    event.add("dtend", appointment.ends_at.astimezone(AMSTERDAM))
    event.add("summary", _("Appointment with %(name)s") % {"name": appointment.with_whom})
    if appointment.place:
        event.add("location", appointment.place)
    if appointment.video_url:
        event.add("url", appointment.video_url)
    event.add(
        "description",
        _("Video link: %(url)s") % {"url": appointment.video_url}
        if appointment.video_url
        else _("More information is in your dossier at %(site)s.") % {"site": settings.SITE_URL},
    )
    event.add("status", "CANCELLED" if appointment.cancelled else "CONFIRMED")
    if not appointment.cancelled:
        # A reminder the day before (RFC 5545 VALARM, a DISPLAY alarm: the calendar shows it itself).
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", timedelta(days=-1))
        alarm.add("description", _("Tomorrow: appointment with %(name)s") % {"name": appointment.with_whom})
        event.add_component(alarm)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
