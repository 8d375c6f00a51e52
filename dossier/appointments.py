"""Appointments: staff make and change them, the employee confirms or asks for another time.

A change or cancellation raises the SEQUENCE (the calendar file replaces the old event) and mails the employee a
link only: no time, place, doctor or anything medical in the mail.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from core import audit
from core.links import site_url
from core.mailer import mail_enqueue
from dossier.events import ResponseEvent
from dossier.models import Appointment, Traject

# A change to one of these is a change the employee must hear about (and a calendar must replace).
NOTIFIED_FIELDS = ("starts_at", "duration_minutes", "place", "video_url", "with_whom", "cancelled")


@transaction.atomic
def appointment_save(*, appointment: Appointment, actor, ip: str | None = None) -> Appointment:
    """Save a new or changed appointment; on a change that matters, raise SEQUENCE, clear the old answer and mail
    the employee. Prevents: a calendar keeping a stale copy (same UID, higher SEQUENCE)."""
    # The pk is a UUID set on construction, so `pk is None` cannot tell a new row; `_state.adding` is the documented
    # flag for that (Model instance reference, "Other attributes"), unlike the rest of `_state`.
    adding = appointment._state.adding  # noqa: SLF001
    changed = []
    if not adding:
        before = Appointment.objects.select_for_update().get(pk=appointment.pk)
        changed = [f for f in NOTIFIED_FIELDS if getattr(before, f) != getattr(appointment, f)]
        appointment.sequence = before.sequence + (1 if changed else 0)
        if changed and "cancelled" not in changed:
            # A new time or place asks for a new answer.
            appointment.answer, appointment.answer_reason, appointment.answered_at = "", "", None
    appointment.save()
    audit.record(
        ResponseEvent.APPOINTMENT_SAVED,
        user=appointment.employee,
        actor=actor,
        ip=ip,
        detail=f"appointment {appointment.pk} sequence {appointment.sequence}",
    )
    if adding or changed:
        _notify(appointment, kind="cancelled" if appointment.cancelled else ("new" if adding else "changed"))
    return appointment


def _notify(appointment: Appointment, *, kind: str) -> None:
    employee = appointment.employee
    target = reverse("dossier:home")
    link = site_url(f"{reverse('accounts:login')}?{urlencode({'next': target})}")
    mail_enqueue(
        to=employee.email,
        template="dossier/email/appointment_changed",
        context={"user": employee, "link": link, "kind": kind},
        language=employee.language,
        reference=f"appointment:{appointment.pk}:{appointment.sequence}",
    )


@transaction.atomic
def appointment_answer(
    *, appointment: Appointment, by, answer: str, reason: str = "", ip: str | None = None
) -> Appointment:
    """The employee's answer: confirmed, or another time with a short reason. Only the employee answers, and a
    cancelled or past appointment takes no answer (PermissionDenied)."""
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if by.pk != locked.employee_id or locked.cancelled or locked.starts_at < timezone.now():
        raise PermissionDenied
    locked.answer = answer
    locked.answer_reason = reason.strip() if answer == Appointment.Answer.OTHER_TIME else ""
    locked.answered_at = timezone.now()
    locked.save(update_fields=["answer", "answer_reason", "answered_at", "updated_at"])
    audit.record(
        ResponseEvent.APPOINTMENT_ANSWERED,
        user=by,
        actor=by,
        ip=ip,
        detail=f"appointment {locked.pk} {answer}",
    )
    locked.staff_told = answer == Appointment.Answer.OTHER_TIME and _tell_staff(locked)
    return locked


def staff_contact(appointment: Appointment):
    """Who plans this appointment again: the case manager of the invitation's traject, else of the employee's
    open traject; None when no active one is named."""
    traject = (
        appointment.document.traject if appointment.document_id and appointment.document.traject_id else None
    )
    if traject is None:
        traject = (
            Traject.objects.filter(employee_id=appointment.employee_id, status=Traject.Status.OPEN)
            .select_related("case_manager")
            .order_by("-start")
            .first()
        )
    manager = traject.case_manager if traject is not None else None
    return manager if manager is not None and manager.is_active else None


def _tell_staff(appointment: Appointment) -> bool:
    """ "Nee, ik wil graag een andere tijd" reaches the case manager: a link to the appointment in the Web Portaal,
    no name, time or reason in the mail. False when nobody is named (the page then says to call)."""
    manager = staff_contact(appointment)
    if manager is None:
        return False
    mail_enqueue(
        to=manager.email,
        template="dossier/email/appointment_other_time",
        context={
            "user": manager,
            "link": site_url(reverse("admin:dossier_appointment_change", args=[appointment.pk])),
        },
        language=getattr(manager, "language", "nl") or "nl",
        reference=f"appointment-answer:{appointment.pk}:{appointment.sequence}",
    )
    return True
