"""Browser tests: Debian's Chromium driven by Playwright against the portal on a live server.

Without Chromium a developer's `make test` skips these tests and says how to install it; in CI (CI=true) a
missing browser is a failure. Screenshots of every step, at phone and desktop size, go to var/screenshots/.
"""

import base64
import contextlib
import email
import os
import re
from email import policy
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
NARROW = {"width": 320, "height": 640}  # reflow (WCAG 1.4.10): 1280 px at 400 % zoom
ZOOM_200 = {"width": 640, "height": 400}  # the desktop window at 200 % zoom (WCAG 1.4.4)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# The text-spacing override of WCAG 1.4.12: no content may be lost or pushed sideways with it.
TEXT_SPACING = (
    "* { line-height: 1.5 !important; letter-spacing: .12em !important; word-spacing: .16em !important; }"
    " p { margin-bottom: 2em !important; }"
)
# Elements wider than the window: what a horizontal scroll bar would be for (reported by name when one appears).
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  return [...document.querySelectorAll("body *")]
    .filter(e => e.getBoundingClientRect().right > width + 1 && getComputedStyle(e).position !== "fixed"
      && !e.closest(".table-wrap, .results, .select2-container--open"))
    .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + "." + [...e.classList].join("."));
}"""
# Accessible authentication (WCAG 3.3.8): every credential field says what it is for, so password managers and the
# phone can fill it, and nothing stops pasting (a paste event that a handler cancels is caught here).
CREDENTIAL_FIELDS_JS = """() => {
  const expected = {password: ["current-password", "new-password"], username: ["username"],
                    email: ["email", "username"], token: ["one-time-code"]};
  const problems = [];
  for (const el of document.querySelectorAll("[onpaste], [oncopy], [oncut], [ondrop]"))
    problems.push("inline clipboard handler on " + el.outerHTML.slice(0, 80));
  for (const input of document.querySelectorAll("input")) {
    const kind = input.type === "password" ? "password" : (expected[input.name] ? input.name : null);
    if (!kind) continue;
    const ac = input.getAttribute("autocomplete");
    if (!expected[kind].includes(ac)) problems.push(`${input.name || input.type}: autocomplete=${ac}`);
    const paste = new ClipboardEvent("paste", {bubbles: true, cancelable: true, clipboardData: new DataTransfer()});
    if (!input.dispatchEvent(paste)) problems.push(`${input.name}: paste is blocked`);
  }
  return problems;
}"""
MISSING = (
    f"Chromium not found at {CHROMIUM}: browser tests skipped. Install it with `apt-get install chromium`."
)

# Django's live server with Playwright's sync API (which runs an event loop in this thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# Known problem (2026-12-03, README "Known problems"): now and then a journey waits forever on Chromium right after
# a key press that opens a page, although the server has answered. Such a wait fails its test after this many seconds
# (pytest-timeout, by signal, in the worker's main thread) and the journey gets one more try (pytest-rerunfailures),
# so a stuck browser costs two minutes, never the whole CI run. A journey that fails twice still fails the suite.
BROWSER_TEST_TIMEOUT = int(os.environ.get("BROWSER_TEST_TIMEOUT", "120"))


def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if "tests/browser" in str(item.fspath)]
    for item in browser_items:
        item.add_marker(pytest.mark.timeout(BROWSER_TEST_TIMEOUT + 60, method="signal"))
        item.add_marker(pytest.mark.flaky(reruns=1))
    if os.path.exists(CHROMIUM) or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason=MISSING)
    for item in browser_items:
        item.add_marker(skip)


def _own_renderers() -> list[int]:
    """The Chromium page processes started below this test process (not another xdist worker's)."""
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if b"--type=renderer" not in f.read():
                    continue
            pid = int(entry)
            while pid > 1:
                with open(f"/proc/{pid}/stat") as f:
                    pid = int(f.read().rsplit(")", 1)[1].split()[1])  # the parent
                if pid == me:
                    found.append(int(entry))
                    break
        except (OSError, ValueError):
            continue
    return found


@pytest.fixture(autouse=True)
def _stuck_page_watchdog(request):
    """A page that hangs past BROWSER_TEST_TIMEOUT is crashed (its renderer killed): Playwright's waiting call then
    fails at once ("Target crashed"), the test fails and gets its one more try with a fresh page. pytest-timeout's
    signal alone could not end such a wait: asyncio swallows an exception raised inside one of its callbacks."""
    if "tests/browser" not in str(request.node.fspath):
        yield
        return
    import signal
    import threading

    def crash_pages():
        for pid in _own_renderers():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    timer = threading.Timer(BROWSER_TEST_TIMEOUT, crash_pages)
    timer.daemon = True
    timer.start()
    yield
    timer.cancel()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"CI needs the browser tests: {MISSING}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def portal(live_server, settings, tmp_path):
    """The portal on a live server with the file back ends for mail and SMS."""
    settings.SITE_URL = live_server.url
    settings.EMAIL_BACKEND = "core.mail_backends.FileAndConsoleBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    settings.MAIL_DELIVERY = "on_commit"
    settings.TWOFACTOR_SMS_GATEWAY = "file"
    settings.TWOFACTOR_SMS_FILE_PATH = tmp_path / "sms"

    class Portal:
        url = live_server.url

        @staticmethod
        def mails() -> list:
            folder = tmp_path / "mail"
            files = (
                sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if folder.exists() else []
            )
            return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]

        @classmethod
        def last_link(cls) -> str:
            body = cls.mails()[-1].get_body(preferencelist=("plain",)).get_content()
            return re.search(re.escape(live_server.url) + r"\S+", body).group(0)

        @staticmethod
        def last_sms_code() -> str:
            files = sorted((tmp_path / "sms").glob("*.txt"))
            return re.search(r"\b(\d{6})\b", files[-1].read_text()).group(1)

    return Portal()


