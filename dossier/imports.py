"""HR's bulk import of employees with django-import-export: a CSV or XLSX for one employer, a preview with
every row's errors before anything is saved, all or nothing, an invitation for each new employee after commit.

Who may import for which employer: dossier/account_rules.py (rule 7). Each employee is made by
dossier.services.employee_create_imported, the same account service as the admin's add form. The file is parsed
here, cell by cell, into one translated message per bad cell that names its row and column; no cell is ever
evaluated (a "=cmd|..." is a name like any other), and the portal exports nothing back.
"""

from datetime import date, datetime

import tablib
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from import_export import resources, widgets
from import_export.admin import ImportMixin
from import_export.fields import Field
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.resources import Diff
from import_export.tmp_storages import CacheStorage
from phonenumber_field.formfields import PhoneNumberField

from accounts.forms import parse_birth_date
from core.throttling import client_ip
from dossier import access, account_rules, services
from dossier.conf import app_settings
from dossier.models import Employment

User = get_user_model()

SESSION_FILE_KEY = (
    "dossier.import_file"  # the stored file of this session's preview: only it can be confirmed
)

# The columns, in the file's order (the first row of the file names them; case and spaces do not matter). Each has
# its Dutch name and the English spellings HR may use. "werkgever" is optional: if given, it must be the employer
# chosen on the page.
COLUMNS = {
    "email": ("email", "e-mail", "emailadres", "e-mailadres", "email address"),
    "voornaam": ("voornaam", "first name", "first_name"),
    "achternaam": ("achternaam", "last name", "last_name"),
    "geboortedatum": ("geboortedatum", "date of birth", "birth date", "birth_date"),
    "mobiel": ("mobiel", "mobiel nummer", "mobile", "mobile number"),
    "personeelsnummer": ("personeelsnummer", "personnel number", "personnel_number"),
    "functie": ("functie", "job title", "job_title"),
    "werkgever": ("werkgever", "employer"),
}
REQUIRED = ("email", "voornaam", "achternaam", "geboortedatum")


class ImportRefused(Exception):
    """The file as a whole cannot be imported (columns missing, too many rows): a translated message, no traceback."""

    refused = True  # the import page shows the message of these only


def _canonical(header) -> str:
    text = " ".join(force_str(header or "").replace("\ufeff", "").split()).casefold()
    for column, spellings in COLUMNS.items():
        if text in spellings:
            return column
    return text


