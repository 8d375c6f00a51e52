"""The manual, screen by screen, in Chromium, in Dutch and in English (screenshots under var/screenshots/)."""

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import totp_device_for
from tests.factories import PASSWORD, document_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.parametrize("lang", ["nl", "en"])]

T = {
    "nl": {
        "title": "Mijn eigen dossier inzien",
        "login": "Inloggen",
        "choose": "Kies uw methode",
        "validate": "Valideer",
        "continue": "Ik heb mijn codes bewaard, verder",
        "dossier": "Mijn eigen dossier",
        "forgot": "Wachtwoord vergeten",
        "robot": "Ik ben geen robot",
        "send": "Versturen",
        "ok": "OK",
        "cancel": "Annuleren",
        "changed": "Uw wachtwoord is gewijzigd",
        "settings": "Mijn Instellingen",
        "confirm": "Bevestigen",
        "send_sms": "Stuur sms-code",
        "wrong_login": "Deze combinatie van e-mailadres",
        "wrong_code": "Deze code is niet juist",
        "throttled": "Te veel onjuiste codes",
        "logout": "Uitloggen",
        "sent": "Controleer uw e-mail",
        "statement": "Toegankelijkheidsverklaring",
        "resend": "Stuur een nieuwe sms-code",
        "open_app": "Openen in authenticatie-app",
        "copy": "Kopieer sleutel",
    },
    "en": {
        "title": "View my own dossier",
        "login": "Log in",
        "choose": "Choose your method",
        "validate": "Validate",
        "continue": "I have saved my codes, continue",
        "dossier": "My own dossier",
        "forgot": "Forgot password",
        "robot": "I'm not a robot",
        "send": "Send",
        "ok": "OK",
        "cancel": "Cancel",
        "changed": "Your password has been changed",
        "settings": "My Settings",
        "confirm": "Confirm",
        "send_sms": "Send SMS code",
        "wrong_login": "This combination of email address",
        "wrong_code": "This code is not correct",
        "throttled": "Too many wrong codes",
        "logout": "Log out",
        "sent": "Check your email",
        "statement": "Accessibility statement",
        "resend": "Send a new SMS code",
        "open_app": "Open in authenticator app",
        "copy": "Copy key",
    },
}


def _pick_language(page, lang):
    if lang == "en":
        page.get_by_role("button", name="English").click()


def _login(j, email, password=PASSWORD):
    """As with a password manager or a copied password: pasted, never typed from memory (WCAG 3.3.8)."""
    j.paste(j.page.get_by_label(re.compile("e-mailadres|email address", re.I)), email)
    j.paste(j.page.get_by_label(re.compile("wachtwoord|password", re.I)), password)
    j.page.get_by_role("button", name=T[j.language]["login"], exact=True).click()


def test_journey_1_mail_link_login_enrol_app_recovery_codes_document(portal, journey, employee, lang):
    employee.language = lang
    employee.save()
    document = document_for(employee, title="Uitnodiging spreekuur", category="uitnodiging_bedrijfsarts")
    link = portal.last_link()
    assert f"next=%2Fdossier%2Fdocuments%2F{document.pk}%2F" in link
    j = journey("1-mail-link-app", lang)
    j.page.goto(link)
    _pick_language(j.page, lang)
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["title"])
    j.check("login")
    _login(j, employee.email)
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["choose"])
    j.check("choose-method")
    j.page.get_by_label(re.compile("Authenticatie-app|Authenticator app")).check()
    j.page.locator("form button.btn-primary").click()
    j.check("scan-qr")
    secret = j.page.locator("#totp-secret").inner_text().replace(" ", "")
    j.paste(j.page.locator("#id_token"), pyotp.TOTP(secret).now())  # copied from the app
    j.page.get_by_role("button", name=T[lang]["validate"]).click()
    expect(j.page.locator(".codes li")).to_have_count(10)
    j.check("recovery-codes")
    with j.page.expect_response(re.compile(r"/dossier/documents/")) as response:
        j.page.get_by_role("button", name=T[lang]["continue"]).click()
    assert response.value.status == 200
    assert response.value.headers["content-type"].startswith("text/html")  # issue 12: the page, not the file
    assert j.page.url.endswith(f"/dossier/documents/{document.pk}/")
    expect(j.page.get_by_role("heading", level=1)).to_have_text("Uitnodiging spreekuur")
    j.check("document-page")
    j.page.goto(portal.url + "/dossier/")
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["dossier"])
    j.check("dossier")
    j.page.goto(portal.url + "/dossier/access-log/")
    j.check("access-log")