class Journey:
    """One journey in one language: a page, and a check of every step (lang, axe, screenshots)."""

    def __init__(self, browser, name: str, language: str):
        from axe_playwright_python.sync_playwright import Axe

        self.name, self.language, self.step = name, language, 0
        self.context = browser.new_context(
            viewport=PHONE,
            locale="nl-NL" if language == "nl" else "en-GB",
            permissions=["clipboard-read", "clipboard-write"],  # for a real Ctrl+V in paste()
        )
        self.page = self.context.new_page()
        self.axe = Axe()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def axe_violations(self) -> list[str]:
        results = self.axe.run(self.page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        return [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
        ]

    def check(self, label: str) -> None:
        """Every step: the page's language, credential fields, axe WCAG 2.2 A/AA at phone and desktop width,
        no sideways scrolling at 320 px (also with the text-spacing override) and at 200 % zoom; screenshots at
        320 px, phone and desktop."""
        page = self.page
        page.wait_for_load_state("networkidle")
        where = f"{self.name}/{label} ({self.language})"
        assert page.get_attribute("html", "lang") == self.language, f"{label}: lang"
        assert not (problems := page.evaluate(CREDENTIAL_FIELDS_JS)), f"{where}: {problems}"
        assert not (violations := self.axe_violations()), f"{where} phone: " + "; ".join(violations)
        self.step += 1
        stem = SCREENSHOTS / f"{self.name}-{self.language}-{self.step:02d}-{label}"
        page.screenshot(path=f"{stem}-phone.png", full_page=True)
        page.set_viewport_size(NARROW)
        assert not (wide := page.evaluate(OVERFLOW_JS)), f"{where}: sideways scrolling at 320 px: {wide}"
        page.screenshot(path=f"{stem}-narrow.png", full_page=True)
        # A constructed style sheet, as a user style would be: the page's CSP (style-src 'self') stays on.
        page.evaluate(
            "css => { const s = new CSSStyleSheet(); s.replaceSync(css); document.adoptedStyleSheets = [s]; }",
            TEXT_SPACING,
        )
        assert page.evaluate("getComputedStyle(document.body).wordSpacing") != "0px", (
            "text spacing not applied"
        )
        wide = page.evaluate(OVERFLOW_JS)
        page.evaluate("() => { document.adoptedStyleSheets = []; }")
        assert not wide, f"{where}: sideways scrolling at 320 px with the text-spacing override: {wide}"
        page.set_viewport_size(ZOOM_200)
        assert not (wide := page.evaluate(OVERFLOW_JS)), f"{where}: sideways scrolling at 200 % zoom: {wide}"
        page.set_viewport_size(DESKTOP)
        assert not (violations := self.axe_violations()), f"{where} desktop: " + "; ".join(violations)
        page.screenshot(path=f"{stem}-desktop.png", full_page=True)
        page.set_viewport_size(PHONE)

    def paste(self, locator, text: str) -> None:
        """Fill a field the way a password manager or a person with a copied code does: a real Ctrl+V."""
        self.page.evaluate("text => navigator.clipboard.writeText(text)", text)
        locator.fill("")
        locator.focus()
        self.page.keyboard.press("ControlOrMeta+V")
        assert locator.input_value() == text, "paste was blocked or altered"

    def close(self):
        self.context.close()


@pytest.fixture
def journey(browser):
    opened = []

    def _journey(name: str, language: str) -> Journey:
        opened.append(Journey(browser, name, language))
        return opened[-1]

    yield _journey
    for item in opened:
        item.close()


@pytest.fixture
def employee(transactional_db):
    """An employee at an employer, without a second factor yet, with the known test password."""
    from dossier.models import Employer, Employment
    from tests.factories import UserFactory

    user = UserFactory(email="jan@example.nl", first_name="Jan", last_name="Jansen")
    Employment.objects.create(
        user=user, employer=Employer.objects.create(name="Bakkerij De Demo"), job_title="Bakker"
    )
    return user


def totp_device_for(user, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(
        user=user, name="app", key=base64.b32decode(secret).hex(), confirmed=True
    )
