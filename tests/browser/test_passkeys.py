"""Passkeys (issue 14) in Chromium with its virtual authenticator (Chrome DevTools Protocol): real WebAuthn
ceremonies against the live server, in Dutch and in English, axe-checked on every new page."""

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import totp_device_for
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.parametrize("lang", ["nl", "en"])]

T = {
    "nl": {
        "login": "Inloggen",
        "choose": "Kies uw methode",
        "passkey": "Passkey (vingerafdruk, gezicht of beveiligingssleutel)",
        "next": "Volgende",
        "create": "Passkey aanmaken",
        "continue": "Ik heb mijn codes bewaard, verder",
        "dossier": "Mijn eigen dossier",
        "logout": "Uitloggen",
        "use": "Gebruik passkey",
        "settings": "Mijn Instellingen",
        "remove": "Verwijderen",
        "remove_button": "Passkey verwijderen",
        "confirm_passkey": "Bevestig met passkey",
        "rename": "Naam wijzigen",
        "save": "Opslaan",
        "sms": "SMS",
        "app": "Authenticatie-app",
        "only_way": "enige manier",
        "title": "Mijn eigen dossier inzien",
    },
    "en": {
        "login": "Log in",
        "choose": "Choose your method",
        "passkey": "Passkey (fingerprint, face or security key)",
        "next": "Next",
        "create": "Create the passkey",
        "continue": "I have saved my codes, continue",
        "dossier": "My own dossier",
        "logout": "Log out",
        "use": "Use passkey",
        "settings": "My Settings",
        "remove": "Remove",
        "remove_button": "Remove passkey",
        "confirm_passkey": "Confirm with passkey",
        "rename": "Rename",
        "save": "Save",
        "sms": "SMS",
        "app": "Authenticator app",
        "only_way": "only way",
        "title": "View my own dossier",
    },
}
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

# A ceremony driven by hand (what a hostile page script could do): options from the server, any passkey the
# authenticator holds (allowCredentials may be empty), the answer posted back. Returns the server's status.
MANUAL_CEREMONY_JS = """async () => {
  const config = JSON.parse(document.getElementById("otp_webauthn_config")?.textContent || "null")
    || {csrfToken: document.querySelector("input[name=csrfmiddlewaretoken]").value,
        beginAuthenticationUrl: "/twofactor/passkey/authentication/begin/",
        completeAuthenticationUrl: "/twofactor/passkey/authentication/complete/"};
  const headers = {"X-CSRFToken": config.csrfToken, "Content-Type": "application/json"};
  const begin = await fetch(config.beginAuthenticationUrl, {method: "POST", headers, credentials: "same-origin"});
  const options = await begin.json();
  options.allowCredentials = [];
  const credential = await navigator.credentials.get(
    {publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)});
  const complete = await fetch(config.completeAuthenticationUrl,
    {method: "POST", headers, credentials: "same-origin", body: JSON.stringify(credential.toJSON())});
  return complete.status;
}"""


def _authenticator(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def _start(j, portal, lang):
    j.page.goto(portal.url + "/accounts/login/")
    if lang == "en":
        j.page.get_by_role("button", name="English").click()


def _login(j, email):
    j.paste(j.page.get_by_label(re.compile("e-mailadres|email address", re.I)), email)
    j.paste(j.page.get_by_label(re.compile("wachtwoord|password", re.I)), PASSWORD)
    j.page.get_by_role("button", name=T[j.language]["login"], exact=True).click()


def _enrol_passkey(j, lang, name, *, check=False):
    """From "Kies uw methode": the passkey, its name, the ceremony, the recovery codes, the dossier."""
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["choose"])
    choice = j.page.get_by_label(T[lang]["passkey"])
    expect(choice).to_be_visible()
    if check:
        j.check("choose-method-with-passkey")
    choice.check()
    j.page.locator("form button.btn-primary").click()
    if check:
        j.check("passkey-name")
    j.page.get_by_label(re.compile("Naam van deze passkey|Name of this passkey")).fill(name)
    j.page.get_by_role("button", name=T[lang]["next"]).click()
    expect(j.page.get_by_role("button", name=T[lang]["create"])).to_be_visible()
    if check:
        j.check("passkey-create")
    j.page.get_by_role("button", name=T[lang]["create"]).click()
    expect(j.page.locator(".codes li")).to_have_count(10)
    j.page.get_by_role("button", name=T[lang]["continue"]).click()
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["dossier"])


def _logout(j, lang):
    j.page.get_by_role("button", name=T[lang]["logout"]).click()
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["title"])


