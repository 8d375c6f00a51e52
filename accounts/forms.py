"""Input of the accounts screens: login, "Wachtwoord vergeten" and the new password."""

import re
from datetime import date

from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from accounts.captcha import CaptchaField
from accounts.models import User
from accounts.validators import PASSWORD_MAX_LENGTH

# Day first, as people type it: 17-02-1988, 17/2/1988, 17.02.1988, 17 02 1988, or only digits 17021988; a browser's
# date input sends 1988-02-17. An iPhone's number keypad has no "-", so digits alone must be enough.
_DAY_FIRST = re.compile(r"(\d{1,2})\s*[-/. ]\s*(\d{1,2})\s*[-/. ]\s*(\d{4})", re.ASCII)
_DIGITS_ONLY = re.compile(r"(\d{2})(\d{2})(\d{4})", re.ASCII)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)


def parse_birth_date(text: str) -> date | None:
    """The date a person meant, day first, or None when it is not a real date."""
    text = " ".join(str(text).split())
    if match := _ISO.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DAY_FIRST.fullmatch(text) or _DIGITS_ONLY.fullmatch(text.replace(" ", "")):
        day, month, year = match.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:  # 31-02-1988
        return None


class BirthDateField(forms.CharField):
    """A birth date typed as people type it (see parse_birth_date); one clear, translated error otherwise."""

    default_error_messages = {
        "invalid": _("Enter your date of birth as day, month, year, for example 17-02-1988 or 17021988."),
    }

    def clean(self, value):
        value = super().clean(value)  # the text: required and length first
        if value in self.empty_values:
            return None
        parsed = parse_birth_date(value)
        if parsed is None or not 1900 <= parsed.year <= date.today().year:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


def current_password_field() -> forms.CharField:
    """The user's own password (login, re-authentication): never stripped, filled in by password managers, and
    capped by max_length before authenticate() reaches the hasher (a megabyte of input costs no hashing)."""
    return forms.CharField(
        label=_("Your password"),
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password.")},
    )


class LoginForm(auth_forms.AuthenticationForm):
    username = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        widget=forms.EmailInput(
            attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}
        ),
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter a valid email address."),
        },
    )
    password = current_password_field()
    error_messages = {
        # One message for every failure: it never says which half was wrong or whether the account exists.
        "invalid_login": _(
            "This combination of email address and password is not correct. Check both and try again."
        ),
        "inactive": _(
            "This combination of email address and password is not correct. Check both and try again."
        ),
    }


class PasswordResetRequestForm(forms.Form):
    birth_date = BirthDateField(
        label=_("Date of birth"),
        help_text=_("dd-mm-yyyy. Only digits is fine too, for example 17021988."),
        max_length=32,
        # The number keypad suits "only digits"; on phones whose keypad has "-", "/" or "." those work as well.
        widget=forms.TextInput(
            attrs={"autocomplete": "bday", "inputmode": "numeric", "placeholder": _("dd-mm-yyyy")}
        ),
        error_messages={"required": _("Enter your date of birth.")},
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none"}),
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter a valid email address."),
        },
    )
    captcha = CaptchaField(label=_("Robot check"))

    def __init__(self, *args, remote_ip: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["captcha"].remote_ip = remote_ip


class NewPasswordForm(auth_forms.SetPasswordForm):
    """Django's set-password form; the validators (length 10 to 1024, common passwords) run before hashing."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("New password")
        self.fields["new_password2"].label = _("Repeat the new password")
        for name in ("new_password1", "new_password2"):
            self.fields[name].max_length = PASSWORD_MAX_LENGTH
            self.fields[name].widget.attrs["maxlength"] = PASSWORD_MAX_LENGTH


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's change form with our labels and length limits (validators run before hashing)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Current password")
        self.fields["new_password1"].label = _("New password")
        self.fields["new_password2"].label = _("Repeat the new password")
        for field in self.fields.values():
            field.max_length = PASSWORD_MAX_LENGTH
            field.widget.attrs["maxlength"] = PASSWORD_MAX_LENGTH


class UserAdminForm(forms.ModelForm):
    """The Web Portaal's user form. It never has a password field: nobody sets another person's password.

    Which fields it holds for whom is decided by dossier/account_rules.py (the admin builds it with `fields=`).
    """

    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "birth_date", "mobile", "language")


class EmployeeChangeForm(UserAdminForm):
    """The change form of an employee's account: the email is a plain form field, not the model's, so the form does
    not check it against other accounts. A new address is only asked (dossier/account_rules.py rule 8) and checked
    when it is confirmed; a "this address exists" error here would tell staff which addresses have an account."""

    email = forms.EmailField(label=_("email address"), max_length=254)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].initial = self.instance.email


class ActivationForm(NewPasswordForm):
    """The invitation's activation page: the birth date (the reset's field and formats) and a first password.

    Only parses: the birth date is compared (constant time, throttled) by the service, never here.
    """

    birth_date = PasswordResetRequestForm.base_fields["birth_date"]
    field_order = ["birth_date", "new_password1", "new_password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)
        self.fields["new_password1"].label = _("Choose a password")
        self.fields["new_password2"].label = _("Repeat the password")
