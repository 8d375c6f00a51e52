"""Journey 1 with the keyboard alone: Tab, typing and Enter, no mouse."""

import pyotp
import pytest
from playwright.sync_api import expect

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


def test_every_focusable_element_shows_a_visible_focus(portal, journey):
    j = journey("focus", "nl")
    j.page.goto(portal.url + "/accounts/login/")
    seen = set()
    for _ in range(20):
        j.page.keyboard.press("Tab")
        if j.page.evaluate("document.activeElement === document.body"):
            break
        outline = j.page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", j.page.evaluate("document.activeElement.outerHTML")
        seen.add(j.page.evaluate("document.activeElement.outerHTML.slice(0, 60)"))
    assert len(seen) >= 5  # password, Inloggen, the two flags, Wachtwoord vergeten