def test_passkey_enrol_logout_login_remove_after_reauth(portal, journey, employee, lang):
    from django_otp_webauthn.models import WebAuthnCredential

    from core.models import AuditEvent

    employee.language = lang
    employee.save()
    j = journey("passkey-enrol-login-remove", lang)
    _authenticator(j.page)
    _start(j, portal, lang)
    _login(j, employee.email)
    _enrol_passkey(j, lang, "iPhone van Jan", check=True)
    passkey = WebAuthnCredential.objects.get(user=employee)
    assert passkey.name == "iPhone van Jan"
    enrolled = AuditEvent.objects.get(kind="passkey_enrolled", user=employee)
    assert enrolled.ip == "127.0.0.1"

    _logout(j, lang)
    _login(j, employee.email)
    expect(j.page.get_by_role("button", name=T[lang]["use"])).to_be_visible()
    j.check("verify-with-passkey")
    j.page.get_by_role("button", name=T[lang]["use"]).click()
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["dossier"])
    assert AuditEvent.objects.filter(kind="passkey_used", user=employee, ip="127.0.0.1").count() == 1
    passkey.refresh_from_db()
    assert passkey.sign_count > 0  # the counter the clone detection compares

    j.page.get_by_role("link", name=T[lang]["settings"]).click()
    expect(j.page.locator(".passkeys strong")).to_have_text("iPhone van Jan")
    j.check("settings-with-passkey")
    j.page.get_by_role("link", name=f"{T[lang]['rename']} iPhone van Jan").click()
    j.check("passkey-rename")
    j.page.get_by_label(re.compile("Naam van deze passkey|Name of this passkey")).fill("Werklaptop")
    j.page.get_by_role("button", name=T[lang]["save"]).click()
    expect(j.page.locator(".passkeys strong")).to_have_text("Werklaptop")

    j.page.get_by_role("link", name=f"{T[lang]['remove']} Werklaptop").click()
    expect(j.page.get_by_role("button", name=T[lang]["confirm_passkey"])).to_be_visible()  # re-authentication
    j.check("reauth-with-passkey")
    j.page.get_by_role("button", name=T[lang]["confirm_passkey"]).click()
    j.page.get_by_role("button", name=T[lang]["remove_button"]).click()
    expect(j.page.get_by_role("alert")).to_contain_text(T[lang]["only_way"])  # the last way in stays
    j.check("passkey-remove-refused")
    assert WebAuthnCredential.objects.filter(user=employee).count() == 1

    totp_device_for(employee, SECRET)  # another method now exists
    j.page.get_by_role("button", name=T[lang]["remove_button"]).click()
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["settings"])
    assert not WebAuthnCredential.objects.filter(user=employee).exists()
    assert AuditEvent.objects.filter(kind="passkey_removed", user=employee, ip="127.0.0.1").exists()
    subjects = [m["subject"] for m in portal.mails()]
    assert any("passkey" in s.lower() and ("verwijderd" in s or "removed" in s) for s in subjects), subjects


def test_passkey_of_user_a_is_refused_for_user_b(portal, journey, employee, lang):
    from core.models import AuditEvent

    other = UserFactory(email="piet@example.nl", language=lang)
    totp_device_for(other, SECRET)
    j = journey("passkey-other-user", lang)
    _authenticator(j.page)
    _start(j, portal, lang)
    _login(j, employee.email)
    _enrol_passkey(j, lang, "Sleutel van Jan")
    _logout(j, lang)

    _login(j, other.email)  # B, at his second step, with A's passkey in the same browser
    expect(j.page.locator("#id_token")).to_be_visible()
    status = j.page.evaluate(MANUAL_CEREMONY_JS)
    assert status in (400, 403, 404, 422)
    j.page.goto(portal.url + "/dossier/")
    expect(j.page.locator("#id_token")).to_be_visible()  # still at the second step
    assert AuditEvent.objects.filter(kind="passkey_failure", user=other).exists()
    assert not AuditEvent.objects.filter(kind="passkey_used", user=other).exists()
    j.page.locator("#id_token").fill(pyotp.TOTP(SECRET).now())  # his own way in still works
    j.page.get_by_role("button", name=re.compile("Valideer|Validate")).click()
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["dossier"])