def _text(value) -> str:
    """A cell as text, never evaluated: a number from a spreadsheet without its ".0", everything else as typed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(force_str(value).split())


# ----------------------------------------------------------------------------------------------- file formats
class EmployeeCSV(CSV):
    """CSV as spreadsheets write it in the Netherlands: ";" or "," between cells, UTF-8 (with or without BOM) or
    Windows-1252 (Excel's "CSV (gescheiden door lijstscheidingsteken)")."""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError:
                in_stream = in_stream.decode("cp1252")
        first_line = in_stream.lstrip("\ufeff").split("\n", 1)[0]
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        return tablib.import_set(in_stream.lstrip("\ufeff"), format="csv", delimiter=delimiter)


class EmployeeImportStorage(CacheStorage):
    """The uploaded file between preview and confirmation: in the shared cache, for one hour at most."""

    CACHE_LIFETIME = 3600
    CACHE_PREFIX = "dossier.import."


# ----------------------------------------------------------------------------------------------- the resource
class _Shown(widgets.Widget):
    """How a value appears in the preview: plain text (Django escapes it), a date as dd-mm-jjjj."""

    def clean(self, value, row=None, **kwargs):
        return value

    def render(self, value, obj=None, **kwargs):
        if isinstance(value, date):
            return value.strftime("%d-%m-%Y")
        return "" if value is None else force_str(value)


class _PlainDiff(Diff):
    """Every row is new: the preview shows the values as text (the library's diff colours through inline styles,
    which the portal's Content-Security-Policy refuses)."""

    def as_html(self):
        return [force_str(value) for value in self.right]


class EmployeeImportResource(resources.ModelResource):
    email = Field(attribute="email", column_name="email", widget=_Shown())
    first_name = Field(attribute="first_name", column_name="voornaam", widget=_Shown())
    last_name = Field(attribute="last_name", column_name="achternaam", widget=_Shown())
    birth_date = Field(attribute="birth_date", column_name="geboortedatum", widget=_Shown())
    mobile = Field(attribute="mobile", column_name="mobiel", widget=_Shown())
    personnel_number = Field(
        attribute="import_personnel_number", column_name="personeelsnummer", widget=_Shown()
    )
    job_title = Field(attribute="import_job_title", column_name="functie", widget=_Shown())

    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "birth_date", "mobile", "personnel_number", "job_title")
        import_order = fields
        force_init_instance = (
            True  # every row is a new employee; an existing address is an error, never an update
        )
        clean_model_instances = False  # import_instance checks every cell itself, with row and column
        use_transactions = True
        skip_unchanged = False

    def __init__(self, *, actor=None, employer=None, ip=None, report=None, **kwargs):
        super().__init__(**kwargs)
        self.actor, self.employer, self.ip = actor, employer, ip
        self.report = report if report is not None else {}  # outlives the rolled-back preview (see the admin)
        self._emails: dict[str, int] = {}
        self._numbers: dict[str, int] = {}
        self._refused = False

    @classmethod
    def get_display_name(cls):
        return _("Employees")

    def get_diff_class(self):
        return _PlainDiff

    # ------------------------------------------------------------------ the file as a whole
    def before_import(self, dataset, **kwargs):
        self._refused = True  # until every check of the file passed: no row is looked at
        if self.employer is None or not account_rules.may_import_for(self.actor, self.employer.pk):
            raise ImportRefused(_("You may not import employees for this employer."))
        dataset.headers = [_canonical(h) for h in (dataset.headers or [])]
        if missing := [c for c in REQUIRED if c not in dataset.headers]:
            raise ImportRefused(
                _("The first row of the file must name the columns; missing: %(columns)s.")
                % {"columns": ", ".join(missing)}
            )
        if len(dataset) > app_settings.IMPORT_MAX_ROWS:
            raise ImportRefused(
                _("The file has %(count)d rows; import at most %(max)d at a time.")
                % {"count": len(dataset), "max": app_settings.IMPORT_MAX_ROWS}
            )
        self._refused = False

    def import_row(self, row, instance_loader, **kwargs):
        # The file as a whole was refused (its error is the import's), or an empty line (";;;;;;" as spreadsheets
        # write them at the end): not a row to import.
        if self._refused or not any(_text(value) for value in row.values()):
            skipped = self.get_row_result_class()()
            skipped.import_type = skipped.IMPORT_TYPE_SKIP
            return skipped
        return super().import_row(row, instance_loader, **kwargs)

    def after_import(self, dataset, result, **kwargs):
        # Not ModelResource's: it resets the id sequence (for imported ids), which races with other inserts.
        if not kwargs.get("dry_run") and not result.has_errors() and not result.has_validation_errors():
            count = result.totals["new"] - len(self.report.get("hidden", ()))
            services.employee_import_record(actor=self.actor, ip=self.ip, employer=self.employer, count=count)

    # ------------------------------------------------------------------ one row
    def import_instance(self, instance, row, **kwargs):
        number = kwargs.get("row_number")
        errors: dict[str, str] = {}

        def problem(column, message):
            errors[column] = _("Row %(row)s, column “%(column)s”: %(problem)s") % {
                "row": number,
                "column": column,
                "problem": message,
            }

        cells = {column: row.get(column) for column in COLUMNS}
        texts = {column: _text(value) for column, value in cells.items()}
        for column in REQUIRED:
            if not texts[column]:
                problem(column, _("this cell is empty; it is required."))

        email = texts["email"].lower()
        if email and (len(email) > 254 or not _valid_email(email)):
            problem("email", _("this is not a valid email address."))
        elif email and email in self._emails:
            problem("email", _("this email address is also in row %(row)s.") % {"row": self._emails[email]})
        elif email:
            self._emails[email] = number
            if access.employees_visible_to(self.actor).filter(email__iexact=email).exists():
                problem(
                    "email", _("an employee with this email address already exists; change it in the list.")
                )
            elif User.objects.filter(email__iexact=email).exists():
                # An account the importer cannot see (rule 7): the preview answers as for an unused address, so it
                # tells nothing; the row is held (never created, the account untouched) and audited with the address.
                self.report.setdefault("hidden", []).append(email)
                instance.import_held = True

        for column, limit in (
            ("voornaam", 150),
            ("achternaam", 150),
            ("functie", 150),
            ("personeelsnummer", 50),
        ):
            if len(texts[column]) > limit:
                problem(column, _("at most %(max)d characters.") % {"max": limit})

        birth_date = _birth_date(cells["geboortedatum"])
        if texts["geboortedatum"] and birth_date is None:
            problem("geboortedatum", _("enter the date as day-month-year, for example 17-02-1988."))

        mobile = ""
        if texts["mobiel"]:
            try:
                mobile = PhoneNumberField(region="NL").clean(texts["mobiel"])
            except ValidationError:
                problem(
                    "mobiel", _("this is not a valid mobile number; for example 0612345678 or +31612345678.")
                )

        personnel_number = texts["personeelsnummer"]
        if personnel_number and personnel_number in self._numbers:
            problem(
                "personeelsnummer",
                _("this personnel number is also in row %(row)s.") % {"row": self._numbers[personnel_number]},
            )
        elif personnel_number:
            self._numbers[personnel_number] = number
            if Employment.objects.filter(employer=self.employer, personnel_number=personnel_number).exists():
                problem("personeelsnummer", _("this personnel number is already in use at this employer."))

        if texts["werkgever"] and texts["werkgever"].casefold() != self.employer.name.casefold():
            problem(
                "werkgever",
                _("this row is for another employer; this import is for “%(employer)s” only.")
                % {"employer": self.employer.name},
            )

        if errors:
            raise ValidationError(errors)
        instance.email, instance.first_name, instance.last_name = (
            email,
            texts["voornaam"],
            texts["achternaam"],
        )
        instance.birth_date, instance.mobile = birth_date, mobile
        instance.import_personnel_number, instance.import_job_title = personnel_number, texts["functie"]

    def save_instance(self, instance, is_create, row, **kwargs):
        if getattr(instance, "import_held", False):
            return
        services.employee_create_imported(
            user=instance,
            employer=self.employer,
            personnel_number=instance.import_personnel_number,
            job_title=instance.import_job_title,
            actor=self.actor,
            ip=self.ip,
            invite=not kwargs.get("dry_run"),
        )


