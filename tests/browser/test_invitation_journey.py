"""Issue 11 in Chromium, NL and EN (axe on every step): from the invitation mail to the first document, without
anyone having set or told the employee a password."""

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.factories import document_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.parametrize("lang", ["nl", "en"])]

T = {
    "nl": {
        "activate": "Activeer uw account",
        "button": "Activeren",
        "choose": "Kies uw methode",
        "validate": "Valideer",
        "continue": "Ik heb mijn codes bewaard, verder",
        "dossier": "Mijn eigen dossier",
    },
    "en": {
        "activate": "Activate your account",
        "button": "Activate",
        "choose": "Choose your method",
        "validate": "Validate",
        "continue": "I have saved my codes, continue",
        "dossier": "My own dossier",
    },
}


def test_journey_invitation_mail_activation_second_factor_first_document(portal, journey, employee, lang):
    from accounts.services import invitation_send

    employee.language = lang
    employee.set_unusable_password()
    employee.save()
    document = document_for(employee, title="Uitnodiging spreekuur", category="uitnodiging_bedrijfsarts")
    assert invitation_send(
        user=employee, actor=None, ip=None
    )  # the newest link: the document mail's one died
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


IMPORT_T = {
    "nl": {
        "import": "Importeren",
        "submit": "Toon het voorbeeld",
        "confirm": "Import bevestigen",
        "activate": "Activeer uw account",
    },
    "en": {
        "import": "Import",
        "submit": "Show the preview",
        "confirm": "Confirm import",
        "activate": "Activate your account",
    },
}


def test_journey_hr_imports_a_csv_and_the_new_employee_is_invited(portal, journey, employee, lang, tmp_path):
    """Issue 11's "done when", first half: HR imports a small CSV in the Web Portaal (preview, confirm); the new
    employee's invitation mail opens the activation page. Axe on every step."""
    from django.contrib.auth.models import Group, Permission

    from accounts.models import User
    from dossier.models import Employment
    from dossier.roles import HR, ensure_roles
    from tests.browser.conftest import totp_device_for
    from tests.browser.test_journeys import T as LOGIN_T
    from tests.browser.test_journeys import _login, _pick_language
    from tests.factories import UserFactory

    ensure_roles(Group, Permission, strict=True)
    hr = UserFactory(email="hr@bakkerij.nl", first_name="Hanna", is_staff=True, language=lang)
    hr.groups.add(Group.objects.get(name=HR))
    Employment.objects.create(user=hr, employer=employee.employment.employer)
    totp_device_for(hr)
    upload = tmp_path / "medewerkers.csv"
    upload.write_text(
        "email;voornaam;achternaam;geboortedatum;mobiel;personeelsnummer;functie\n"
        "sanne@example.nl;Sanne;Smit;12-04-1992;0612340001;B-1;Bakker\n",
        encoding="utf-8",
    )

    j = journey("11-import", lang)
    j.page.goto(portal.url + "/admin/")
    _pick_language(j.page, lang)
    _login(j, hr.email)
    j.page.locator("#id_token").fill(pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").now())
    j.page.get_by_role("button", name=LOGIN_T[lang]["validate"]).click()
    j.page.goto(portal.url + "/admin/accounts/user/")
    j.check("user-list")  # with the "Import" button of django-import-export's change list
    j.page.get_by_role("link", name=IMPORT_T[lang]["import"], exact=True).click()
    j.check("import-form")
    j.page.locator("#id_import_file").set_input_files(str(upload))
    j.page.locator("#id_format").select_option(label="csv")
    j.page.get_by_role("button", name=IMPORT_T[lang]["submit"]).click()
    expect(j.page.locator("table.import-preview")).to_contain_text("sanne@example.nl")
    j.check("import-preview")
    assert not User.objects.filter(email="sanne@example.nl").exists()
    j.page.get_by_role("button", name=IMPORT_T[lang]["confirm"]).click()
    expect(j.page.locator(".messagelist")).to_be_visible()
    j.check("imported")
    sanne = User.objects.get(email="sanne@example.nl")
    assert sanne.employment.employer == employee.employment.employer and not sanne.has_usable_password()

    message = portal.mails()[-1]
    assert message["To"] == "sanne@example.nl"
    link = portal.last_link()
    assert "/accounts/activate/" in link
    invited = journey("11-import-invited", "nl")  # the new employee's language: the default, Dutch
    invited.page.goto(link)
    expect(invited.page.get_by_role("heading", level=1)).to_have_text(IMPORT_T["nl"]["activate"])
