"""Issue 13 in Chromium, NL and EN: Mijn Instellingen -> "Download mijn dossier" -> password and code again ->
prepare (built right after the request, as under `make run`) -> download the ZIP; every step axe-clean."""

import re
import time
import zipfile

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import totp_device_for
from tests.factories import PASSWORD, document_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.parametrize("lang", ["nl", "en"])]

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
T = {
    "nl": {
        "login": "Inloggen",
        "validate": "Valideer",
        "settings": "Mijn Instellingen",
        "confirm": "Bevestigen",
        "export": "Download mijn dossier",
        "prepare": "Dossier klaarzetten",
        "ready": "Uw download staat klaar",
        "zip": "Download het ZIP-bestand",
        "readme": "Alle bestanden zijn toegevoegd.",
    },
    "en": {
        "login": "Log in",
        "validate": "Validate",
        "settings": "My Settings",
        "confirm": "Confirm",
        "export": "Download my dossier",
        "prepare": "Prepare my download",
        "ready": "Your download is ready",
        "zip": "Download the ZIP file",
        "readme": "All files were added.",
    },
}


def test_journey_export_download_my_dossier(portal, journey, employee, lang, tmp_path):
    employee.language = lang
    employee.save()
    totp_device_for(employee)
    document_for(employee, title="Plan van aanpak")
    j = journey("13-export", lang)
    j.page.goto(portal.url + "/accounts/login/")
    if lang == "en":
        j.page.get_by_role("button", name="English").click()
    j.paste(j.page.get_by_label(re.compile("e-mailadres|email address", re.I)), employee.email)
    j.paste(j.page.get_by_label(re.compile("wachtwoord|password", re.I)), PASSWORD)
    j.page.get_by_role("button", name=T[lang]["login"], exact=True).click()
    j.page.locator("#id_token").fill(pyotp.TOTP(SECRET).now())
    j.page.get_by_role("button", name=T[lang]["validate"]).click()
    j.page.get_by_role("link", name=T[lang]["settings"]).click()
    j.page.get_by_role("link", name=T[lang]["export"]).click()
    j.check("reauth")
    j.paste(j.page.get_by_label(re.compile("Uw wachtwoord|Your password")), PASSWORD)
    j.page.locator("#id_token").fill(pyotp.TOTP(SECRET).at(time.time() + 30))
    j.page.get_by_role("button", name=T[lang]["confirm"]).click()
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["export"])
    j.check("export-page")
    j.page.get_by_role("button", name=T[lang]["prepare"]).click()
    expect(j.page.locator(".message").last).to_contain_text(T[lang]["ready"])
    j.check("export-ready")
    with j.page.expect_download() as download:
        j.page.get_by_role("link", name=T[lang]["zip"]).click()
    assert re.fullmatch(r"dossier-\d{4}-\d{2}-\d{2}\.zip", download.value.suggested_filename)
    path = tmp_path / "dossier.zip"
    download.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        assert T[lang]["readme"] in archive.read("README.txt").decode()
        assert any(name.startswith("documents/") for name in archive.namelist())
    assert any("export" in m.get_body(preferencelist=("plain",)).get_content() for m in portal.mails())


def test_journey_export_on_the_demo_data_of_make_run(portal, journey, lang, tmp_path, settings):
    """Issue 31: the same journey on what `make run` seeds (documents sent by staff, medical ones among them):
    Jan (NL) and Emma (EN) get their archive, not "niet gelukt"."""
    import json

    from django.core.management import call_command

    from accounts.models import User
    from dossier.demo import DEMO_PASSWORD

    settings.DEBUG = True
    call_command("seed_demo")
    person = User.objects.get(email="jan.jansen@example.nl" if lang == "nl" else "emma.smith@example.nl")
    totp_device_for(person)
    j = journey("31-export-demo", lang)
    j.page.goto(portal.url + "/accounts/login/")
    j.paste(j.page.get_by_label(re.compile("e-mailadres|email address", re.I)), person.email)
    j.paste(j.page.get_by_label(re.compile("wachtwoord|password", re.I)), DEMO_PASSWORD)
    j.page.get_by_role("button", name=T[lang]["login"], exact=True).click()
    j.page.locator("#id_token").fill(pyotp.TOTP(SECRET).now())
    j.page.get_by_role("button", name=T[lang]["validate"]).click()
    j.page.goto(portal.url + "/dossier/export/")
    j.paste(j.page.get_by_label(re.compile("Uw wachtwoord|Your password")), DEMO_PASSWORD)
    j.page.locator("#id_token").fill(pyotp.TOTP(SECRET).at(time.time() + 30))
    j.page.get_by_role("button", name=T[lang]["confirm"]).click()
    j.page.get_by_role("button", name=T[lang]["prepare"]).click()
    expect(j.page.locator(".message").last).to_contain_text(T[lang]["ready"])
    assert j.page.locator(".alert").count() == 0
    j.check("export-ready")
    with j.page.expect_download() as download:
        j.page.get_by_role("link", name=T[lang]["zip"]).click()
    path = tmp_path / "dossier.zip"
    download.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        data = json.loads(archive.read("dossier.json"))
    assert data["documents"] and all(d["uploaded_by_role"] for d in data["documents"])
