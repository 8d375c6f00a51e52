"""The Web Portaal (Django admin): every list, search, autocomplete, choice and URL goes through dossier.access
(who sees whom) and dossier.account_rules (who manages which account), and a forbidden object answers 404 (a
refused document is audited). Lists, views and downloads of employees are written to the access log."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import services as account_services
from accounts.forms import EmployeeChangeForm, UserAdminForm
from core import audit
from core.admin import ReadOnlyAdminMixin
from core.models import AuditEvent
from core.throttling import client_ip
from dossier import access, account_rules, appointments, contact_changes, invitations, page_cache, services
from dossier.downloads import document_response, response_file_response
from dossier.imports import EmployeeImportAdminMixin
from dossier.models import AccessLog, Appointment, Document, Employer, Employment, Traject
from dossier.uploads import sniff
from twofactor.services import twofactor_reset_by_staff  # across floor 3: see README design notes

User = get_user_model()


class ScopedAdmin(admin.ModelAdmin):
    """Rows outside the user's scope do not exist: lists, search, autocomplete and direct URLs alike."""

    scope = None  # a function of dossier.access: user -> queryset

    def get_queryset(self, request):
        queryset = type(self).scope(request.user)
        # Lists and autocomplete paginate: give them a stable order.
        return queryset if queryset.ordered else queryset.order_by(*(self.get_ordering(request) or ["pk"]))

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        self.refused(request, object_id)
        raise Http404

    def refused(self, request, object_id) -> None:
        """A direct URL to an object outside the scope (documents override this to audit the attempt)."""

    # Which rows of a list page are people's dossiers: lists are written to the access log (one row each).
    listed_subjects = None  # obj -> the employee shown, or None
    listed_documents = False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl") if response.status_code == 200 else None
        if changelist is not None and (self.listed_subjects or self.listed_documents):
            rows = list(changelist.result_list)
            services.access_log_record_listed(
                actor=request.user,
                ip=client_ip(request),
                documents=rows if self.listed_documents else (),
                subjects=[] if self.listed_documents else [self.listed_subjects(obj) for obj in rows],
            )
        return response

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
        fields = ("employee", "traject", "category", "title", "is_medical", "note", "action_needed_before")

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
    listed_documents = True
    list_display = ("title", "employee", "category", "medical_flag", "uploaded_at", "read_receipt")
    list_filter = ("category", "is_medical")
    list_select_related = ("employee",)
    search_fields = ("title", "employee__email", "employee__first_name", "employee__last_name")
    autocomplete_fields = ("employee",)
    readonly_fields = (
        "employee",
        "original_name",
        "content_type",
        "file_size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
        "first_opened_at",
        "download_link",
        "responses",
    )
    fields = (
        "employee",
        "traject",
        "category",
        "title",
        "is_medical",
        "note",
        "action_needed_before",
        *readonly_fields[1:],
    )

    def refused(self, request, object_id) -> None:
        services.access_refused_record(actor=request.user, ip=client_ip(request), document_id=object_id)

    def get_add_fields(self, request):
        fields = ["employee", "traject", "category", "title", "note", "action_needed_before", "upload"]
        if access.sees_medical(request.user):
            fields.insert(4, "is_medical")
        return fields

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.get_add_fields(request)
        return [f for f in self.fields if f != "is_medical" or access.sees_medical(request.user)]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    @admin.display(description=_("size"))
    def file_size(self, obj):
        return filesizeformat(obj.size)  # "1,2 MB", not 1234567 bytes

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

    @admin.display(description=_("responses of the employee"))
    def responses(self, obj):
        """The employee's responses beside the document, read-only (append-only), newest first."""
        # The change form only opens a document in the actor's scope, and responses follow their document
        # (access.responses_visible_to): so the document's own responses are exactly the visible ones.
        rows = obj.responses.order_by("-at")
        if not rows:
            return "–"
        return format_html(
            '<ul class="responses">{}</ul>',
            format_html_join(
                "",
                "<li><strong>{}</strong> · {}<br>{}{}</li>",
                (
                    (
                        r.get_agreement_display(),
                        date_format(localtime(r.at), "DATETIME_FORMAT"),
                        r.own_view or "–",
                        format_html(
                            ' · <a href="{}">{}</a>',
                            reverse("admin:dossier_response_file", args=[obj.pk, r.pk]),
                            _("Download"),
                        )
                        if r.file
                        else "",
                    )
                    for r in rows
                ),
            ),
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = DocumentUploadForm
            kwargs["fields"] = self.get_add_fields(request)
        return super().get_form(request, obj, change, **kwargs)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None:
            # Adding: file, row, notification and the admin's log entry all or nothing (the service's transaction
            # removes the stored file if any of it fails).
            with services.documents_transaction():
                return self._changeform_view(request, None, form_url, extra_context)
        response = super().changeform_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            document = self.get_object(request, object_id)
            services.access_log_record(
                actor=request.user,
                subject=document.employee,
                document=document,
                action=AccessLog.Action.VIEW_RECORD,
                ip=client_ip(request),
            )
            if access.responses_visible_to(request.user).filter(document=document).exists():
                # the employee's responses are shown beside the document: a view of a response too
                services.access_log_record(
                    actor=request.user,
                    subject=document.employee,
                    document=document,
                    action=AccessLog.Action.VIEW_RESPONSE,
                    ip=client_ip(request),
                )
        return response

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        document = services.document_create(  # the one call that adds a document (file, row, notification)
            employee=form.cleaned_data["employee"],
            traject=form.cleaned_data.get("traject"),
            category=form.cleaned_data["category"],
            title=form.cleaned_data["title"],
            is_medical=bool(form.cleaned_data.get("is_medical")) and access.sees_medical(request.user),
            upload=form.cleaned_data["upload"],
            uploaded_by=request.user,
        )
        # the note and the action date are plain fields of the row, set in the same transaction
        note, before = form.cleaned_data.get("note", ""), form.cleaned_data.get("action_needed_before")
        if note or before:
            Document.objects.filter(pk=document.pk).update(note=note, action_needed_before=before)
            document.note, document.action_needed_before = note, before
            page_cache.changed(document.employee_id)
        return document

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if change:  # a new document has no relations to save: the service wrote everything
            super().save_related(request, form, formsets, change)

    def get_urls(self):
        download = self.admin_site.admin_view(self.download_view)
        response_file = self.admin_site.admin_view(self.response_file_view)
        return [
            path("<uuid:pk>/download/", download, name="dossier_document_download"),
            path("<uuid:pk>/responses/<uuid:response_pk>/file/", response_file, name="dossier_response_file"),
            *super().get_urls(),
        ]

    def response_file_view(self, request, pk, response_pk):
        """The file an employee attached to a response, for staff who may see the document."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        response = access.responses_visible_to(request.user).filter(document_id=pk, pk=response_pk).first()
        if response is None or not response.file:
            self.refused(request, pk)
            raise Http404
        services.access_log_record(
            actor=request.user,
            subject=response.document.employee,
            document=response.document,
            action=AccessLog.Action.VIEW_RESPONSE,
            ip=client_ip(request),
        )
        return response_file_response(response)

    def download_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = self.get_queryset(request).filter(pk=pk).select_related("employee").first()
        if document is None:
            self.refused(request, pk)
            raise Http404
        services.access_log_record(
            actor=request.user,
            subject=document.employee,
            document=document,
            action=AccessLog.Action.DOWNLOAD_DOCUMENT,
            ip=client_ip(request),
        )
        return document_response(document, download=True)


# ----------------------------------------------------------------------------------------------- people
@admin.register(User)
class ScopedUserAdmin(EmployeeImportAdminMixin, ScopedAdmin, DjangoUserAdmin):
    """Accounts, under dossier.account_rules: staff see the employees in their scope (administrators see everyone),
    change only the fields the rules give them, and never anyone's password (there is no password form at all).
    HR imports employees from a file here (dossier/imports.py; account_rules rule 7)."""

    form = add_form = UserAdminForm
    ordering = ("last_name", "first_name", "email")
    # The account's state right after the address, where it is seen at 1280 px; the rights columns only for the
    # administrator (HR read "actief ✓" of is_active as "has activated").
    list_display = ("email", "account_state", "first_name", "last_name", "last_login")
    list_filter = ("is_staff", "is_active", "language")
    search_fields = ("email", "first_name", "last_name")
    filter_horizontal = ("groups", "user_permissions")
    actions = ["reset_two_factor", "send_invitation"]

    @staticmethod
    def scope(user):
        return (
            User.objects.all() if account_rules.is_administrator(user) else access.employees_visible_to(user)
        )

    def get_list_display(self, request):
        if account_rules.is_administrator(request.user):
            return (*self.list_display, "is_staff", "is_active")
        return self.list_display

    @staticmethod
    def listed_subjects(obj):
        return obj

    # ------------------------------------------------------------------ what each role may do
    def has_add_permission(self, request):
        return account_rules.may_add_account(request.user)

    def has_change_permission(self, request, obj=None):
        return account_rules.may_change_account(request.user, obj)

    def has_reset_two_factor_permission(self, request):
        return account_rules.may_reset_two_factor(request.user)

    def has_send_invitation_permission(self, request):
        return account_rules.may_invite(request.user)

    def get_fieldsets(self, request, obj=None):
        shown = (
            account_rules.add_fields(request.user)
            if obj is None
            else account_rules.ADMIN_CHANGE_FIELDS
            if account_rules.is_administrator(request.user)
            else account_rules.ADD_FIELDS
        )
        personal = [f for f in ("first_name", "last_name", "birth_date", "mobile", "language") if f in shown]
        fieldsets = [(None, {"fields": ["email"]}), (_("Personal data"), {"fields": personal})]
        if rights := [f for f in account_rules.RIGHTS_FIELDS if f in shown]:
            fieldsets.append((_("Access"), {"fields": rights}))
        if obj is not None:
            fieldsets.append((_("Dates"), {"fields": ["last_login", "date_joined"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        editable = account_rules.change_fields(request.user, obj)
        shown = [f for _name, opts in self.get_fieldsets(request, obj) for f in opts["fields"]]
        return [f for f in shown if f not in editable]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Only the fields the rules give this actor are in the form: anything else that is posted is ignored.
        employee = obj is not None and not (obj.is_staff or obj.is_superuser)
        if employee and "email" in account_rules.change_fields(request.user, obj):
            kwargs["form"] = EmployeeChangeForm  # rule 8: the address is asked, checked when confirmed
            fields = kwargs.get("fields") or [
                f for _name, opts in self.get_fieldsets(request, obj) for f in opts["fields"]
            ]
            kwargs["fields"] = [f for f in fields if f != "email"]
        return admin.ModelAdmin.get_form(self, request, obj, change=change, **kwargs)

    def lookup_allowed(self, lookup, value, request=None):
        return not lookup.startswith("password") and super().lookup_allowed(lookup, value, request)

    def user_change_password(self, request, id, form_url=""):
        # Nobody sets another person's password (dossier.account_rules, rule 2).
        raise Http404

    # ------------------------------------------------------------------ writes go through the services
    def save_model(self, request, obj, form, change):
        if not change:
            account_services.user_create_by_staff(
                user=obj,
                actor=request.user,
                ip=client_ip(request),
                with_rights=account_rules.is_administrator(request.user),
            )
            invitations.invite_new_account(self, request, obj)
            return
        editable = account_rules.change_fields(request.user, obj)
        changes = {
            f: form.cleaned_data[f]
            for f in form.changed_data
            if f in editable and f not in ("groups", "user_permissions")
        }
        account_services.user_update_by_staff(
            user=obj, actor=request.user, changes=changes, ip=client_ip(request)
        )
        contact_changes.notice_after_save(self, request, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        rights = [f for f in ("groups", "user_permissions") if f in form.changed_data]
        if rights and account_rules.is_administrator(request.user):
            account_services.rights_changed_by_administrator(
                user=form.instance, actor=request.user, fields=rights, ip=client_ip(request)
            )

    def get_urls(self):
        decide = self.admin_site.admin_view(self.contact_change_view)
        return [
            path("<path:object_id>/contact-change/", decide, name="accounts_user_contact_change"),
            *super().get_urls(),
        ]

    def contact_change_view(self, request, object_id):
        return contact_changes.decide_view(self, request, object_id)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        subject = self.get_object(request, object_id) if request.method == "GET" else None
        if subject is not None and (change := contact_changes.pending(subject)) is not None:
            may_decide = account_rules.may_decide_contact_change(request.user, change)
            extra_context = {
                **(extra_context or {}),
                "pending_contact_change": change,
                "may_decide_contact_change": may_decide,
            }
        response = super().change_view(request, object_id, form_url, extra_context)
        if (
            request.method == "GET"
            and response.status_code == 200
            and subject is not None
            and not subject.is_staff
        ):
            services.access_log_record(
                actor=request.user,
                subject=subject,
                action=AccessLog.Action.VIEW_RECORD,
                ip=client_ip(request),
            )
        return response

    @admin.action(
        description=_("Reset two-factor authentication (lost phone)"), permissions=["reset_two_factor"]
    )
    def reset_two_factor(self, request, queryset):
        done, refused = 0, 0
        for user in queryset:
            if account_rules.may_reset_two_factor(request.user, user):
                twofactor_reset_by_staff(user=user, actor=request.user, ip=client_ip(request))
                done += 1
            else:
                account_rules.refused(
                    request.user, action="reset two-factor", subject=user, ip=client_ip(request)
                )
                refused += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "Two-factor authentication was reset for %(count)d user; they enrol again at their next login.",
                    "Two-factor authentication was reset for %(count)d users; they enrol again at their next login.",
                    done,
                )
                % {"count": done},
            )
        if refused:
            self.message_user(
                request,
                ngettext(
                    "%(count)d user was not reset: their email or mobile number was changed recently, or the account "
                    "is not one you may reset.",
                    "%(count)d users were not reset: their email or mobile number was changed recently, or the "
                    "accounts are not ones you may reset.",
                    refused,
                )
                % {"count": refused},
                level=messages.WARNING,
            )

    # ------------------------------------------------------------------ invitations (dossier/invitations.py)
    @admin.display(description=_("Account"))
    def account_state(self, obj):
        return invitations.account_state_label(obj)

    @admin.action(description=_("Send the invitation again"), permissions=["send_invitation"])
    def send_invitation(self, request, queryset):
        invitations.resend_action(self, request, queryset)


@admin.register(Employer)
class EmployerAdmin(ScopedAdmin):
    scope = access.employers_visible_to
    search_fields = ("name",)


@admin.register(Employment)
class EmploymentAdmin(ScopedAdmin):
    @staticmethod
    def scope(user):
        return Employment.objects.filter(user__in=access.employees_visible_to(user))

    @staticmethod
    def listed_subjects(obj):
        return obj.user

    list_display = ("user", "employer", "personnel_number", "job_title")
    list_select_related = ("user", "employer")
    search_fields = ("user__email", "user__last_name", "personnel_number")
    autocomplete_fields = ("user", "employer")


@admin.register(Traject)
class TrajectAdmin(ScopedAdmin):
    scope = access.trajects_visible_to

    @staticmethod
    def listed_subjects(obj):
        return obj.employee

    list_display = ("employee", "kind", "start", "end", "status", "case_manager", "company_doctor")
    list_filter = ("kind", "status")
    list_select_related = ("employee", "case_manager", "company_doctor")
    search_fields = ("employee__email", "employee__last_name")
    autocomplete_fields = ("employee",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # the contacts are provider staff (case managers, medical staff), never employer HR
        if db_field.name in ("case_manager", "company_doctor"):
            perm = access.MEDICAL if db_field.name == "company_doctor" else access.ALL_EMPLOYERS
            app, codename = perm.split(".")
            kwargs["queryset"] = (
                User.objects.filter(is_staff=True, is_active=True)
                .filter(
                    Q(is_superuser=True)
                    | Q(
                        groups__permissions__codename=codename,
                        groups__permissions__content_type__app_label=app,
                    )
                )
                .distinct()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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


class AuditKindFilter(admin.SimpleListFilter):
    """The kinds every app registered (core.audit), by their label."""

    title = _("event")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return audit.choices()

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """Security events, read-only, for provider staff only (never employer HR)."""

    @staticmethod
    def scope(user):
        return AuditEvent.objects.all() if access.sees_all_employers(user) else AuditEvent.objects.none()

    list_display = ("at", "kind_label", "user", "actor", "email", "ip", "detail")
    list_filter = (AuditKindFilter,)
    list_select_related = ("user", "actor")
    search_fields = ("email", "user__email", "detail")
    date_hierarchy = "at"

    @admin.display(description=_("event"), ordering="kind")
    def kind_label(self, obj):
        return obj.get_kind_display()


# -----------------------------------------------------------------------------------------------
class AppointmentAdminForm(forms.ModelForm):
    video_url = forms.URLField(label=_("video link"), max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Appointment
        fields = (
            "employee",
            "document",
            "starts_at",
            "duration_minutes",
            "place",
            "video_url",
            "with_whom",
            "cancelled",
        )

    def clean(self):
        cleaned = super().clean()
        document, employee = cleaned.get("document"), cleaned.get("employee")
        if document and employee and document.employee_id != employee.pk:
            raise ValidationError({"document": _("This document belongs to another employee.")})
        if not cleaned.get("place") and not cleaned.get("video_url"):
            raise ValidationError(_("Give a place or a video link."))
        return cleaned


@admin.register(Appointment)
class AppointmentAdmin(ScopedAdmin):
    """Provider staff make and change appointments through appointments.appointment_save (SEQUENCE, mail); the
    employee's answer is shown read-only."""

    form = AppointmentAdminForm
    scope = access.appointments_visible_to
    list_display = ("starts_at", "employee", "with_whom", "cancelled", "answer", "answered_at")
    list_filter = ("answer", "cancelled")
    list_select_related = ("employee",)
    search_fields = ("employee__email", "employee__last_name", "with_whom")
    autocomplete_fields = ("employee",)
    readonly_fields = ("sequence", "answer", "answer_reason", "answered_at")

    @staticmethod
    def listed_subjects(obj):
        return obj.employee

    def get_fields(self, request, obj=None):
        fields = list(AppointmentAdminForm.Meta.fields)
        return fields if obj is None else [*fields, *self.readonly_fields]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "document":
            kwargs["queryset"] = access.documents_visible_to(request.user).filter(
                category=Document.Category.INVITATION
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        appointments.appointment_save(appointment=obj, actor=request.user, ip=client_ip(request))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            appointment = self.get_object(request, object_id)
            services.access_log_record(
                actor=request.user,
                subject=appointment.employee,
                action=AccessLog.Action.VIEW_RECORD,
                ip=client_ip(request),
            )
        return response