_email_validator = EmailValidator()


def _valid_email(email: str) -> bool:
    try:
        _email_validator(email)
    except ValidationError:
        return False
    return True


def _birth_date(value) -> date | None:
    """A spreadsheet's date cell as it is; text day first (dd-mm-jjjj) or ISO (jjjj-mm-dd), as the reset form."""
    if isinstance(value, datetime):
        value = value.date()
    parsed = value if isinstance(value, date) else parse_birth_date(_text(value))
    return parsed if parsed is not None and 1900 <= parsed.year <= date.today().year else None


# ----------------------------------------------------------------------------------------------- forms
class EmployeeImportForm(ImportForm):
    employer = forms.ModelChoiceField(
        label=gettext_lazy("Employer"),
        queryset=None,  # the employers this user may import for: set per request
        error_messages={"invalid_choice": gettext_lazy("You may not import employees for this employer.")},
    )
    field_order = ["employer", "resource", "import_file", "format"]

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > app_settings.IMPORT_MAX_BYTES:
            raise ValidationError(
                _("The file is too large: at most %(mb)d MB.")
                % {"mb": app_settings.IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        return upload


class EmployeeConfirmImportForm(ConfirmImportForm):
    employer = forms.ModelChoiceField(
        queryset=None,
        widget=forms.HiddenInput(),
        error_messages={"invalid_choice": gettext_lazy("You may not import employees for this employer.")},
    )


# ----------------------------------------------------------------------------------------------- the admin
class EmployeeImportAdminMixin(ImportMixin):
    """django-import-export's import pages on the Web Portaal's user list, under account_rules rule 7."""

    resource_classes = [EmployeeImportResource]
    import_form_class = EmployeeImportForm
    confirm_form_class = EmployeeConfirmImportForm
    import_template_name = "admin/dossier/employee_import.html"
    tmp_storage_class = EmployeeImportStorage
    skip_admin_log = False

    @property
    def import_formats(self):
        return [EmployeeCSV, XLSX]

    def has_import_permission(self, request):
        return account_rules.may_import(request.user)

    def _refuse_other_employer(self, request) -> None:
        """A POST for an employer outside the rules is refused as a whole (the form says so) and audited."""
        posted = request.POST.get("employer")
        if request.method == "POST" and posted and not account_rules.may_import_for(request.user, posted):
            services.employee_import_record(
                actor=request.user, ip=client_ip(request), employer=posted[:20], count=0, refused=True
            )

    def create_import_form(self, request):
        form = super().create_import_form(request)
        employers = account_rules.import_employers(request.user)
        form.fields["employer"].queryset = employers
        if len(employers) == 1:
            form.fields["employer"].initial = employers[0].pk
        return form

    def create_confirm_form(self, request, import_form=None):
        form = super().create_confirm_form(request, import_form)
        form.fields["employer"].queryset = account_rules.import_employers(request.user)
        return form

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["employer"] = import_form.cleaned_data["employer"].pk
            request.session[SESSION_FILE_KEY] = [initial["import_file_name"], str(initial["employer"])]
        return initial

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        employer = getattr(form, "cleaned_data", {}).get("employer") if form is not None else None
        report = request.__dict__.setdefault(
            "dossier_import_report", {}
        )  # what the resource found (see below)
        return {"actor": request.user, "employer": employer, "ip": client_ip(request), "report": report}

    def _audit_hidden_addresses(self, request) -> None:
        """Addresses of accounts the importer cannot see look like unused ones, in the preview and after it; each one
        a file names is audited with actor, IP and address (after the preview's rollback), for the provider."""
        report = request.__dict__.pop("dossier_import_report", {})
        for address in report.get("hidden", ()):
            services.employee_import_record(
                actor=request.user,
                ip=client_ip(request),
                employer=None,
                count=1,
                hidden_addresses=True,
                address=address,
            )

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs.pop("request", None)
        return {**kwargs, "use_transactions": True, "rollback_on_validation_errors": True}

    def import_action(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        self._refuse_other_employer(request)
        try:
            return super().import_action(request, **kwargs)
        finally:
            self._audit_hidden_addresses(request)

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        self._refuse_other_employer(request)
        previewed = request.session.get(SESSION_FILE_KEY)
        posted = [request.POST.get("import_file_name"), request.POST.get("employer")]
        if not previewed or posted != previewed:
            # Only the file this session previewed, for the employer it was previewed for, can be confirmed: not
            # another user's upload (its name guessed or seen), not the same file for another employer.
            self.message_user(
                request,
                _("This import has expired or was already done. Upload the file again."),
                level=messages.ERROR,
            )
            return self._import_page(request)
        confirm_form = self.create_confirm_form(request)
        if not confirm_form.is_valid():  # the rights changed since the preview: refused as a whole
            self.message_user(
                request, _("You may not import employees for this employer."), level=messages.ERROR
            )
            return self._import_page(request)
        try:
            return super().process_import(request, **kwargs)
        finally:
            self._audit_hidden_addresses(request)

    def process_dataset(self, dataset, form, request, **kwargs):
        request.session.pop(SESSION_FILE_KEY, None)
        return super().process_dataset(dataset, form, request, **kwargs)

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # Something changed since the preview (an address taken meanwhile): nothing was saved.
            self.message_user(
                request,
                _("Nothing was imported: the file has errors. Correct them and upload it again."),
                level=messages.ERROR,
            )
            return self._import_page(request, result=result)
        return super().process_result(result, request)

    def add_success_message(self, result, request):
        # Held rows (an address of an account outside the importer's scope) are counted as the others: what HR
        # sees never depends on whether an address it cannot see exists; the provider picks them up from the audit.
        count = result.totals["new"]
        self.message_user(
            request,
            ngettext(
                "%(count)d row was processed; a new employee gets an invitation mail to activate the account.",
                "%(count)d rows were processed; each new employee gets an invitation mail to activate the account.",
                count,
            )
            % {"count": count},
        )

    def _import_page(self, request, result=None):
        form = self.create_import_form(_GetOnly(request))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import"),
            "form": form,
            "opts": self.model._meta,
            "media": self.media + form.media,
            "result": result,
            "fields_list": [
                (
                    EmployeeImportResource.get_display_name(),
                    [f.column_name for f in EmployeeImportResource().get_user_visible_fields()],
                )
            ],
            "import_error_display": self.import_error_display,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)


class _GetOnly:
    """The request as an empty GET, to build a fresh import form beside a failed confirmation."""

    def __init__(self, request):
        self.user, self.POST, self.FILES, self.method = request.user, {}, {}, "GET"
