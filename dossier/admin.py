"""The Web Portaal (Django admin) for dossiers: every list, search, autocomplete, choice and URL goes through
dossier.access, and a forbidden object answers 404. Views and downloads are written to the access log."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin, UserAdmin
from accounts.models import AuditEvent
from accounts.throttling import client_ip
from dossier import access, services
from dossier.downloads import document_response
from dossier.models import AccessLog, Document, Employer, Employment, Traject, documents_storage
from dossier.uploads import sniff

User = get_user_model()


class ScopedAdmin(admin.ModelAdmin):
    """Rows outside the user's scope do not exist: lists, search, autocomplete and direct URLs alike."""

    scope = None  # a function of dossier.access: user -> queryset

    def get_queryset(self, request):
        queryset = type(self).scope(request.user)
        # Lists and autocomplete paginate: give them a stable order.
        return queryset if queryset.ordered else queryset.order_by(*(self.get_ordering(request) or ["pk"]))

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scopes = {
            "employee": access.employees_visible_to,
            "user": access.employees_visible_to,
            "employer": access.employers_visible_to,
            "traject": access.trajects_visible_to,
        }
        if db_field.name in scopes:
            kwargs["queryset"] = scopes[db_field.name](request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# ----------------------------------------------------------------------------------------------- documents
class DocumentUploadForm(forms.ModelForm):
    upload = forms.FileField(label=_("File"), help_text=_("PDF, PNG, JPEG or Word (.docx); at most 20 MB."))

    class Meta:
        model = Document
        fields = ("employee", "traject", "category", "title", "is_medical")

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        sniff(upload)  # refused types and sizes become a form error; the service checks again
        return upload

    def clean(self):
        cleaned = super().clean()
        traject, employee = cleaned.get("traject"), cleaned.get("employee")
        if traject and employee and traject.employee_id != employee.pk:
            raise ValidationError({"traject": _("This traject belongs to another employee.")})
        return cleaned


@admin.register(Document)
class DocumentAdmin(ScopedAdmin):
    scope = access.documents_visible_to
    list_display = ("title", "employee", "category", "medical_flag", "uploaded_at", "read_receipt")
    list_filter = ("category", "is_medical")
    list_select_related = ("employee",)
    search_fields = ("title", "employee__email", "employee__first_name", "employee__last_name")
    autocomplete_fields = ("employee",)
    readonly_fields = ("employee", "original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at",
                       "first_opened_at", "download_link")  # fmt: skip
    fields = ("employee", "traject", "category", "title", "is_medical", *readonly_fields[1:])

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = DocumentUploadForm
            kwargs["fields"] = self.get_add_fields(request)
        return super().get_form(request, obj, change, **kwargs)

    def get_add_fields(self, request):
        fields = ["employee", "traject", "category", "title", "upload"]
        if access.sees_medical(request.user):
            fields.insert(4, "is_medical")
        return fields

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.get_add_fields(request)
        return [f for f in self.fields if f != "is_medical" or access.sees_medical(request.user)]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    @admin.display(description=_("medical"), boolean=True)
    def medical_flag(self, obj):
        return obj.is_medical

    @admin.display(description=_("read by the employee"), ordering="first_opened_at")
    def read_receipt(self, obj):
        return obj.first_opened_at or "–"

    @admin.display(description=_("File"))
    def download_link(self, obj):
        url = reverse("admin:dossier_document_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        request._dossier_stored_files = []
        try:
            response = super().changeform_view(request, object_id, form_url, extra_context)
        except BaseException:
            # The admin's transaction rolled back after the service stored the file: remove it again.
            for name in request._dossier_stored_files:
                documents_storage().delete(name)
            raise
        if object_id and request.method == "GET" and response.status_code == 200:
            document = self.get_object(request, object_id)
            services.access_log_record(actor=request.user, subject=document.employee, document=document,
                                       action=AccessLog.Action.VIEW_RECORD, ip=client_ip(request))  # fmt: skip
        return response

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        document = services.document_create(
            employee=form.cleaned_data["employee"],
            traject=form.cleaned_data.get("traject"),
            category=form.cleaned_data["category"],
            title=form.cleaned_data["title"],
            is_medical=bool(form.cleaned_data.get("is_medical")) and access.sees_medical(request.user),
            upload=form.cleaned_data["upload"],
            uploaded_by=request.user,
        )
        request._dossier_stored_files.append(document.file.name)
        obj.pk, obj.file, obj._state.adding, obj._state.db = (
            document.pk,
            document.file,
            False,
            document._state.db,
        )

    def get_urls(self):
        download = self.admin_site.admin_view(self.download_view)
        return [path("<uuid:pk>/download/", download, name="dossier_document_download"), *super().get_urls()]

    def download_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = self.get_queryset(request).filter(pk=pk).select_related("employee").first()
        if document is None:
            raise Http404
        services.access_log_record(actor=request.user, subject=document.employee, document=document,
                                   action=AccessLog.Action.DOWNLOAD_DOCUMENT, ip=client_ip(request))  # fmt: skip
        return document_response(document, download=True)


# ----------------------------------------------------------------------------------------------- people
admin.site.unregister(User)


@admin.register(User)
class ScopedUserAdmin(ScopedAdmin, UserAdmin):
    """Staff see the employees in their scope; only a superuser sees (and manages) staff accounts."""

    @staticmethod
    def scope(user):
        return User.objects.all() if user.is_superuser else access.employees_visible_to(user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            subject = self.get_object(request, object_id)
            if subject is not None and not subject.is_staff:
                services.access_log_record(actor=request.user, subject=subject,
                                           action=AccessLog.Action.VIEW_RECORD, ip=client_ip(request))  # fmt: skip
        return response


@admin.register(Employer)
class EmployerAdmin(ScopedAdmin):
    scope = access.employers_visible_to
    search_fields = ("name",)


@admin.register(Employment)
class EmploymentAdmin(ScopedAdmin):
    @staticmethod
    def scope(user):
        return Employment.objects.filter(user__in=access.employees_visible_to(user))

    list_display = ("user", "employer", "personnel_number", "job_title")
    list_select_related = ("user", "employer")
    search_fields = ("user__email", "user__last_name", "personnel_number")
    autocomplete_fields = ("user", "employer")


@admin.register(Traject)
class TrajectAdmin(ScopedAdmin):
    scope = access.trajects_visible_to
    list_display = ("employee", "kind", "start", "end", "status")
    list_filter = ("kind", "status")
    list_select_related = ("employee",)
    search_fields = ("employee__email", "employee__last_name")
    autocomplete_fields = ("employee",)


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """Read-only, for provider staff: nobody can add, change or delete a row here."""

    scope = access.access_logs_visible_to
    list_display = (
        "at",
        "actor_name",
        "actor_role",
        "actor_employer",
        "subject",
        "action",
        "document_title",
        "ip",
    )
    list_filter = ("action", "actor_role")
    list_select_related = ("subject",)
    search_fields = ("actor_name", "subject__email", "subject__last_name", "document_title")
    date_hierarchy = "at"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """Security events, read-only, for provider staff only (never employer HR)."""

    @staticmethod
    def scope(user):
        return AuditEvent.objects.all() if access.sees_all_employers(user) else AuditEvent.objects.none()

    list_display = ("at", "kind", "user", "actor", "email", "ip", "detail")
    list_filter = ("kind",)
    list_select_related = ("user", "actor")
    search_fields = ("email", "user__email", "detail")
    date_hierarchy = "at"