def test_journey_2_logout_and_login_with_sms(portal, journey, employee, lang):
    from twofactor.models import SMSDevice

    employee.language = lang
    employee.save()
    SMSDevice.objects.create(user=employee, name="sms", number="+31612345678", confirmed=True)
    j = journey("2-sms-login", lang)
    j.page.goto(portal.url + "/accounts/login/")
    _pick_language(j.page, lang)
    _login(j, employee.email)
    expect(j.page.locator("#id_token")).to_be_visible()
    j.check("sms-code")
    j.paste(j.page.locator("#id_token"), portal.last_sms_code())  # as the phone offers it from the SMS
    j.page.get_by_role("button", name=T[lang]["validate"]).click()
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["dossier"])
    j.page.get_by_role("button", name=T[lang]["logout"]).click()
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["title"])
    j.check("logged-out")
    # Help and the accessibility statement: in the footer of every page, also before logging in (WCAG 3.2.6)
    j.page.get_by_role("contentinfo").get_by_role("link", name=T[lang]["statement"]).click()
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["statement"])
    j.check("accessibility-statement")


def test_journey_3_forgot_password_then_login_and_cancel_keeps_the_old_one(portal, journey, employee, lang):
    employee.language = lang
    employee.save()
    totp_device_for(employee)
    j = journey("3-forgot-password", lang)
    j.page.goto(portal.url + "/accounts/login/")
    _pick_language(j.page, lang)
    # The email typed on the login page comes along to "Wachtwoord vergeten" (WCAG 3.3.7)
    j.page.get_by_label(re.compile("e-mailadres|email address", re.I)).type(employee.email)
    j.page.get_by_role("link", name=T[lang]["forgot"]).click()
    expect(j.page.get_by_label(re.compile("^E-mailadres|^Email address"))).to_have_value(employee.email)
    j.check("reset-form")
    j.page.get_by_label(re.compile("Geboortedatum|Date of birth")).fill(
        "04071985"
    )  # an iPhone keypad has no "-"
    j.page.get_by_label(T[lang]["robot"]).check()
    j.page.get_by_role("button", name=T[lang]["send"]).click()
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["sent"])
    j.check("reset-sent")
    j.page.goto(portal.last_link())
    j.check("new-password")
    j.paste(j.page.get_by_label(re.compile("^Nieuw wachtwoord|^New password")), "een-heel-nieuw-wachtwoord")
    j.paste(j.page.get_by_label(re.compile("Herhaal|Repeat")), "een-heel-nieuw-wachtwoord")
    j.page.get_by_role("button", name=T[lang]["ok"]).click()
    expect(j.page.get_by_role("status").first).to_contain_text(T[lang]["changed"])
    j.check("login-after-reset")
    _login(j, employee.email, "een-heel-nieuw-wachtwoord")
    j.page.locator("#id_token").fill(pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").now())
    j.page.get_by_role("button", name=T[lang]["validate"]).click()
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["dossier"])
    # A second request, then "Annuleren": the password stays as it is.
    j.page.get_by_role("button", name=T[lang]["logout"]).click()
    j.page.goto(portal.url + "/accounts/password-reset/")
    j.page.get_by_label(re.compile("Geboortedatum|Date of birth")).fill("1985-07-04")
    j.page.get_by_label(re.compile("^E-mailadres|^Email address")).fill(employee.email)
    j.page.get_by_label(T[lang]["robot"]).check()
    j.page.get_by_role("button", name=T[lang]["send"]).click()
    j.page.goto(portal.last_link())
    j.page.get_by_role("link", name=T[lang]["cancel"]).click()
    employee.refresh_from_db()
    assert employee.check_password("een-heel-nieuw-wachtwoord")


