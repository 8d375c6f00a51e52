"""Employee pages of the dossier: all behind the verified second factor (twofactor middleware and otp_required)."""

from csp.decorators import csp_replace
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView
from django_otp.decorators import otp_required

from accounts.context_processors import contact_details
from core.throttling import client_ip
from dossier import appointments, exports, page_cache, responses, selectors, services
from dossier.calendar import appointment_ics
from dossier.downloads import document_response, export_response, response_file_response
from dossier.forms import AccessLogFilterForm, AppointmentAnswerForm, ResponseForm
from dossier.models import AccessLog, Appointment, Document, DossierExport, Response
from dossier.uploads import FILE_TYPES
from twofactor.mixins import ReauthRequiredView

PAGE_SIZE = 25


@method_decorator([never_cache, otp_required(login_url="accounts:login")], name="dispatch")
class DossierView(View):
    """Base: a verified session, never cached."""


class DossierHomeView(DossierView, TemplateView):
    """ "Mijn eigen dossier": open actions and upcoming appointments first, then the documents (newest first,
    filterable by category), then personal data and trajects; paginated. The body is kept in the cache until what
    it shows changes (dossier/page_cache.py); the layout around it is rendered for each request as any page, and
    the access-log row is written on every view."""

    template_name = "dossier/home.html"
    body_template = "dossier/_home_body.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        category = self.request.GET.get("category", "")
        category = category if category in Document.Category.values else ""
        number = self.request.GET.get("page", "")
        number = max(1, int(number)) if number.isdigit() and len(number) <= 6 else 1
        kept = page_cache.body(
            user=user,
            category=category,
            number=number,
            build=lambda: self.build_body(category=category, number=number),
        )
        services.access_log_record(
            actor=user,
            subject=user,
            action=AccessLog.Action.VIEW_DOSSIER,
            ip=client_ip(self.request),
            actor_employer=kept["employer"],
        )
        return super().get_context_data(body=kept["html"], **kwargs)

    def build_body(self, *, category: str, number: int) -> tuple[dict, Page, float | None]:
        """The body's HTML and the employer's name (for the access log), the page of documents it shows, and until
        when it holds: the start of the first upcoming appointment, which then leaves the list."""
        user = self.request.user
        reads = selectors.dossier_home(user=user, category=category, number=number, per_page=PAGE_SIZE)
        # Each label translated once per page, not once per choice for every row (get_FOO_display does that).
        labels = {value: str(label) for value, label in Document.Category.choices}
        for document in reads.page.object_list:
            document.category_label = labels.get(document.category, document.category)
        context = {
            "employment": reads.employment,
            "trajects": reads.trajects,
            "page_obj": reads.page,
            "categories": list(labels.items()),
            "category": category,
            "page_query": urlencode({"category": category}) if category else "",
            "open_actions": reads.actions,
            "appointments": reads.appointments,
            "contacts": selectors.contacts_of(user=user, trajects=reads.trajects),
            "user": user,
            **contact_details(),
        }
        # Without the request: nothing in it is per request. Safe HTML: our template escaped every value in it (the
        # mark survives the cache, which pickles).
        html = mark_safe(render_to_string(self.body_template, context))  # noqa: S308
        employer = reads.employment.employer.name if reads.employment else ""
        valid_until = min((a.starts_at.timestamp() for a in reads.appointments), default=None)
        return {"html": html, "employer": employer}, reads.page, valid_until


def _own_document_or_404(request, pk):
    """The user's own document for its page; anything else is 404, and the attempt is audited (NEN 7513)."""
    try:
        return selectors.document_page(user=request.user, pk=pk)
    except Document.DoesNotExist as exc:
        services.access_refused_record(actor=request.user, ip=client_ip(request), document_id=pk)
        raise Http404 from exc


