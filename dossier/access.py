"""Who may see which employee and which document: one module, used by the employee pages and the admin alike.

Rules (AVG): an employee sees only their own dossier. Employer HR sees the employees of its own employer and never a
medical document. Provider case managers see every employer, never medical documents. Provider medical staff see
all. A superuser sees all. Anything outside these sets answers 404, as if it did not exist.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from dossier.models import AccessLog, Appointment, Document, Employer, Response, Traject

ALL_EMPLOYERS = "dossier.view_all_employers"
MEDICAL = "dossier.view_medical_document"


def _employer_id(user) -> int | None:
    employment = getattr(user, "employment", None)
    return employment.employer_id if employment is not None else None


def sees_all_employers(user) -> bool:
    return user.is_active and (user.is_superuser or (user.is_staff and user.has_perm(ALL_EMPLOYERS)))


def sees_medical(user) -> bool:
    return user.is_active and (user.is_superuser or (user.is_staff and user.has_perm(MEDICAL)))


def employees_visible_to(user) -> QuerySet:
    """The employees (never staff accounts) whose dossier this staff user may see."""
    users = get_user_model().objects.filter(is_staff=False)
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return users.none()
    if sees_all_employers(user):
        return users
    employer_id = _employer_id(user)
    return users.filter(employment__employer_id=employer_id) if employer_id else users.none()


def documents_visible_to(user) -> QuerySet:
    """Documents this user may open: an employee their own; staff those of visible employees, medical or not."""
    documents = Document.objects.all()
    if not (user.is_authenticated and user.is_active):
        return documents.none()
    if not user.is_staff:
        return documents.filter(employee=user)
    if not sees_all_employers(user):
        documents = documents.filter(employee__in=employees_visible_to(user))
    if not sees_medical(user):
        documents = documents.filter(is_medical=False)
    return documents


def employers_visible_to(user) -> QuerySet:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return Employer.objects.none()
    if sees_all_employers(user):
        return Employer.objects.all()
    return Employer.objects.filter(pk=_employer_id(user)) if _employer_id(user) else Employer.objects.none()


def trajects_visible_to(user) -> QuerySet:
    if not (user.is_authenticated and user.is_active):
        return Traject.objects.none()
    if not user.is_staff:
        return Traject.objects.filter(employee=user)
    return Traject.objects.filter(employee__in=employees_visible_to(user)).select_related("employee")


def access_logs_visible_to(user) -> QuerySet:
    """An employee reads their own log; in the admin only provider staff (never employer HR) read the log."""
    if not (user.is_authenticated and user.is_active):
        return AccessLog.objects.none()
    if not user.is_staff:
        return AccessLog.objects.filter(subject=user)
    return AccessLog.objects.all() if sees_all_employers(user) else AccessLog.objects.none()


# -----------------------------------------------------------------------------------------------
def responses_visible_to(user) -> QuerySet:
    """Responses follow their document: whoever may open the document reads its responses (HR never on medical)."""
    return Response.objects.filter(document__in=documents_visible_to(user))


def appointments_visible_to(user) -> QuerySet:
    """An employee their own appointments; staff those of visible employees, and of an invitation they may see."""
    if not (user.is_authenticated and user.is_active):
        return Appointment.objects.none()
    if not user.is_staff:
        return Appointment.objects.filter(employee=user)
    return Appointment.objects.filter(employee__in=employees_visible_to(user)).filter(
        Q(document__isnull=True) | Q(document__in=documents_visible_to(user))
    )
