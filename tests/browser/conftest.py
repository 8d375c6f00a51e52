"""Browser tests: Debian's Chromium driven by Playwright against the portal on a live server.

Without Chromium a developer's `make test` skips these tests and says how to install it; in CI (CI=true) a
missing browser is a failure. Screenshots of every step, at phone and desktop size, go to var/screenshots/.
"""

import base64
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
MISSING = (
    f"Chromium not found at {CHROMIUM}: browser tests skipped. Install it with `apt-get install chromium`."
)

# Django's live server with Playwright's sync API (which runs an event loop in this thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM) or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason=MISSING)
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


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
        self.context = browser.new_context(viewport=PHONE, locale="nl-NL" if language == "nl" else "en-GB")
        self.page = self.context.new_page()
        self.axe = Axe()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def check(self, label: str) -> None:
        """The page's language is right, axe finds no WCAG 2.1 A/AA violation, and a phone and a desktop shot."""
        page = self.page
        page.wait_for_load_state("networkidle")
        assert page.get_attribute("html", "lang") == self.language, f"{label}: lang"
        results = self.axe.run(
            page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
        )
        violations = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
        ]
        assert not violations, f"{self.name}/{label} ({self.language}): " + "; ".join(violations)
        self.step += 1
        stem = f"{self.name}-{self.language}-{self.step:02d}-{label}"
        page.screenshot(path=str(SCREENSHOTS / f"{stem}-phone.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=str(SCREENSHOTS / f"{stem}-desktop.png"), full_page=True)
        page.set_viewport_size(PHONE)

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