def test_journey_4_settings_reset_with_reauth_then_enrol_sms(portal, journey, employee, lang):
    employee.language = lang
    employee.save()
    totp_device_for(employee)
    j = journey("4-settings-reset", lang)
    j.page.goto(portal.url + "/accounts/login/")
    _pick_language(j.page, lang)
    _login(j, employee.email)
    j.page.locator("#id_token").fill(pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").now())
    j.page.get_by_role("button", name=T[lang]["validate"]).click()
    j.page.get_by_role("link", name=T[lang]["settings"]).click()
    j.check("settings")
    j.page.get_by_role("link", name="reset", exact=True).click()
    j.check("reauth")
    j.paste(j.page.get_by_label(re.compile("Uw wachtwoord|Your password")), PASSWORD)
    j.page.locator("#id_token").fill(
        pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").at(__import__("time").time() + 30)
    )
    j.page.get_by_role("button", name=T[lang]["confirm"]).click()
    j.check("reset-confirm")
    j.page.get_by_role("button", name="reset", exact=True).click()
    j.page.get_by_label("SMS", exact=True).check()
    j.page.locator("form button.btn-primary").click()
    j.check("enrol-sms")
    j.page.get_by_role("button", name=T[lang]["send_sms"]).click()
    j.page.locator("#id_token").fill(portal.last_sms_code())
    j.page.get_by_role("button", name=T[lang]["validate"]).click()
    expect(j.page.locator(".codes li")).to_have_count(10)
    j.page.get_by_role("button", name=T[lang]["continue"]).click()
    j.page.goto(portal.url + "/account/settings/")
    expect(j.page.locator(".details")).to_contain_text("+31 •••• ••78")
    j.check("settings-after-reset")


def test_journey_6_errors_are_shown_and_announced(portal, journey, employee, lang):
    from django.utils import timezone

    device = totp_device_for(employee)
    j = journey("6-errors", lang)
    j.page.goto(portal.url + "/accounts/login/")
    _pick_language(j.page, lang)
    _login(j, employee.email, "fout-wachtwoord")
    expect(j.page.get_by_role("alert")).to_contain_text(T[lang]["wrong_login"])
    j.check("wrong-password")
    _login(j, employee.email)
    j.page.locator("#id_token").fill("000000")
    j.page.get_by_role("button", name=T[lang]["validate"]).click()
    expect(j.page.get_by_role("alert")).to_contain_text(T[lang]["wrong_code"])
    token = j.page.locator("#id_token")
    assert token.get_attribute("aria-invalid") == "true"
    # the recovery-code hint (issue 17) and the error, both read out with the field
    assert token.get_attribute("aria-describedby").split() == ["id_token_helptext", "id_token_error"]
    j.check("wrong-code")
    # several wrong codes in a row: the device now waits 16 s (exponential back-off) whatever the code
    type(device).objects.filter(pk=device.pk).update(
        throttling_failure_count=5, throttling_failure_timestamp=timezone.now()
    )
    token.fill(pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").now())
    j.page.get_by_role("button", name=T[lang]["validate"]).click()
    expect(j.page.get_by_role("alert")).to_contain_text(T[lang]["throttled"])
    j.check("throttled-code")


def test_journey_5_hr_uploads_in_the_web_portaal_and_the_employee_is_mailed(
    portal, journey, employee, lang, tmp_path
):
    from django.contrib.auth.models import Group, Permission

    from dossier.models import Document, Employment
    from dossier.roles import HR, ensure_roles
    from tests.factories import UserFactory, pdf_bytes

    ensure_roles(Group, Permission, strict=True)
    employee.language = lang
    employee.save()
    hr = UserFactory(email="hr@bakkerij.nl", first_name="Hanna", is_staff=True, language=lang)
    hr.groups.add(Group.objects.get(name=HR))
    Employment.objects.create(user=hr, employer=employee.employment.employer)
    totp_device_for(hr)
    upload = tmp_path / "uitnodiging.pdf"
    upload.write_bytes(pdf_bytes("Uitnodiging"))
    j = journey("5-hr-upload", lang)
    j.page.goto(portal.url + "/admin/")
    _pick_language(j.page, lang)
    expect(j.page.get_by_role("heading", level=1)).to_have_text("Web Portaal")  # the staff page (issue 17)
    j.check("staff-login")
    _login(j, hr.email)
    j.page.locator("#id_token").fill(pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").now())
    j.page.get_by_role("button", name=T[lang]["validate"]).click()
    assert j.page.url == portal.url + "/admin/"
    j.check("web-portaal")
    j.page.goto(portal.url + "/admin/dossier/document/add/")
    j.check("upload-form")
    j.page.locator(
        "#id_employee + .select2 .select2-selection"
    ).click()  # the autocomplete, as a person uses it
    j.page.locator(".select2-search__field").fill("Jan")
    j.page.locator(".select2-results__option", has_text="Jan Jansen").click()
    j.page.locator("#id_category").select_option("uitnodiging_bedrijfsarts")
    j.page.locator("#id_title").fill("Uitnodiging spreekuur")
    j.page.locator("#id_upload").set_input_files(str(upload))
    j.page.locator("input[name=_save]").click()
    expect(j.page.locator(".messagelist")).to_be_visible()
    j.check("uploaded")
    document = Document.objects.get(title="Uitnodiging spreekuur")
    assert document.employee == employee and document.uploaded_by == hr
    message = portal.mails()[-1]
    assert message["To"] == employee.email
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert f"%2Fdossier%2Fdocuments%2F{document.pk}%2F" in body and "Uitnodiging spreekuur" not in body


def test_journey_7_document_page_response_and_appointment(portal, journey, employee, lang):
    """Issue 12: the plan van aanpak on its page (PDF framed inline), "akkoord" with an own view, the upcoming
    appointment at the top of the dossier, answered, and its .ics."""
    import datetime

    from django.utils import timezone

    from dossier.appointments import appointment_save
    from dossier.models import Appointment, Document, Response

    employee.language = lang
    employee.save()
    totp_device_for(employee)
    plan = document_for(employee, title="Plan van aanpak")
    before = timezone.localdate() + datetime.timedelta(days=14)
    Document.objects.filter(pk=plan.pk).update(note="Lees het plan rustig door.", action_needed_before=before)
    invitation = document_for(employee, title="Uitnodiging spreekuur", category="uitnodiging_bedrijfsarts")
    appointment = appointment_save(
        appointment=Appointment(
            employee=employee,
            document=invitation,
            with_whom="Bram Visser",
            place="Stationsplein 1, Utrecht",
            starts_at=timezone.now().replace(microsecond=0) + datetime.timedelta(days=7),
        ),
        actor=None,
    )
    j = journey("7-document-response-appointment", lang)
    console = []
    j.page.on("console", lambda message: console.append(message.text))
    j.page.goto(portal.url + "/accounts/login/")
    _pick_language(j.page, lang)
    _login(j, employee.email)
    j.paste(j.page.locator("#id_token"), pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").now())
    j.page.get_by_role("button", name=T[lang]["validate"]).click()
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["dossier"])
    j.check("dossier-actions-appointments")
    j.page.get_by_role("link", name="Plan van aanpak", exact=True).first.click()
    expect(j.page.get_by_role("heading", level=1)).to_have_text("Plan van aanpak")
    frame = j.page.locator("iframe.document-view")
    expect(frame).to_be_visible()
    j.check("document-page")
    assert not [m for m in console if "Refused" in m or "frame" in m.lower()], console
    j.page.get_by_label(re.compile("^Akkoord$|^I agree$")).check()
    j.page.get_by_label(re.compile("eigen visie|own view", re.I)).fill("Ik begin met halve dagen.")
    j.page.get_by_role("button", name=re.compile("Verstuur mijn reactie|Send my response")).click()
    expect(j.page.get_by_role("status").first).to_contain_text(re.compile("Dank u wel|Thank you"))
    j.check("response-saved")
    assert Response.objects.filter(document=plan, agreement="agree").count() == 1
    j.page.goto(portal.url + f"/dossier/appointments/{appointment.pk}/")
    j.check("appointment")
    with j.page.expect_download() as download:
        j.page.get_by_role("link", name=re.compile("Zet in mijn agenda|Add to my calendar")).click()
    assert download.value.suggested_filename == "afspraak.ics"
    j.page.get_by_label(re.compile("Ja, ik kom|Yes, I will come")).check()
    j.page.get_by_role("button", name=re.compile("Verstuur mijn antwoord|Send my answer")).click()
    expect(j.page.get_by_role("status").first).to_contain_text(re.compile("Dank u wel|Thank you"))
    j.check("appointment-confirmed")
    assert Appointment.objects.get(pk=appointment.pk).answer == "confirmed"


def test_journey_8_settings_switch_from_sms_to_app_forward_only(portal, journey, employee, lang):
    """Issue 17: SMS -> app in Mijn Instellingen. The SMS goes out as "Bevestig dat u het bent" opens; asking for a
    new one keeps the typed password; the reset page warns about the printed codes and takes the choice; the app
    page opens the app on this phone and copies the key."""
    from pathlib import Path

    from django.conf import settings

    from twofactor.models import SMSDevice
    from twofactor.services import recovery_codes_replace

    employee.language = lang
    employee.save()
    SMSDevice.objects.create(user=employee, name="sms", number="+31612345678", confirmed=True)
    recovery_codes_replace(user=employee)
    j = journey("8-sms-to-app", lang)
    j.page.goto(portal.url + "/accounts/login/")
    _pick_language(j.page, lang)
    _login(j, employee.email)
    j.page.locator("#id_token").fill(portal.last_sms_code())
    j.page.get_by_role("button", name=T[lang]["validate"]).click()
    j.page.get_by_role("link", name=T[lang]["settings"]).click()
    SMSDevice.objects.filter(user=employee).update(last_sent_at=None)  # past the resend cool-down
    j.page.get_by_role("link", name="reset", exact=True).click()
    expect(j.page.locator("#id_token")).to_be_visible()

    def sms_count():
        return len(list(Path(settings.TWOFACTOR_SMS_FILE_PATH).glob("*.txt")))

    assert sms_count() == 2  # the login's, and one sent as this page opened
    j.check("reauth-sms-sent")
    j.paste(j.page.get_by_label(re.compile("Uw wachtwoord|Your password")), PASSWORD)
    SMSDevice.objects.filter(user=employee).update(last_sent_at=None)
    j.page.get_by_role("button", name=T[lang]["resend"]).click()
    expect(j.page.locator("#resend-status")).to_contain_text("+31 •••• ••78")
    assert j.page.get_by_label(re.compile("Uw wachtwoord|Your password")).input_value() == PASSWORD
    assert sms_count() == 3
    j.check("reauth-resent")
    j.page.locator("#id_token").fill(portal.last_sms_code())
    j.page.get_by_role("button", name=T[lang]["confirm"]).click()
    expect(j.page.get_by_role("note")).to_contain_text("10")
    j.check("reset-choose")
    j.page.get_by_label(re.compile("^(Authenticatie-app|Authenticator app)$")).check()
    j.page.get_by_role("button", name="reset", exact=True).click()
    link = j.page.get_by_role("link", name=T[lang]["open_app"])
    assert link.get_attribute("href").startswith("otpauth://totp/")
    j.page.get_by_role("button", name=T[lang]["copy"]).click()
    secret = j.page.evaluate("navigator.clipboard.readText()")
    assert secret == j.page.locator("#totp-secret").inner_text().replace(" ", "")
    j.check("enrol-app")
    j.paste(j.page.locator("#id_token"), pyotp.TOTP(secret).now())
    j.page.get_by_role("button", name=T[lang]["validate"]).click()
    codes = j.page.locator(".codes li").all_inner_texts()
    assert len(codes) == 10 and not set("il1o0") & set("".join(codes))
    j.check("new-recovery-codes")
