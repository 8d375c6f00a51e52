"""Input of the second-factor screens. Forms parse; they never save or send."""

from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from accounts.forms import current_password_field

METHOD_CHOICES = [
    ("sms", _("SMS")),
    ("app", _("Authenticator app")),
    ("passkey", _("Passkey (fingerprint, face or security key)")),
]


RECOVERY_HINT = _(
    "A recovery code has letters and digits. Capitals or small letters, with or without spaces: both work."
)


def _token_field(label=None, *, digits_only=True, help_text=""):
    # one-time-code lets the phone offer the code from the SMS and password managers fill an app code (WCAG 3.3.8).
    # A field that also takes a recovery code (letters and digits) must not force the digits-only keypad.
    attrs = {"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
    if digits_only:
        attrs["inputmode"] = "numeric"
    return forms.CharField(
        label=label or _("Enter the code to validate"),
        max_length=32,
        help_text=help_text,
        widget=forms.TextInput(attrs=attrs),
        error_messages={"required": _("Enter the code.")},
    )


class MethodForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Two-factor authentication method"),
        choices=METHOD_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose SMS, an authenticator app or a passkey.")},
    )

    def __init__(self, *args, allowed=None, **kwargs):
        """`allowed`: the methods this user may choose (twofactor.passkeys.method_allowed); others are not offered."""
        super().__init__(*args, **kwargs)
        if allowed is not None:
            self.fields["method"].choices = [c for c in METHOD_CHOICES if c[0] in allowed]


class PasskeyNameForm(forms.Form):
    name = forms.CharField(
        label=_("Name of this passkey"),
        max_length=64,
        help_text=_("So you can tell your passkeys apart later, for example: iPhone of Jan."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Enter a name for the passkey.")},
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter a name for the passkey."), code="required")
        return name


class PhoneForm(forms.Form):
    number = PhoneNumberField(
        label=_("Enter your mobile number"),
        region="NL",
        help_text=_("For example 0612345678 or +31612345678."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        error_messages={
            "required": _("Enter your mobile number."),
            "invalid": _("Enter a valid mobile number, for example 0612345678."),
        },
    )


class TokenForm(forms.Form):
    token = _token_field()


class VerifyForm(forms.Form):
    token = _token_field(_("Code"), digits_only=False, help_text=RECOVERY_HINT)


class ReauthForm(forms.Form):
    """Password again plus a current code or a recovery code (checked by the view through the services)."""

    password = current_password_field()
    token = _token_field(
        _("Code from your app or SMS, or a recovery code"), digits_only=False, help_text=RECOVERY_HINT
    )

    def __init__(self, *args, user=None, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_password(self):
        password = self.cleaned_data["password"]
        if authenticate(self.request, username=self.user.email, password=password) is None:
            raise forms.ValidationError(_("This password is not correct."), code="wrong_password")
        return password


# -----------------------------------------------------------------------------------------------
class MobileNumberForm(PhoneForm):
    """The new mobile number in Mijn Instellingen (a code goes to it before it is used)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].label = _("New mobile number")


class MobileCodeForm(forms.Form):
    token = _token_field(_("Code from the SMS to your new number"))
