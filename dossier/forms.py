"""The employee's forms of the dossier (issue 12): a response to a document, an answer to an appointment."""

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
                self.error_messages["view_too_long"], code="view_too_long",
                params={"max": limit, "length": len(own_view)},
            )  # fmt: skip
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
