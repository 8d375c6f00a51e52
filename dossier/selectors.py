"""Reads of the dossier: the employee's page and access log, in a fixed, small number of queries."""

from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, QuerySet, Window
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ContactChange
from dossier import access
from dossier.conf import app_settings
from dossier.models import AccessLog, Appointment, Document, DossierExport, Employment, Response, Traject

LIST_FIELDS = (
    "id",
    "employee_id",
    "category",
    "title",
    "content_type",
    "size",
    "uploaded_at",
    "first_opened_at",
)


def dossier_documents(*, user, category: str = "") -> QuerySet:
    """The user's own documents, newest first across categories, or of one category."""
    documents = access.documents_visible_to(user).filter(employee=user)
    if category:
        documents = documents.filter(category=category)
    return documents.only(*LIST_FIELDS).order_by("-uploaded_at", "id")


def dossier_page(*, user, category: str, number: int, per_page: int) -> Page:
    """One page of dossier_documents and the total, in one query (a window count beside the rows); a number past
    the end gives the last page, as Paginator.get_page does."""
    offset = (number - 1) * per_page
    documents = dossier_documents(user=user, category=category)
    rows = list(documents.annotate(total=Window(Count("pk")))[offset : offset + per_page])
    if not rows and number > 1:
        return Paginator(dossier_documents(user=user, category=category), per_page).get_page(number)
    paginator = Paginator((), per_page)  # the rows are in hand; the paginator only counts the pages
    paginator.count = rows[0].total if rows else 0  # Paginator.count is a cached property: no COUNT query
    return Page(rows, number, paginator)


def employment_of(*, user) -> Employment | None:
    return Employment.objects.select_related("employer").filter(user=user).order_by("pk").first()


def trajects_of(*, user) -> list:
    """The user's trajects with their contacts, in one query."""
    return list(
        access.trajects_visible_to(user)
        .filter(employee=user)
        .select_related("case_manager", "company_doctor")
        .order_by("-start")
    )


def own_document(*, user, pk) -> Document:
    """One of the user's own documents; anyone else (another employee, staff, unverified) gets DoesNotExist."""
    document = access.documents_visible_to(user).filter(employee=user).get(pk=pk)
    document.employee = user  # the filter says it is: no second read of the same row
    return document


def access_log_of(
    *, user, date_from: date | None = None, date_to: date | None = None, who: str = "all"
) -> QuerySet:
    """The user's own access log, newest first, optionally within a period (whole local days, both ends included)
    and by who looked: "self" (the user), "staff" (anyone else, also a since-deleted account) or "all".

    Every filter narrows `access_logs_visible_to(user).filter(subject=user)`, so no filter can show another
    employee's rows. The period is turned into a range on `at` (not `at__date`), so the (subject, -at) index works.
    """
    rows = access.access_logs_visible_to(user).filter(subject=user)
    if date_from is not None:
        rows = rows.filter(at__gte=_day_start(date_from))
    if date_to is not None:
        rows = rows.filter(at__lt=_day_start(date_to + timedelta(days=1)))
    if who == "self":
        rows = rows.filter(actor=user)
    elif who == "staff":
        rows = rows.exclude(actor=user)  # NULL-safe: a deleted staff account's rows stay "staff"
    return rows.order_by("-at", "-pk")


