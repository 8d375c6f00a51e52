"""Journey 1, the password reset and Mijn Instellingen with the keyboard alone: Tab, typing, Space and Enter."""

import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import totp_device_for
from tests.factories import PASSWORD, document_for

pytestmark = pytest.mark.django_db(transaction=True)


def _tab_to(page, predicate, limit=40):
    """Press Tab until the focused element satisfies the predicate (a JS function of the element)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"({predicate})(document.activeElement)"):
            return
    raise AssertionError(f"no element reached by Tab for {predicate}")


def test_journey_1_by_keyboard_only(portal, journey, employee):
    document = document_for(employee, title="Plan van aanpak")
    j = journey("1-keyboard", "nl")
    page = j.page
    page.goto(portal.last_link())
    # the email field has focus on arrival
    assert page.evaluate("document.activeElement.id") == "id_username"
    page.keyboard.type(employee.email)
    _tab_to(page, "e => e.id === 'id_password'")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kies uw methode")
    _tab_to(page, "e => e.name === 'method'")
    # radio group: arrow keys move the choice; the app is the second option
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.value") == "app"
    page.keyboard.press("Enter")
    expect(page.locator("#totp-secret")).to_be_visible()
    j.check("keyboard-scan")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    _tab_to(page, "e => e.id === 'id_token'")
    page.keyboard.type(pyotp.TOTP(secret).now())
    page.keyboard.press("Enter")
    expect(page.locator(".codes li")).to_have_count(10)
    _tab_to(page, "e => e.type === 'submit' && e.classList.contains('btn-primary')")
    with page.expect_response(lambda r: f"/dossier/documents/{document.pk}/" in r.url) as response:
        page.keyboard.press("Enter")
    assert response.value.status == 200


def test_reset_and_my_settings_by_keyboard_only(portal, journey, employee):
    totp = pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    totp_device_for(employee)
    page = journey("3-keyboard", "nl").page
    page.goto(portal.url + "/accounts/login/")
    page.keyboard.type(employee.email)  # the email field has focus on arrival
    _tab_to(page, "e => e.id === 'forgot-password'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wachtwoord vergeten")
    expect(page.locator("#id_email")).to_have_value(employee.email)  # not typed again
    _tab_to(page, "e => e.id === 'id_birth_date'")
    page.keyboard.type("04-07-1985")
    _tab_to(page, "e => e.type === 'checkbox'")
    page.keyboard.press("Space")
    _tab_to(page, "e => e.type === 'submit' && e.classList.contains('btn-primary')")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Controleer uw e-mail")
    page.goto(portal.last_link())  # opened from the mail
    _tab_to(page, "e => e.id === 'id_new_password1'")
    page.keyboard.type("een-heel-nieuw-wachtwoord")
    _tab_to(page, "e => e.id === 'id_new_password2'")
    page.keyboard.type("een-heel-nieuw-wachtwoord")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("Uw wachtwoord is gewijzigd")
    assert page.evaluate("document.activeElement.id") == "id_username"
    page.keyboard.type(employee.email)
    _tab_to(page, "e => e.id === 'id_password'")
    page.keyboard.type("een-heel-nieuw-wachtwoord")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tweefactor authenticatie")
    _tab_to(page, "e => e.id === 'id_token'")
    page.keyboard.type(totp.now())
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn eigen dossier")
    _tab_to(page, "e => e.textContent.trim() === 'Mijn Instellingen'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn Instellingen")
    _tab_to(page, "e => e.textContent.trim() === 'reset'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bevestig dat u het bent")
    _tab_to(page, "e => e.id === 'id_password'")
    page.keyboard.type("een-heel-nieuw-wachtwoord")
    _tab_to(page, "e => e.id === 'id_token'")
    page.keyboard.type(totp.at(time.time() + 30))  # the next code: the login's code may not be used twice
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tweefactor authenticatie resetten")
    _tab_to(page, "e => e.type === 'submit' && e.classList.contains('btn-primary')")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kies uw methode")


def test_every_focusable_element_shows_a_visible_focus(portal, journey):
    j = journey("focus", "nl")
    j.page.goto(portal.url + "/accounts/login/")
    seen = set()
    for _ in range(30):
        j.page.keyboard.press("Tab")
        if j.page.evaluate("document.activeElement === document.body"):
            break
        outline = j.page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", j.page.evaluate("document.activeElement.outerHTML")
        # Focus not obscured (WCAG 2.4.11): the focused element is scrolled into the window, nothing covers it
        assert j.page.evaluate(
            """() => { const r = document.activeElement.getBoundingClientRect();
                       const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                       return r.top >= 0 && r.bottom <= innerHeight
                         && !!hit && (document.activeElement.contains(hit) || hit.contains(document.activeElement)
                                      || document.activeElement.labels?.[0]?.contains(hit)); }"""
        ), j.page.evaluate("document.activeElement.outerHTML")
        seen.add(j.page.evaluate("document.activeElement.outerHTML.slice(0, 60)"))
    assert len(seen) >= 8  # password, Inloggen, the flags, Wachtwoord vergeten, and the footer's help links
