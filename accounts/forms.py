"""Input of the accounts screens: login, "Wachtwoord vergeten" and the new password."""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from accounts.captcha import CaptchaField
from accounts.models import User
from accounts.validators import PASSWORD_MAX_LENGTH

BIRTH_DATE_FORMATS = ["%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d"]  # typed dd-mm-jjjj, or a date input


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
    # max_length stops an absurd input (a megabyte) before authenticate() reaches the hasher.
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password.")},
    )
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
    birth_date = forms.DateField(
        label=_("Date of birth"),
        help_text=_("dd-mm-yyyy"),
        input_formats=BIRTH_DATE_FORMATS,
        widget=forms.TextInput(
            attrs={"autocomplete": "bday", "inputmode": "numeric", "placeholder": "dd-mm-jjjj"}
        ),
        error_messages={
            "required": _("Enter your date of birth."),
            "invalid": _("Enter your date of birth as dd-mm-yyyy, for example 04-07-1985."),
        },
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
