"""WCAG 2.2 without a browser: credential fields, the email carried to the reset, help and the accessibility statement.

The browser journeys (tests/browser) check the rendered pages with axe, at 320 px and with a real paste.
"""

import re
from pathlib import Path

import pytest

from accounts.captcha import local_token
from accounts.forms import LoginForm, NewPasswordForm, PasswordChangeForm, PasswordResetRequestForm
from twofactor.forms import ReauthForm, TokenForm, VerifyForm

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
RESET = "/accounts/password-reset/"
STATEMENT = "/toegankelijkheid/"


def _form(form_class, user):
    if form_class in (NewPasswordForm, PasswordChangeForm):
        return form_class(user)
    if form_class is ReauthForm:
        return form_class(user=user)
    return form_class()


@pytest.mark.parametrize(
    "form_class, field, autocomplete, inputmode",
    [
        (LoginForm, "username", "username", None),
        (LoginForm, "password", "current-password", None),
        (PasswordResetRequestForm, "email", "email", None),
        (NewPasswordForm, "new_password1", "new-password", None),
        (NewPasswordForm, "new_password2", "new-password", None),
        (PasswordChangeForm, "old_password", "current-password", None),
        (PasswordChangeForm, "new_password1", "new-password", None),
        (PasswordChangeForm, "new_password2", "new-password", None),
        # enrolment: six digits only, from the SMS or the app, so the digit keypad
        (TokenForm, "token", "one-time-code", "numeric"),
        # these also take a recovery code (letters and digits): no digits-only keypad
        (VerifyForm, "token", "one-time-code", None),
        (ReauthForm, "password", "current-password", None),
        (ReauthForm, "token", "one-time-code", None),
    ],
)
def test_credential_field_tells_password_managers_and_phones_what_it_is(
    user, form_class, field, autocomplete, inputmode
):
    form = _form(form_class, user)
    attrs, html = form.fields[field].widget.attrs, str(form[field])
    assert f'autocomplete="{autocomplete}"' in html, html
    assert attrs.get("inputmode") == inputmode
    for blocker in ("onpaste", "oncopy", "ondrop", 'autocomplete="off"', "readonly"):
        assert blocker not in html, (field, blocker)


def test_no_template_or_script_blocks_pasting_or_autofill():
    """Accessible authentication (WCAG 3.3.8): nothing cancels a paste or switches the password manager off."""
    sources = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("static/js/*.js")]
    assert sources
    for path in sources:
        text = path.read_text()
        for pattern in (r"onpaste|oncopy|oncut|ondrop", r"""["']paste["']""", r'autocomplete="off"'):
            assert not re.search(pattern, text), f"{path.relative_to(ROOT)}: {pattern}"


def test_reset_form_takes_the_email_from_the_login_page(client):
    body = client.get(RESET, {"email": "jan.jansen@example.nl"}).content.decode()
    assert re.search(r'<input type="email" name="email" value="jan.jansen@example.nl"', body), body


def _page(client, email: str) -> str:
    """The reset page with the typed email, the CSRF token and the single-use robot-check value blanked."""
    body = client.get(RESET, {"email": email}).content.decode()
    body = body.replace(email, "X").replace(email.replace("@", "%40"), "X")
    return re.sub(r'name="(csrfmiddlewaretoken|g-recaptcha-response)" value="[^"]*"', r'name="\1"', body)


def test_reset_prefill_says_nothing_about_whether_the_account_exists(client, user):
    assert _page(client, user.email) == _page(client, "niemand@example.nl")


def test_login_failure_carries_the_typed_email_to_forgot_password(client, user):
    body = client.post("/accounts/login/", {"username": user.email, "password": "fout"}).content.decode()
    assert 'href="/accounts/password-reset/?email=jan.jansen%40example.nl"' in body


def test_reset_limit_keeps_what_was_typed_and_asks_only_the_robot_check_again(client, user, settings):
    settings.ACCOUNTS_RESET_LIMIT_PER_EMAIL = (1, 3600)
    data = {"birth_date": "04-07-1985", "email": user.email}
    client.post(RESET, {**data, "g-recaptcha-response": local_token()})
    response = client.post(RESET, {**data, "g-recaptcha-response": local_token()})
    body = response.content.decode()
    assert response.status_code == 429
    assert f'value="{user.email}"' in body and 'value="1985-07-04"' in body
    assert 'type="checkbox" name="g-recaptcha-response"' in body and " checked" not in body


@pytest.mark.parametrize(
    "language, heading", [("nl", "Toegankelijkheidsverklaring"), ("en", "Accessibility statement")]
)
def test_accessibility_statement_is_public_in_both_languages(client, settings, language, heading):
    settings.PORTAL_CONTACT_PHONE = "020 123 45 67"
    settings.PORTAL_CONTACT_EMAIL = "hulp@arbodienst.example"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(STATEMENT)
    body = response.content.decode()
    assert response.status_code == 200
    assert f'<h1 id="statement-title">{heading}</h1>' in body
    assert "WCAG" in body and "2.2" in body and "axe-core" in body
    assert 'href="tel:0201234567"' in body and 'href="mailto:hulp@arbodienst.example"' in body


def test_accessibility_statement_is_reachable_before_the_second_factor(client, user, login):
    login(user)  # password done, second factor not yet
    assert client.get(STATEMENT).status_code == 200


@pytest.mark.parametrize(
    "url", ["/accounts/login/", RESET, "/accounts/password-reset/sent/", "/accounts/logged-out/", STATEMENT]
)
def test_help_and_statement_are_in_the_same_footer_on_every_page(client, url):
    """Consistent help (WCAG 3.2.6): same block, same order, last on the page."""
    body = client.get(url).content.decode()
    footer = body[body.index('<footer class="site-footer">') :]
    assert footer.index("tel:") < footer.index("mailto:") < footer.index(f'href="{STATEMENT}"')
    assert "</main>" not in footer