@method_decorator(csp_replace({"frame-src": ["'self'"]}), name="dispatch")
class DocumentPageView(DossierView, TemplateView):
    """The document's page: what it is, who sent it, the file inline where safe, the responses, the
    appointment and who to contact. Logged as a view; the first opening sets the read receipt."""

    template_name = "dossier/document.html"
    form = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_verified():
            self.document = _own_document_or_404(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        document = self.document
        services.access_log_record(
            actor=self.request.user,
            subject=document.employee,
            document=document,
            action=AccessLog.Action.VIEW_DOCUMENT_PAGE,
            ip=client_ip(self.request),
        )
        services.document_mark_opened(document=document, by=self.request.user)
        file_type = FILE_TYPES.get(document.content_type)
        takes = responses.takes_response(document)
        return super().get_context_data(
            document=document,
            sender_name=document.uploaded_by.get_full_name() if document.uploaded_by else "",
            sender_role=selectors.role_label(document.uploaded_by),
            file_url=reverse("dossier:document-file", kwargs={"pk": document.pk}),
            inline=(document.content_type.split("/")[0] if file_type and file_type.inline else ""),
            takes_response=takes,
            responses=selectors.responses_to(user=self.request.user, document=document),
            form=(self.form or ResponseForm()) if takes else None,
            appointments=selectors.upcoming_appointments(user=self.request.user, document=document),
            contacts=selectors.contacts_of(user=self.request.user, document=document),
            **kwargs,
        )


class DocumentRespondView(DocumentPageView):
    """ "Akkoord" / "niet akkoord" with an own view: a new response (never an edit); a double submit adds one."""

    http_method_names = ["post"]

    def post(self, request, pk):
        if not responses.takes_response(self.document):
            raise Http404
        form = ResponseForm(request.POST, request.FILES)
        if not form.is_valid():
            self.form = form
            return self.render_to_response(self.get_context_data(), status=400)
        data = form.cleaned_data
        responses.response_create(
            document=self.document,
            author=request.user,
            agreement=data["agreement"],
            own_view=data["own_view"],
            upload=data["attachment"],
            submission=data["submission"],
            ip=client_ip(request),
        )
        messages.success(request, _("Thank you. Your response has been saved and sent to your case manager."))
        return redirect(reverse("dossier:document", kwargs={"pk": pk}) + "#responses")


class DocumentFileView(DossierView):
    """The file itself, only for its employee: streamed, logged, read receipt on first opening."""

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


class ResponseFileView(DossierView):
    """The file the employee attached to a response (always a download), logged like a document's file."""

    def get(self, request, pk, response_pk):
        try:
            response = selectors.own_response(user=request.user, document_pk=pk, pk=response_pk)
        except Response.DoesNotExist as exc:
            services.access_refused_record(actor=request.user, ip=client_ip(request), document_id=pk)
            raise Http404 from exc
        if not response.file:
            raise Http404
        services.access_log_record(
            actor=request.user,
            subject=request.user,
            document=response.document,
            action=AccessLog.Action.VIEW_RESPONSE,
            ip=client_ip(request),
        )
        return response_file_response(response)


class AppointmentView(DossierView, TemplateView):
    """One appointment: when, where, with whom, add to my calendar, and confirm or ask for another time."""

    template_name = "dossier/appointment.html"
    form = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_verified():
            try:
                self.appointment = selectors.own_appointment(user=request.user, pk=kwargs["pk"])
            except Appointment.DoesNotExist as exc:
                raise Http404 from exc
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        appointment = self.appointment
        return super().get_context_data(
            appointment=appointment,
            answerable=not appointment.cancelled and appointment.starts_at >= timezone.now(),
            form=self.form or AppointmentAnswerForm(),
            contacts=selectors.contacts_of(user=self.request.user, document=appointment.document),
            **kwargs,
        )


class AppointmentAnswerView(AppointmentView):
    http_method_names = ["post"]

    def post(self, request, pk):
        form = AppointmentAnswerForm(request.POST)
        if not form.is_valid():
            self.form = form
            return self.render_to_response(self.get_context_data(), status=400)
        try:
            answered = appointments.appointment_answer(
                appointment=self.appointment,
                by=request.user,
                answer=form.cleaned_data["answer"],
                reason=form.cleaned_data["reason"],
                ip=client_ip(request),
            )
        except PermissionDenied:
            messages.error(request, _("This appointment can no longer be answered."))
        else:
            if answered.answer == Appointment.Answer.OTHER_TIME and not answered.staff_told:
                messages.warning(
                    request,
                    _(
                        "Your answer has been saved, but no case manager is named for your "
                        "dossier yet. Please call us to arrange another time."
                    ),
                )
            elif answered.answer == Appointment.Answer.OTHER_TIME:
                messages.success(
                    request,
                    _(
                        "Thank you. Your case manager has been told that you would like another "
                        "time and will contact you."
                    ),
                )
            else:
                messages.success(request, _("Thank you. Your answer has been sent."))
        return redirect("dossier:appointment", pk=pk)


class AppointmentCalendarView(DossierView):
    """The appointment as an .ics file for the employee's own calendar (RFC 5545)."""

    def get(self, request, pk):
        try:
            appointment = selectors.own_appointment(user=request.user, pk=pk)
        except Appointment.DoesNotExist as exc:
            raise Http404 from exc
        response = HttpResponse(appointment_ics(appointment), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, "afspraak.ics")
        response["Cache-Control"] = "no-store, private"
        return response


class AccessLogView(DossierView, TemplateView):
    """ "Wie heeft mijn dossier ingezien": every view and download of this employee's data, by anyone."""

    template_name = "dossier/access_log.html"

    def get_context_data(self, **kwargs):
        # Filters by period and by who: a GET form that works without JavaScript. Bad input shows the
        # form's translated error and the unfiltered log; it never reaches the query.
        form = AccessLogFilterForm(self.request.GET or None)
        filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
        rows = selectors.access_log_of(
            user=self.request.user,
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
            who=filters.get("who", "all"),
        )
        page = Paginator(rows, 50).get_page(self.request.GET.get("page"))
        query = {name: filters[name].isoformat() for name in ("date_from", "date_to") if filters.get(name)}
        if filters.get("who", "all") != "all":
            query["who"] = filters["who"]
        return super().get_context_data(
            page_obj=page,
            form=form if form.is_bound else AccessLogFilterForm(initial={"who": AccessLogFilterForm.WHO_ALL}),
            filtered=bool(query),
            page_query=urlencode(query),
            contact_changes=selectors.contact_changes_of(user=self.request.user),
            **kwargs,
        )


# -----------------------------------------------------------------------------------------------
class ExportView(ReauthRequiredView):
    """ "Download mijn dossier": the employee only (staff have no dossier: 404), after the password and a code
    again (Mijn Instellingen' re-authentication, valid TWOFACTOR_REAUTH_SECONDS), for asking and downloading alike."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_staff:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class DossierExportView(ExportView, TemplateView):
    """The export page: what the ZIP holds, the newest export's state, and "prepare my download" (POST)."""

    template_name = "dossier/export.html"

    def get_context_data(self, **kwargs):
        export = selectors.export_latest(user=self.request.user)
        return super().get_context_data(
            export=export,
            downloadable=export is not None and exports.export_downloadable(export),
            running=export is not None and export.is_running,
            hours=exports.EXPORT_HOURS,
            **kwargs,
        )

    def post(self, request):
        export, created = exports.export_request(user=request.user, ip=client_ip(request))
        # Without a worker (`make run`) it was built right after the commit: the page itself then says ready or
        # failed, and a "we are preparing it" message beside it would contradict that.
        export.refresh_from_db()
        if export.status not in (DossierExport.Status.READY, DossierExport.Status.FAILED):
            messages.success(
                request,
                _("We are preparing your download. You will get an email when it is ready.")
                if created
                else _("Your download is already being prepared. You will get an email when ready."),
            )
        return redirect("dossier:export")


class DossierExportDownloadView(ExportView):
    """The ZIP, for its employee only, until it expires; every download is logged."""

    def get(self, request, pk):
        try:
            export = exports.export_of(user=request.user, pk=pk)
        except DossierExport.DoesNotExist as exc:
            exports.export_refused_record(user=request.user, ip=client_ip(request), pk=pk)
            raise Http404 from exc
        if not exports.export_downloadable(export):
            messages.error(request, _("This download is no longer available. You can prepare a new one."))
            return redirect("dossier:export")
        exports.export_download_record(export=export, user=request.user, ip=client_ip(request))
        return export_response(export)
