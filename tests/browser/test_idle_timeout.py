"""Issue 13: the idle-timeout warning in Chromium, NL and EN. Both clocks are moved, never waited for: the browser's
with Playwright's clock, the live server's with time-machine (it patches time for every thread of this process)."""

import re
import time

import pyotp
import pytest
import time_machine
from playwright.sync_api import expect

from tests.browser.conftest import totp_device_for
from tests.browser.test_journeys import T, _login, _pick_language

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.parametrize("lang", ["nl", "en"])]
PAGE = "/dossier/access-log/?who=self"
W = {
    "nl": {
        "still": "Bent u er nog?",
        "stay": "Blijf ingelogd",
        "out": "U bent uitgelogd",
        "again": "Opnieuw inloggen",
        "log": "Wie heeft mijn dossier ingezien",
    },
    "en": {
        "still": "Are you still there?",
        "stay": "Stay logged in",
        "out": "You were logged out",
        "again": "Log in again",
        "log": "Who has viewed my dossier",
    },
}


def _both_steps(j, employee, lang, steps_ahead=0):
    _login(j, employee.email)
    code = pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").at(time.time() + 30 * steps_ahead)
    j.paste(j.page.locator("#id_token"), code)
    j.page.get_by_role("button", name=T[lang]["validate"]).click()


def test_idle_warning_stay_logged_in_then_time_out_and_back_to_the_page(portal, journey, employee, lang):
    employee.language = lang
    employee.save()
    totp_device_for(employee)
    j = journey("13-idle-timeout", lang)
    page = j.page
    page.goto(portal.url + "/accounts/login/")
    _pick_language(page, lang)
    _both_steps(j, employee, lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(T[lang]["dossier"])
    dialog = page.get_by_role("alertdialog", name=W[lang]["still"])
    clock = j.context.clock

    with time_machine.travel(time.time(), tick=True) as server:

        def move(seconds):
            server.shift(seconds)
            clock.fast_forward(seconds * 1000)

        clock.install()
        page.goto(portal.url + PAGE)
        expect(page.get_by_role("heading", level=1)).to_have_text(W[lang]["log"])
        expect(dialog).to_be_hidden()

        # A second tab of the same browser: "Blijf ingelogd" in one tab postpones the other.
        other = j.context.new_page()
        other.goto(portal.url + "/dossier/")
        other_dialog = other.get_by_role("alertdialog", name=W[lang]["still"])

        move(12 * 60)
        expect(dialog).to_be_hidden()  # nothing yet at 12 minutes
        move(90)  # 13.5 minutes idle: the warning, with the focus on "Blijf ingelogd"
        expect(dialog).to_be_visible()
        expect(page.get_by_role("button", name=W[lang]["stay"])).to_be_focused()
        expect(dialog).to_contain_text(re.compile(r"\d\d[:.]\d\d"))
        j.check("idle-warning")
        expect(other_dialog).to_be_visible()

        other.get_by_role("button", name=W[lang]["stay"]).click()  # in the other tab
        expect(other_dialog).to_be_hidden()
        move(120)  # past the first deadline: this tab asks the server before leaving, and stays
        expect(dialog).to_be_hidden()
        expect(page).to_have_url(portal.url + PAGE)

        move(12 * 60)  # 13.5 minutes after "Blijf ingelogd": warned again; this time Escape also means "stay"
        expect(dialog).to_be_visible()
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()

        move(13 * 60 + 30)
        expect(dialog).to_be_visible()
        move(150)  # nobody answers: the session ends and the page goes to "U bent uitgelogd"
        expect(page.get_by_role("heading", level=1)).to_have_text(W[lang]["out"])
        j.check("idle-logged-out")
        other.close()

    page.get_by_role("link", name=W[lang]["again"]).click()
    _both_steps(j, employee, lang, steps_ahead=1)  # the first login's code is spent (no replay)
    expect(page).to_have_url(portal.url + PAGE)  # back on the page they were on
    expect(page.get_by_role("heading", level=1)).to_have_text(W[lang]["log"])


def test_idle_warning_in_the_web_portaal(portal, journey, lang):
    """Staff in the Web Portaal get the same warning (the admin's own colours), axe clean, focus on "Blijf ingelogd"."""
    from django.contrib.auth.models import Group, Permission

    from dossier.roles import HR, ensure_roles
    from tests.factories import UserFactory

    ensure_roles(Group, Permission, strict=True)
    hr = UserFactory(email="hr@bakkerij.nl", first_name="Hanna", is_staff=True, language=lang)
    hr.groups.add(Group.objects.get(name=HR))
    totp_device_for(hr)
    j = journey("13-idle-timeout-web-portaal", lang)
    page = j.page
    page.goto(portal.url + "/admin/")
    _pick_language(page, lang)
    _both_steps(j, hr, lang)
    assert page.url == portal.url + "/admin/"
    with time_machine.travel(time.time(), tick=True) as server:
        j.context.clock.install()
        page.goto(portal.url + "/admin/")
        page.wait_for_load_state("networkidle")  # the script has planned its check
        server.shift(13 * 60 + 30)
        j.context.clock.fast_forward((13 * 60 + 30) * 1000)
        dialog = page.get_by_role("alertdialog", name=W[lang]["still"])
        expect(dialog).to_be_visible()
        expect(page.get_by_role("button", name=W[lang]["stay"])).to_be_focused()
        j.check("idle-warning-web-portaal")
        page.get_by_role("button", name=W[lang]["stay"]).click()
        expect(dialog).to_be_hidden()
        server.shift(10 * 60)
        page.goto(portal.url + "/admin/")
        assert page.url == portal.url + "/admin/"  # still logged in, 23.5 minutes after the first page


def test_last_warning_before_the_absolute_lifetime_offers_no_stay(portal, journey, employee, lang, settings):
    """Near the absolute lifetime (shortened to 20 minutes here) "Blijf ingelogd" can buy nothing: the dialog says
    so, offers "Uitloggen" only, and the session ends at the lifetime with the reason told."""
    settings.SESSION_ABSOLUTE_LIFETIME = 20 * 60
    employee.language = lang
    employee.save()
    totp_device_for(employee)
    j = journey("13-idle-absolute", lang)
    page = j.page
    page.goto(portal.url + "/accounts/login/")
    _pick_language(page, lang)
    _both_steps(j, employee, lang)
    dialog = page.get_by_role("alertdialog", name=W[lang]["still"])
    with time_machine.travel(time.time(), tick=True) as server:

        def move(seconds):
            server.shift(seconds)
            j.context.clock.fast_forward(seconds * 1000)

        j.context.clock.install()
        page.goto(portal.url + PAGE)
        page.wait_for_load_state("networkidle")
        move(13 * 60 + 30)
        expect(dialog).to_be_visible()
        page.get_by_role(
            "button", name=W[lang]["stay"]
        ).click()  # buys the 6.5 minutes to the lifetime, no more
        expect(dialog).to_be_hidden()
        move(5 * 60)
        expect(dialog).to_be_visible()
        expect(page.get_by_role("button", name=W[lang]["stay"])).to_be_hidden()
        expect(page.get_by_role("button", name=T[lang]["logout"]).last).to_be_focused()
        expect(dialog).to_contain_text(re.compile("lang ingelogd|logged in for a long time"))
        j.check("absolute-warning")
        move(150)
        expect(page.get_by_role("heading", level=1)).to_have_text(W[lang]["out"])
        told = re.compile("U was lang ingelogd|You were logged in for a long time")
        expect(page.get_by_role("status")).to_contain_text(told)
