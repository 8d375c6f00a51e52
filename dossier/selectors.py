"""Reads of the dossier: the employee's page and access log, in a fixed, small number of queries."""

from django.db.models import QuerySet

from dossier import access
from dossier.models import Document, Employment

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


def dossier_documents(*, user) -> QuerySet:
    """The user's own documents, grouped by category (in the order of the list), newest first."""
    return (
        access.documents_visible_to(user)
        .filter(employee=user)
        .only(*LIST_FIELDS)
        .order_by("category_rank", "-uploaded_at", "id")
    )


def employment_of(*, user) -> Employment | None:
    return Employment.objects.select_related("employer").filter(user=user).first()


def trajects_of(*, user) -> list:
    return list(access.trajects_visible_to(user).filter(employee=user).order_by("-start"))


def own_document(*, user, pk) -> Document:
    """One of the user's own documents; anyone else (another employee, staff, unverified) gets DoesNotExist."""
    return access.documents_visible_to(user).filter(employee=user).get(pk=pk)


def access_log_of(*, user) -> QuerySet:
    return access.access_logs_visible_to(user).filter(subject=user).order_by("-at", "-pk")
