"""Issue 11 in Chromium, NL and EN (axe on every step): from the invitation mail to the first document, without
anyone having set or told the employee a password."""

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.factories import document_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.parametrize("lang", ["nl", "en"])]

T = {
    "nl": {"activate": "Activeer uw account", "button": "Activeren", "choose": "Kies uw methode",
           "validate": "Valideer", "continue": "Ik heb mijn codes bewaard, verder", "dossier": "Mijn eigen dossier"},
    "en": {"activate": "Activate your account", "button": "Activate", "choose": "Choose your method",
           "validate": "Validate", "continue": "I have saved my codes, continue", "dossier": "My own dossier"},
}  # fmt: skip


def test_journey_invitation_mail_activation_second_factor_first_document(portal, journey, employee, lang):
    from accounts.services import invitation_send

    employee.language = lang
    employee.set_unusable_password()
    employee.save()
    document = document_for(employee, title="Uitnodiging spreekuur", category="uitnodiging_bedrijfsarts")
    assert invitation_send(user=employee, actor=None, ip=None)  # the newest link: the document mail's one died
    link = portal.last_link()
    assert "/accounts/activate/" in link

    j = journey("11-invitation", lang)
    j.page.goto(link)
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["activate"])
    assert "/set-password/" in j.page.url  # the token left the address bar
    j.check("activate")
    j.page.get_by_label(re.compile("Geboortedatum|Date of birth")).fill("04-07-1985")
    j.paste(j.page.locator("#id_new_password1"), "mijn-eigen-gekozen-wachtwoord")
    j.paste(j.page.locator("#id_new_password2"), "mijn-eigen-gekozen-wachtwoord")
    j.page.get_by_role("button", name=T[lang]["button"], exact=True).click()
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["choose"])
    j.check("choose-method")
    j.page.get_by_label(re.compile("Authenticatie-app|Authenticator app")).check()
    j.page.locator("form button.btn-primary").click()
    secret = j.page.locator("#totp-secret").inner_text().replace(" ", "")
    j.paste(j.page.locator("#id_token"), pyotp.TOTP(secret).now())
    j.page.get_by_role("button", name=T[lang]["validate"]).click()
    expect(j.page.locator(".codes li")).to_have_count(10)
    j.page.get_by_role("button", name=T[lang]["continue"]).click()
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["dossier"])
    j.check("dossier")
    with j.page.expect_response(re.compile(r"/dossier/documents/")) as response:
        j.page.get_by_role("link", name="Uitnodiging spreekuur", exact=True).click()
    assert response.value.status == 200
    assert response.value.url.endswith(f"/dossier/documents/{document.pk}/")
