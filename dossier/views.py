"""Employee pages of the dossier: all behind the verified second factor (twofactor middleware and otp_required)."""

import uuid

from django.core.paginator import Paginator
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.decorators import method_decorator
from django.utils.timezone import localtime
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView
from django_otp.decorators import otp_required

from core.throttling import client_ip
from dossier import selectors, services
from dossier.downloads import document_response
from dossier.models import AccessLog, Document

PAGE_SIZE = 25
_ZERO = uuid.UUID(int=0)


@method_decorator([never_cache, otp_required(login_url="accounts:login")], name="dispatch")
class DossierView(View):
    """Base: a verified session, never cached."""


class DossierHomeView(DossierView, TemplateView):
    """ "Mijn eigen dossier": personal data, trajects, documents grouped by category, newest first, paginated."""

    template_name = "dossier/home.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        employment = selectors.employment_of(user=user)
        page = _page_of(selectors.dossier_documents(user=user), self.request.GET.get("page"))
        services.access_log_record(
            actor=user,
            subject=user,
            action=AccessLog.Action.VIEW_DOSSIER,
            ip=client_ip(self.request),
            actor_employment=employment,
        )
        return super().get_context_data(
            employment=employment,
            trajects=selectors.trajects_of(user=user),
            page_obj=page,
            document_groups=_document_groups(page.object_list),
            **kwargs,
        )


def _page_of(documents, number):
    """The requested page. A dossier that fits on the first page is read in one query, without a COUNT."""
    if number in (None, "", "1"):
        first = list(documents[: PAGE_SIZE + 1])
        if len(first) <= PAGE_SIZE:
            documents = first
    return Paginator(documents, PAGE_SIZE).get_page(number)


def _document_groups(documents) -> list[tuple[str, list[dict]]]:
    """The page's documents by category (already in category order), with what each row shows precomputed:
    one reverse() for the page, the date and the size formatted once per row, outside the template engine."""
    pattern = reverse("dossier:document", kwargs={"pk": _ZERO})
    zero, labels, groups = str(_ZERO), dict(Document.Category.choices), []
    for document in documents:
        label = labels.get(document.category, document.category)
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        groups[-1][1].append(
            {
                "url": pattern.replace(zero, str(document.pk)),
                "title": document.title,
                "unread": document.first_opened_at is None,
                "date": date_format(localtime(document.uploaded_at), "d-m-Y"),
                "size": filesizeformat(document.size),
            }
        )
    return groups


class DocumentView(DossierView):
    """The document itself, only for its employee: streamed, logged, read receipt on first opening."""

    def get(self, request, pk):
        try:
            document = selectors.own_document(user=request.user, pk=pk)
        except Document.DoesNotExist as exc:
            services.access_refused_record(actor=request.user, ip=client_ip(request), document_id=pk)
            raise Http404 from exc
        download = request.GET.get("download") == "1"
        services.access_log_record(
            actor=request.user,
            subject=document.employee,
            document=document,
            action=AccessLog.Action.DOWNLOAD_DOCUMENT if download else AccessLog.Action.VIEW_DOCUMENT,
            ip=client_ip(request),
        )
        services.document_mark_opened(document=document, by=request.user)
        return document_response(document, download=download)


class AccessLogView(DossierView, TemplateView):
    """ "Wie heeft mijn dossier ingezien": every view and download of this employee's data, by anyone."""

    template_name = "dossier/access_log.html"

    def get_context_data(self, **kwargs):
        page = Paginator(selectors.access_log_of(user=self.request.user), 50).get_page(
            self.request.GET.get("page")
        )
        return super().get_context_data(page_obj=page, **kwargs)
