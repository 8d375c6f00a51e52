"""Issue 17: every error a form can show on a Dutch page is Dutch. Each form is fed wrong input in NL and in EN;
a message that reads the same in both languages was never translated (Django's own catalogue included)."""

import pytest
from django.test import RequestFactory
from django.utils import translation

from accounts import forms as accounts_forms
from tests.factories import PASSWORD
from twofactor import forms as twofactor_forms

pytestmark = pytest.mark.django_db

TOO_LONG = "x" * 2000


def _cases(user):
    request = RequestFactory().post("/")
    request.session = {}
    return [
        (
            accounts_forms.LoginForm,
            {"request": request},
            [
                {},
                {"username": "geen-mail", "password": "x"},
                {"username": user.email, "password": "fout"},
                {"username": "a@b.nl", "password": TOO_LONG},
            ],
        ),
        (
            accounts_forms.PasswordResetRequestForm,
            {},
            [
                {},
                {"birth_date": "31-02-1985", "email": "nee"},
                {"birth_date": "x" * 40, "email": "a@" + "b" * 300},
            ],
        ),
        (
            accounts_forms.NewPasswordForm,
            {"user": user},
            [
                {},
                {"new_password1": "kort", "new_password2": "kort"},
                {"new_password1": "password123", "new_password2": "x"},
                {"new_password1": "jan.jansen@example.nl", "new_password2": "jan.jansen@example.nl"},
                {"new_password1": "Jansen1234", "new_password2": "Jansen1234"},
                {"new_password1": TOO_LONG, "new_password2": TOO_LONG},
            ],
        ),
        (
            accounts_forms.PasswordChangeForm,
            {"user": user},
            [{}, {"old_password": "fout", "new_password1": "a", "new_password2": "a"}],
        ),
        (twofactor_forms.MethodForm, {}, [{}, {"method": "fax"}]),
        (twofactor_forms.PhoneForm, {}, [{}, {"number": "123"}, {"number": "06abc"}]),
        (twofactor_forms.TokenForm, {}, [{}, {"token": "1" * 40}]),
        (twofactor_forms.VerifyForm, {}, [{}, {"token": "1" * 40}]),
        (
            twofactor_forms.ReauthForm,
            {"user": user, "request": request},
            [{}, {"password": "fout", "token": "1"}],
        ),
    ]


def _errors(form_class, kwargs, data, language) -> list[str]:
    with translation.override(language):
        form = form_class(data=data, **kwargs)
        form.is_valid()
        return [str(message) for messages in form.errors.values() for message in messages]


def test_every_form_error_on_a_dutch_page_is_dutch(user_factory):
    user = user_factory(email="jan.jansen@example.nl", first_name="Jan", last_name="Jansen")
    user.set_password(PASSWORD)
    user.save()
    english_on_dutch = []
    seen = 0
    for form_class, kwargs, inputs in _cases(user):
        for data in inputs:
            dutch, english = _errors(form_class, kwargs, data, "nl"), _errors(form_class, kwargs, data, "en")
            assert len(dutch) == len(english)
            seen += len(dutch)
            english_on_dutch += [f"{form_class.__name__}: {nl}" for nl, en in zip(dutch, english) if nl == en]
    assert seen > 30
    assert english_on_dutch == []
