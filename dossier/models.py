"""Employers, a person's place at one, trajects, documents, and the append-only log of who read what."""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import AppendOnlyModel


def documents_storage():
    """The private storage of STORAGES["documents"]: no URL serves it; only the download views stream from it."""
    return storages["documents"]


def document_file_name(instance, filename: str) -> str:
    """The one storage-name rule: the employee's folder and a random name; the original name is display text only."""
    return f"{instance.employee_id}/{uuid.uuid4().hex}"


class Employer(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("employer")
        verbose_name_plural = _("employers")
        ordering = ["name"]
        permissions = [
            ("view_all_employers", _("Can see the employees of every employer (provider staff)")),
        ]

    def __str__(self) -> str:
        return self.name


class Employment(models.Model):
    """The employee's (or HR user's) place at an employer."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="employment",
        verbose_name=_("person"),
    )
    employer = models.ForeignKey(
        Employer, on_delete=models.PROTECT, related_name="employments", verbose_name=_("employer")
    )
    personnel_number = models.CharField(_("personnel number"), max_length=50, blank=True)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("employment")
        verbose_name_plural = _("employments")
        permissions = [
            # HR's bulk import (dossier/imports.py); which employer: dossier/account_rules.py rule 7
            ("import_employees", _("Can import employees (CSV or XLSX) for an employer it sees")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "personnel_number"],
                condition=~models.Q(personnel_number=""),
                name="dossier_employment_unique_personnel_number",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.employer}"


class Traject(models.Model):
    class Kind(models.TextChoices):
        VERZUIM = "verzuim", _("absence")
        COACHING = "coaching", _("coaching")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="trajects",
        verbose_name=_("employee"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    # Issue 12: who the employee contacts about this traject (shown on the dossier and every document page).
    case_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"is_staff": True},
        verbose_name=_("case manager"),
    )
    company_doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"is_staff": True},
        verbose_name=_("company doctor"),
    )

    class Meta:
        verbose_name = _("traject")
        verbose_name_plural = _("trajects")
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="dossier_traject_end_after_start",
            )
        ]

    def __str__(self) -> str:
        # Named after its employee: in the Web Portaal's choices two trajects of one date are told apart.
        return f"{self.employee} – {self.get_kind_display()} {self.start:%d-%m-%Y}"


class Document(models.Model):
    class Category(models.TextChoices):
        INVITATION = "uitnodiging_bedrijfsarts", _("Invitation company doctor")
        PROBLEM_ANALYSIS = "probleemanalyse", _("Problem analysis")
        ACTION_PLAN = "plan_van_aanpak", _("Plan of action")
        ACTION_PLAN_UPDATE = "bijstelling_plan_van_aanpak", _("Adjustment of the plan of action")
        FIRST_YEAR_EVALUATION = "eerstejaarsevaluatie", _("First-year evaluation")
        REINTEGRATION_REPORT = "re_integratieverslag", _("Reintegration report")
        COACHING = "coaching", _("Coaching")
        OTHER = "overig", _("Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("employee"),
    )
    traject = models.ForeignKey(
        Traject,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("traject"),
    )
    category = models.CharField(_("category"), max_length=40, choices=Category.choices)
    title = models.CharField(_("title"), max_length=200)
    is_medical = models.BooleanField(
        _("medical"),
        default=False,
        help_text=_(
            "Medical documents are never shown to the employer; only to the employee and medical staff."
        ),
    )
    file = models.FileField(
        _("file"), storage=documents_storage, upload_to=document_file_name, max_length=255
    )
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True, db_index=True)
    first_opened_at = models.DateTimeField(_("first opened by the employee"), null=True, blank=True)
    # Issue 12: the sender's short note on the document page, and the date by which the employee should act.
    note = models.TextField(
        _("note for the employee"),
        max_length=1000,
        blank=True,
        help_text=_("Shown on the document page. Never put medical details here for non-medical documents."),
    )
    action_needed_before = models.DateField(_("action needed before"), null=True, blank=True)
    # The category's place on the dossier page (the order of Category), computed by the database, so the page's
    # sort (employee, category order, newest first) is one index range scan however large the dossier.
    category_rank = models.GeneratedField(
        expression=models.Case(
            *[
                models.When(category=value, then=models.Value(rank))
                for rank, value in enumerate(Category.values)
            ],
            default=models.Value(len(Category.values)),
            output_field=models.SmallIntegerField(),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at"]
        indexes = [
            models.Index(
                fields=["employee", "category_rank", "-uploaded_at", "id"], name="dossier_doc_page_order"
            ),
            # The dossier page's default order: newest first across categories.
            models.Index(fields=["employee", "-uploaded_at", "id"], name="dossier_doc_newest"),
        ]
        permissions = [("view_medical_document", _("Can see medical documents"))]

    def __str__(self) -> str:
        return self.title

    @property
    def is_unread(self) -> bool:
        return self.first_opened_at is None


class AccessLog(AppendOnlyModel):
    """NEN 7513-style access log: one row per view or download, by anyone. Never changed, never deleted here."""

    is_log = True  # pruned by manage.py prune_audit after the log's retention

    class Role(models.TextChoices):
        EMPLOYEE = "employee", _("employee")
        EMPLOYER_HR = "employer_hr", _("HR of the employer")
        CASE_MANAGER = "case_manager", _("case manager")
        MEDICAL = "medical", _("medical staff")
        ADMINISTRATOR = "administrator", _("administrator")

    class Action(models.TextChoices):
        VIEW_DOSSIER = "view_dossier", _("viewed the dossier")
        VIEW_DOCUMENT = "view_document", _("opened a document")
        DOWNLOAD_DOCUMENT = "download_document", _("downloaded a document")
        VIEW_RECORD = "view_record", _("viewed the record in the Web Portaal")
        VIEW_LIST = "view_list", _("saw your name in a list in the Web Portaal")
        VIEW_DOCUMENT_PAGE = "view_document_page", _("viewed a document's page")
        VIEW_RESPONSE = "view_response", _("viewed your response to a document")
        EXPORT_DOSSIER = "export_dossier", _("requested a download of the whole dossier")
        DOWNLOAD_EXPORT = "download_export", _("downloaded the whole dossier")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    actor_name = models.CharField(_("name"), max_length=300)
    actor_role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    actor_employer = models.CharField(_("employer"), max_length=200, blank=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="access_logs",
        verbose_name=_("employee"),
    )
    document = models.ForeignKey(
        Document,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document"),
    )
    document_title = models.CharField(_("document"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["subject", "-at"], name="dossier_accesslog_subject")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"


# -----------------------------------------------------------------------------------------------
class Response(AppendOnlyModel):
    """The employee's answer to a document (a plan van aanpak, ...): append-only; a later one adds, never edits.

    Part of the re-integration file (AVG): visible to the employee and to the staff who may see the document.
    """

    class Agreement(models.TextChoices):
        AGREE = "agree", _("I agree")
        DISAGREE = "disagree", _("I do not agree")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="responses", verbose_name=_("document")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    agreement = models.CharField(_("agreement"), max_length=16, choices=Agreement.choices)
    own_view = models.TextField(_("own view"), max_length=2000, blank=True)
    file = models.FileField(
        _("file"), storage=documents_storage, upload_to=document_file_name, max_length=255, blank=True
    )
    original_name = models.CharField(_("original file name"), max_length=255, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    # The form's one-time key: a second submit of the same form finds this row instead of adding one.
    submission = models.UUIDField(_("submission"), editable=False)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["document", "submission"], name="dossier_response_once")
        ]

    def __str__(self) -> str:
        return f"{self.at:%d-%m-%Y %H:%M} {self.get_agreement_display()}"


class Appointment(models.Model):
    """An appointment (company doctor, case manager) that an invitation carries; the employee confirms or asks for
    another time. SEQUENCE rises on every change, so calendars replace the old event (RFC 5545)."""

    class Answer(models.TextChoices):
        NONE = "", _("no answer yet")
        CONFIRMED = "confirmed", _("confirmed")
        OTHER_TIME = "other_time", _("asked for another time")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("employee"),
    )
    document = models.ForeignKey(
        Document,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("invitation"),
    )
    starts_at = models.DateTimeField(_("date and time"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration in minutes"), default=30)
    place = models.CharField(_("place"), max_length=300, blank=True)
    video_url = models.URLField(_("video link"), max_length=500, blank=True)
    with_whom = models.CharField(_("with whom"), max_length=200)
    cancelled = models.BooleanField(_("cancelled"), default=False)
    sequence = models.PositiveIntegerField(_("version"), default=0, editable=False)
    answer = models.CharField(_("answer"), max_length=16, choices=Answer.choices, blank=True, default="")
    answer_reason = models.CharField(_("reason"), max_length=500, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["employee", "starts_at"], name="dossier_appointment_upcoming")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=5) & models.Q(duration_minutes__lte=480),
                name="dossier_appointment_duration",
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%d-%m-%Y %H:%M} {self.with_whom}"

    @property
    def ends_at(self):
        import datetime

        return self.starts_at + datetime.timedelta(minutes=self.duration_minutes)


# -----------------------------------------------------------------------------------------------
def export_file_name(instance, filename: str) -> str:
    """Exports live in the private documents storage under exports/ (documents_sweep leaves that folder to
    dossier.exports.export_expire_due), under a random name."""
    return f"exports/{uuid.uuid4().hex}.zip"


class DossierExport(models.Model):
    """ "Download mijn dossier" (AVG art. 15 and 20): one ZIP of the whole dossier, built by the worker, downloadable
    by its employee only, until expires_at (ready + 24 hours); then the file is deleted and the row says expired."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        BUILDING = "building", _("being built")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="dossier_exports",
        verbose_name=_("employee"),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    language = models.CharField(_("language"), max_length=8)
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("build started at"), null=True, blank=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, db_index=True)
    file = models.FileField(
        _("file"), storage=documents_storage, upload_to=export_file_name, max_length=255, blank=True
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    missing_files = models.PositiveIntegerField(_("missing files"), default=0)
    downloads = models.PositiveIntegerField(_("downloads"), default=0)

    class Meta:
        verbose_name = _("dossier export")
        verbose_name_plural = _("dossier exports")
        ordering = ["-requested_at"]
        constraints = [
            # One export at a time per employee: a second request joins the running one.
            models.UniqueConstraint(
                fields=["employee"],
                condition=models.Q(status__in=["requested", "building"]),
                name="dossier_export_one_running",
            )
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.requested_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.REQUESTED, self.Status.BUILDING)
