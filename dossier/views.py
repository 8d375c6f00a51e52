"""Employee pages of the dossier: all behind the verified second factor (twofactor middleware and otp_required)."""

import uuid

from django.core.paginator import Paginator
from django.http import Http404
from django.urls import reverse
from django.utils.decorators import method_decorator
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
        page = Paginator(selectors.dossier_documents(user=user), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        services.access_log_record(
            actor=user,
            subject=user,
            action=AccessLog.Action.VIEW_DOSSIER,
            ip=client_ip(self.request),
            actor_employment=employment,
        )
        # One reverse() for the whole page instead of two per document.
        pattern = reverse("dossier:document", kwargs={"pk": _ZERO})
        for document in page.object_list:
            document.url = pattern.replace(str(_ZERO), str(document.pk))
        return super().get_context_data(
            employment=employment,
            trajects=selectors.trajects_of(user=user),
            page_obj=page,
            **kwargs,
        )


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
