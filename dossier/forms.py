"""The employee's forms of the dossier: a response to a document, an answer to an appointment."""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dossier.conf import app_settings
from dossier.models import Appointment, Response
from dossier.uploads import sniff


class ResponseForm(forms.Form):
    error_messages = {
        "agreement": _("Choose whether you agree with this document."),
        "view_needed": _("Write in a few words what you do not agree with."),
        "view_too_long": _("Your own view is too long: at most %(max)s characters (you wrote %(length)s)."),
    }

    agreement = forms.ChoiceField(
        label=_("Do you agree with this document?"),
        choices=Response.Agreement.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": error_messages["agreement"],
            "invalid_choice": error_messages["agreement"],
        },
    )
    own_view = forms.CharField(
        label=_("Your own view (optional if you agree)"),
        help_text=_("What do you think of it? Write it in your own words."),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachment = forms.FileField(
        label=_("Add a file (optional)"),
        help_text=_("PDF, PNG, JPEG or Word (.docx); at most 20 MB."),
        required=False,
    )
    submission = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def clean_own_view(self):
        own_view = self.cleaned_data["own_view"]
        limit = app_settings.OWN_VIEW_MAX_CHARS
        if len(own_view) > limit:
            raise ValidationError(
                self.error_messages["view_too_long"],
                code="view_too_long",
                params={"max": limit, "length": len(own_view)},
            )
        return own_view

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            sniff(upload)  # the admin's upload rules; the service checks again
        return upload

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("agreement") == Response.Agreement.DISAGREE and not cleaned.get("own_view"):
            self.add_error(
                "own_view", ValidationError(self.error_messages["view_needed"], code="view_needed")
            )
        return cleaned


class AppointmentAnswerForm(forms.Form):
    error_messages = {
        "answer": _("Choose whether you can come."),
        "reason_needed": _("Tell us briefly why you need another time."),
    }

    answer = forms.ChoiceField(
        label=_("Can you come?"),
        choices=[
            (Appointment.Answer.CONFIRMED, _("Yes, I will come")),
            (Appointment.Answer.OTHER_TIME, _("No, I would like another time")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": error_messages["answer"], "invalid_choice": error_messages["answer"]},
    )
    reason = forms.CharField(
        label=_("Why do you need another time? (short)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("answer") == Appointment.Answer.OTHER_TIME and not cleaned.get("reason"):
            self.add_error(
                "reason", ValidationError(self.error_messages["reason_needed"], code="reason_needed")
            )
        return cleaned


# -----------------------------------------------------------------------------------------------
def _period_end(label, invalid) -> forms.DateField:
    """One end of the access log's period: a date picker, or typed as day-month-year or ISO."""
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%d", "%d-%m-%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": invalid},
    )


class AccessLogFilterForm(forms.Form):
    """The filters of "Wie heeft mijn dossier ingezien" (a GET form): a period and who looked. Only parses."""

    WHO_ALL, WHO_STAFF, WHO_SELF = "all", "staff", "self"
    EARLIEST, LATEST = 2000, 2999  # outside this a date is a typo, and 9999-12-31 + 1 day would overflow
    error_messages = {
        "invalid_date": _("Enter a date as day-month-year, for example 31-12-2026."),
        "out_of_range": _("Enter a date between the years 2000 and 2999."),
        "order": _("The end date is before the start date. Choose an end date on or after the start date."),
        "who": _("Choose whose views to show."),
    }

    date_from = _period_end(_("From"), error_messages["invalid_date"])
    date_to = _period_end(_("To"), error_messages["invalid_date"])
    who = forms.ChoiceField(
        label=_("Who"),
        required=False,
        choices=[
            (WHO_ALL, _("Everyone")),
            (WHO_STAFF, _("Staff (employer, occupational health service)")),
            (WHO_SELF, _("Myself")),
        ],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": error_messages["who"]},
    )

    def _in_range(self, name):
        value = self.cleaned_data.get(name)
        if value is not None and not (self.EARLIEST <= value.year <= self.LATEST):
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return value

    def clean_date_from(self):
        return self._in_range("date_from")

    def clean_date_to(self):
        return self._in_range("date_to")

    def clean_who(self):
        return self.cleaned_data.get("who") or self.WHO_ALL

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", ValidationError(self.error_messages["order"], code="order"))
        return data