def test_passkey_ceremony_for_another_origin_is_refused(portal, journey, employee, lang, settings):
    from core.models import AuditEvent

    j = journey("passkey-wrong-origin", lang)
    _authenticator(j.page)
    _start(j, portal, lang)
    _login(j, employee.email)
    _enrol_passkey(j, lang, "iPhone van Jan")
    _logout(j, lang)
    # The portal's origin is now another one (same RP id "localhost"): the browser signs, the server refuses.
    settings.SITE_URL = "http://localhost:1"
    _login(j, employee.email)
    j.page.get_by_role("button", name=T[lang]["use"]).click()
    expect(j.page.locator("#passkey-verification-status-message")).not_to_be_empty()
    j.page.goto(portal.url + "/dossier/")
    expect(j.page.get_by_role("button", name=T[lang]["use"])).to_be_visible()  # not let in
    assert AuditEvent.objects.filter(kind="passkey_failure", user=employee).exists()
    assert not AuditEvent.objects.filter(kind="passkey_used", user=employee).exists()

    # And the browser's side: the portal opened on 127.0.0.1 while the RP id is "localhost" gets no signature.
    settings.SITE_URL = portal.url
    j.page.goto(portal.url.replace("localhost", "127.0.0.1") + "/accounts/login/")
    if lang == "en":
        j.page.get_by_role("button", name="English").click()
    _login(j, employee.email)
    j.page.get_by_role("button", name=T[lang]["use"]).click()
    expect(j.page.locator("#passkey-verification-status-message")).not_to_be_empty()
    j.page.goto(portal.url.replace("localhost", "127.0.0.1") + "/dossier/")
    expect(j.page.get_by_role("button", name=T[lang]["use"])).to_be_visible()  # still at the second step
    assert not AuditEvent.objects.filter(kind="passkey_used", user=employee).exists()


def test_passkey_choice_hidden_without_webauthn(portal, journey, employee, lang):
    j = journey("passkey-no-webauthn", lang)
    j.context.add_init_script("delete window.PublicKeyCredential")  # a browser without WebAuthn
    _start(j, portal, lang)
    _login(j, employee.email)
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["choose"])
    expect(j.page.get_by_label(T[lang]["sms"], exact=True)).to_be_visible()
    expect(j.page.get_by_label(T[lang]["app"], exact=True)).to_be_visible()
    expect(j.page.get_by_label(T[lang]["passkey"])).to_be_hidden()
    j.check("choose-method-without-passkey")


def test_verify_page_without_webauthn_points_to_the_codes(portal, journey, employee, lang):
    from django_otp_webauthn.models import WebAuthnCredential

    from twofactor.services import recovery_codes_replace

    WebAuthnCredential.objects.create(
        user=employee,
        name="iPhone van Jan",
        confirmed=True,
        credential_id=b"0123456789abcdef",
        public_key=b"00",
    )
    codes = recovery_codes_replace(user=employee)
    j = journey("passkey-verify-no-webauthn", lang)
    j.context.add_init_script("delete window.PublicKeyCredential")
    _start(j, portal, lang)
    _login(j, employee.email)
    expect(j.page.get_by_role("note")).to_contain_text(
        re.compile("passkey niet gebruiken|cannot use your passkey")
    )
    expect(j.page.get_by_role("button", name=T[lang]["use"])).to_have_count(0)
    j.check("verify-passkey-unavailable")
    j.page.locator("#id_token").fill(codes[0])  # the recovery code still works
    j.page.get_by_role("button", name=re.compile("Valideer|Validate")).click()
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["dossier"])


def test_staff_enrol_and_use_a_passkey_for_the_web_portaal_without_sms(portal, journey, lang, settings):
    from django.contrib.auth.models import Group, Permission

    from dossier.roles import HR, ensure_roles

    settings.TWOFACTOR_STAFF_REQUIRE_STRONG_FACTOR = True  # STAFF_REQUIRE_STRONG_FACTOR=1
    ensure_roles(Group, Permission, strict=True)
    hr = UserFactory(email="hr@bakkerij.nl", first_name="Hanna", is_staff=True, language=lang)
    hr.groups.add(Group.objects.get(name=HR))
    j = journey("passkey-staff", lang)
    _authenticator(j.page)
    j.page.goto(portal.url + "/admin/")
    if lang == "en":
        j.page.get_by_role("button", name="English").click()
    _login(j, hr.email)
    expect(j.page.get_by_role("heading", level=1)).to_have_text(T[lang]["choose"])
    expect(j.page.get_by_label(T[lang]["sms"], exact=True)).to_have_count(0)  # SMS is not offered to staff
    expect(j.page.get_by_label(T[lang]["app"], exact=True)).to_be_visible()
    j.check("staff-choose-method")
    j.page.get_by_label(T[lang]["passkey"]).check()
    j.page.locator("form button.btn-primary").click()
    j.page.get_by_label(re.compile("Naam van deze passkey|Name of this passkey")).fill("Werklaptop Hanna")
    j.page.get_by_role("button", name=T[lang]["next"]).click()
    j.page.get_by_role("button", name=T[lang]["create"]).click()
    expect(j.page.locator(".codes li")).to_have_count(10)
    j.page.get_by_role("button", name=T[lang]["continue"]).click()
    assert j.page.url == portal.url + "/admin/"
    j.page.context.clear_cookies()  # a new login, the same browser and passkey
    j.page.goto(portal.url + "/admin/")
    if lang == "en":
        j.page.get_by_role("button", name="English").click()
    _login(j, hr.email)
    j.page.get_by_role("button", name=T[lang]["use"]).click()
    j.page.wait_for_url(portal.url + "/admin/")
    expect(j.page.get_by_role("heading", level=1).first).to_be_visible()