def contact_changes_of(*, user, limit: int = 20) -> list:
    """The changes of this employee's email or mobile that staff asked (account_rules rule 8), newest first."""
    return list(
        ContactChange.objects.filter(user=user)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at")[:limit]
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# -----------------------------------------------------------------------------------------------
def document_page(*, user, pk) -> Document:
    """One of the user's own documents with what its page shows (sender, traject contacts), in one query."""
    document = (
        access.documents_visible_to(user)
        .filter(employee=user)
        .select_related("uploaded_by", "traject__case_manager", "traject__company_doctor")
        .get(pk=pk)
    )
    document.employee = user  # the filter says it is: no second read of the same row
    return document


def role_label(user) -> str:
    """The sender's role as the employee reads it (the access log's roles; medical documents: medical staff), as
    text in the active language: a lazy label would not survive json.dumps (the export) or a cache."""
    if user is None:
        return ""
    if access.sees_medical(user) and not user.is_superuser:
        return str(AccessLog.Role.MEDICAL.label)
    if user.is_superuser:
        return str(AccessLog.Role.ADMINISTRATOR.label)
    return str(
        (AccessLog.Role.CASE_MANAGER if access.sees_all_employers(user) else AccessLog.Role.EMPLOYER_HR).label
    )


def responses_to(*, user, document: Document) -> list:
    return list(access.responses_visible_to(user).filter(document=document).order_by("at", "pk"))


def own_response(*, user, document_pk, pk) -> Response:
    return (
        access.responses_visible_to(user).filter(document__employee=user).get(document_id=document_pk, pk=pk)
    )


def open_actions(*, user) -> list:
    """The user's documents with "action needed before" that still wait for them: no response yet where the
    category takes one, otherwise not yet opened. Soonest first."""
    documents = (
        access.documents_visible_to(user)
        .filter(employee=user, action_needed_before__isnull=False)
        .annotate(answered=Exists(Response.objects.filter(document=OuterRef("pk"))))
        .only("id", "title", "category", "action_needed_before", "first_opened_at")
        .order_by("action_needed_before", "id")
    )
    categories = app_settings.RESPONSE_CATEGORIES
    return [
        d
        for d in documents
        if not (d.answered if d.category in categories else d.first_opened_at is not None)
    ]


def _upcoming(user, now) -> QuerySet:
    return (
        access.appointments_visible_to(user)
        .filter(employee=user, starts_at__gte=now)
        .order_by("starts_at", "pk")
    )


def upcoming_appointments(*, user, document: Document | None = None) -> list:
    """The user's appointments from now on (cancelled ones too, marked), soonest first."""
    now = timezone.now()
    upcoming = _upcoming(user, now)
    return list(upcoming.filter(document=document) if document is not None else upcoming)


class HomeReads(NamedTuple):
    employment: Employment | None
    page: Page
    trajects: list
    appointments: list
    actions: list


def dossier_home(*, user, category: str, number: int, per_page: int) -> HomeReads:
    """What "Mijn eigen dossier" shows of the user: employment, one page of documents, trajects, upcoming
    appointments and open actions."""
    return HomeReads(
        employment_of(user=user),
        dossier_page(user=user, category=category, number=number, per_page=per_page),
        trajects_of(user=user),
        upcoming_appointments(user=user),
        open_actions(user=user),
    )


def own_appointment(*, user, pk) -> Appointment:
    return access.appointments_visible_to(user).filter(employee=user).get(pk=pk)


def contacts_of(*, user, document: Document | None = None, trajects: list | None = None) -> list:
    """Who the employee contacts: the document's traject, else their open trajects (pass trajects_of's list to save
    the query); a case manager and an optional company doctor, each once. Empty: the page shows the provider's
    contact (PORTAL_CONTACT_*)."""
    if document is not None and document.traject is not None:
        trajects = [document.traject]
    elif trajects is not None:
        trajects = [t for t in trajects if t.status == Traject.Status.OPEN]
    else:
        trajects = list(
            access.trajects_visible_to(user)
            .filter(employee=user, status=Traject.Status.OPEN)
            .select_related("case_manager", "company_doctor")
        )
    contacts, seen = [], set()
    for traject in trajects:
        for person, role in (
            (traject.case_manager, _("Case manager")),
            (traject.company_doctor, _("Company doctor")),
        ):
            if person is not None and person.is_active and person.pk not in seen:
                seen.add(person.pk)
                contacts.append(
                    {"name": person.get_full_name() or person.email, "role": role, "email": person.email}
                )
    return contacts


# -----------------------------------------------------------------------------------------------
def export_responses(*, user) -> QuerySet:
    """The employee's responses to their own documents (the document page's rule), oldest first."""
    return (
        access.responses_visible_to(user)
        .filter(document__employee=user)
        .select_related("document")
        .order_by("at", "pk")
    )


def export_appointments(*, user) -> QuerySet:
    """All the employee's appointments, past and future, cancelled ones too."""
    return access.appointments_visible_to(user).filter(employee=user).order_by("starts_at", "pk")


def export_latest(*, user):
    """The employee's newest dossier export, or None."""
    return DossierExport.objects.filter(employee=user).order_by("-requested_at").first()
