"""Property-based tests (hypothesis) of every form input: whatever is typed, the portal never answers 500.

Each property posts arbitrary input (huge strings, NUL bytes, unicode, newlines, forged URLs) and checks that the
answer is either the success of the form or a translated (Dutch by default) error message, and that an error left
the data as it was (the append-only audit log and the devices' throttling counters excepted: those are meant to
change). Every example runs in a fresh browser with an empty cache, so the limits of one example never decide
the next one.
"""

import atexit
import datetime
import functools
import html
import os
import re
import shutil
import tempfile
import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pyotp
import pytest
from django.conf import settings as django_settings
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django.utils.translation import check_for_language
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from accounts.forms import BIRTH_DATE_FORMATS
from accounts.models import User
from core.models import OutgoingEmail
from dossier.models import AccessLog, Document
from tests.conftest import TOTP_SECRET
from tests.factories import PASSWORD, UserFactory, document_for
from tests.session_state import all_session_keys
from twofactor import otp
from twofactor.conf import EU_REGIONS
from twofactor.models import SMSDevice

pytestmark = pytest.mark.django_db

# Hypothesis' caches (unicode tables, constants) go to a temporary folder, not .hypothesis/ in the project.
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="portal-hypothesis-")
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, ignore_errors=True)
set_hypothesis_home_dir(_HYPOTHESIS_HOME)

USER_EMAIL = "jan.jansen@example.nl"  # the `user` fixture's address
BIRTH_DATE = datetime.date(1985, 7, 4)  # the factory's birth date
SITE_HOST = "testserver"


# PROPERTIES_SCALE=10 multiplies every example count, for a longer hunt than the ~40 s of the default run.
SCALE = float(os.environ.get("PROPERTIES_SCALE", "1"))


def fast(max_examples: int):
    """Hypothesis settings of this file: no deadline (a request is slow), no example database on disk."""
    return settings(
        max_examples=max(1, int(max_examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )


# ----------------------------------------------------------------------------------------------- strategies
WHITESPACE = st.sampled_from(["", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\x1c", "\x0b"])
NASTY = [
    "",
    "\x00",
    "a\x00b",
    "\n",
    "\r\n",
    " ",
    "\u202e",
    "\ufeff",
    "💩",
    "Zoë",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "%00",
    "%s%d%(x)s{0}",
    "\\",
    "ǅ",
    "İ",
]


def huge(alphabet: str = "a") -> st.SearchStrategy[str]:
    """A long string (tens to hundreds of thousands of characters), under Django's 2.5 MB upload limit."""
    return st.builds(
        lambda n, c: c * n, st.integers(min_value=1_000, max_value=200_000), st.sampled_from(alphabet)
    )


ANY_TEXT = st.one_of(
    st.text(max_size=80),
    st.sampled_from(NASTY),
    huge("a\x00é💩\n"),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=255, max_size=2_000),
)


def _case(text: str, flags: list[bool]) -> str:
    return "".join(c.upper() if f else c for c, f in zip(text, flags + [False] * len(text), strict=False))


def email_variant(email: str) -> st.SearchStrategy[str]:
    """The real address in another case and with surrounding whitespace: still the same account."""
    return st.builds(
        lambda pre, flags, post: pre + _case(email, flags) + post,
        WHITESPACE,
        st.lists(st.booleans(), max_size=len(email)),
        WHITESPACE,
    )


EMAILS = st.one_of(
    email_variant(USER_EMAIL),
    st.emails().map(str),
    ANY_TEXT,
    st.sampled_from(
        [
            USER_EMAIL + "\x00",
            "\x00" + USER_EMAIL,
            USER_EMAIL.replace("@", "\n@"),
            "jan.jansen@example.nl.",
            "jan.jansen@exämple.nl",
            "jan.jansen@example.nl\u200b",
            "jan.jansen@EXAMPLE.NL\n\nBcc: x@evil.com",
            "a" * 250 + "@example.nl",
            "@",
            "a@b",
        ]
    ),
)

EVIL = "evil.example"
NEXT_ATTACKS = [
    f"//{EVIL}",
    f"///{EVIL}",
    f"////{EVIL}/x",
    f"/\\{EVIL}",
    f"\\\\{EVIL}",
    f"\\/{EVIL}",
    f"/\\/{EVIL}",
    f"/\t/{EVIL}",
    f"/\n/{EVIL}",
    f"/\r\n/{EVIL}",
    f" //{EVIL}",
    f"\x00//{EVIL}",
    f"\x01//{EVIL}",
    f"\u3000//{EVIL}",
    f"/%2F{EVIL}",
    f"/%5C{EVIL}",
    f"http://{EVIL}/",
    f"https://{EVIL}/dossier/",
    f"HTTPS://{EVIL}",
    f"https:{EVIL}",
    f"https:/{EVIL}",
    f"https:///{EVIL}",
    f"//{SITE_HOST}@{EVIL}",
    f"http://{SITE_HOST}@{EVIL}/",
    f"http://{SITE_HOST}/dossier/",
    f"//{EVIL}%2F..",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "/javascript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    f"/..//{EVIL}",
    f"/.//{EVIL}",
    f"/./\\{EVIL}",
    f"/\u2215\u2215{EVIL}",
    f"/\uff0f{EVIL}",
    f"\uff0f\uff0f{EVIL}",
    f"/\u2044{EVIL}",
    "/dossier/",
    "/dossier/?doc=1#frag",
    "/dossier/access-log/",
    "/accounts/logout/",
    "/twofactor/",
    "/",
    "",
    "/\x00",
    "/é/ü?x=💩",
    "/" + "a" * 5_000,
]
NEXTS = st.one_of(
    st.sampled_from(NEXT_ATTACKS),
    st.text(max_size=60),
    st.builds(
        lambda prefix, rest: prefix + rest,
        st.sampled_from(
            ["/", "//", "/\\", "\\", "http://", "https:", "javascript:", " ", "\t", "/\t", "%2F"]
        ),
        st.text(max_size=30),
    ),
)

LANGUAGES = st.one_of(
    st.sampled_from(
        [
            "nl",
            "en",
            "NL",
            "En",
            "nl-nl",
            "nl-be",
            "en-gb",
            "en-us",
            "de",
            "fr",
            "fy",
            "zh-hans",
            "sr-latn",
            "nl-abcdefgh",
            "en-12345678",
            "nl@euro",
            "xx",
            "",
            " nl",
            "nl ",
            "nl\n",
            "nl\x00",
            "../../etc/passwd",
        ]
    ),
    st.from_regex(r"[a-z]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True),
    st.text(max_size=20),
)


# ----------------------------------------------------------------------------------------------- oracles
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


def _squash(text: str) -> str:
    return " ".join(text.split())


@functools.cache
def _dutch_catalogue() -> tuple[frozenset, tuple, dict]:
    """Every Dutch text Django, the libraries and the portal know: exact texts and texts with placeholders."""
    from django.utils.translation import trans_real

    exact, patterns, english = set(), [], {}
    for key, value in trans_real.translation("nl")._catalog.items():
        msgid = key[0] if isinstance(key, tuple) else key
        msgid = msgid.split("\x04", 1)[-1]  # pgettext: "context\x04msgid"
        text = _squash(value)
        if not text:
            continue
        if _PLACEHOLDER.search(text):
            pieces = _PLACEHOLDER.split(text)
            patterns.append(re.compile("(?s)" + ".+?".join(re.escape(p) for p in pieces)))
        else:
            exact.add(text)
        if _squash(msgid) != text:
            english[_squash(msgid)] = text
    return frozenset(exact), tuple(patterns), english


def is_dutch(text: str) -> bool:
    exact, patterns, _ = _dutch_catalogue()
    text = _squash(text)
    return text in exact or any(p.fullmatch(text) for p in patterns)


class _ErrorCollector(HTMLParser):
    """The texts of every error on a page: inside role="alert", class "errorlist" or an error message, one text
    per <li> or <p> (or the whole block). Independent of the exact markup, which the templates may change."""

    VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
    )

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.capture_at: int | None = None
        self.items: list[list[str]] = []

    @staticmethod
    def _is_error(attrs) -> bool:
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        return attrs.get("role") == "alert" or "errorlist" in classes or "message-error" in classes

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        self.stack.append(tag)
        if self.capture_at is None and self._is_error(attrs):
            self.capture_at = len(self.stack)
            self.items.append([])
        elif self.capture_at is not None and tag in ("li", "p"):
            self.items.append([])

    def handle_endtag(self, tag):
        if tag in self.VOID or tag not in self.stack:
            return
        while self.stack and self.stack.pop() != tag:
            pass
        if self.capture_at is not None and len(self.stack) < self.capture_at:
            self.capture_at = None

    def handle_data(self, data):
        if self.capture_at is not None:
            self.items[-1].append(data)


def error_texts(response) -> list[str]:
    collector = _ErrorCollector()
    collector.feed(response.content.decode())
    texts = [_squash("".join(item)) for item in collector.items]
    return [text for text in texts if text]


def assert_dutch_errors(response) -> list[str]:
    """At least one error message on the page, each one a Dutch text (no English msgid, no raw code)."""
    errors = error_texts(response)
    assert errors, f"status {response.status_code} without an error message"
    english = _dutch_catalogue()[2]
    for text in errors:
        assert text not in english, f"untranslated (English) error message: {text!r}"
        assert is_dutch(text), f"error message not in the Dutch catalogue: {text!r}"
    assert '<html lang="nl"' in response.content.decode()
    return errors


def _browser_view(url: str) -> str:
    """What a browser makes of a URL: tabs and newlines dropped, backslashes read as slashes, leading junk gone."""
    url = re.sub(r"[\t\r\n]", "", url).replace("\\", "/")
    return url.lstrip("".join(chr(c) for c in range(0x21)))


def assert_local(url: str, *, allow_own_host: bool = False, allow_relative: bool = False) -> None:
    """A path on this site: no other host, no scheme (javascript:, data:), not even after a browser's cleanup.

    `allow_own_host`: http(s)://testserver/... counts as this site; `allow_relative`: so does a relative
    reference ("0", "x/y"), which a browser resolves against the current page.
    """
    seen = _browser_view(url)
    parts = urlsplit(seen)
    if allow_own_host and parts.netloc == SITE_HOST and parts.scheme in ("http", "https"):
        return
    if allow_relative and url and not url.startswith("/") and seen and not seen.startswith("/"):
        assert not parts.scheme and not parts.netloc, f"another host or scheme: {url!r}"
        return
    assert not parts.scheme and not parts.netloc, f"another host or scheme: {url!r}"
    assert url.startswith("/") and not url.startswith("//"), f"not a local path: {url!r}"
    assert seen.startswith("/") and not seen.startswith("//"), f"a browser leaves this site: {url!r}"


def snapshot(*, sessions: bool = False) -> dict:
    """The data an error must leave alone (audit events and device throttling counters are meant to change)."""
    state = {
        "users": list(
            User.objects.order_by("pk").values_list(
                "pk", "email", "password", "language", "is_active", "birth_date", "mobile", "last_login"
            )
        ),
        "totp": list(TOTPDevice.objects.order_by("pk").values_list("pk", "user_id", "key", "confirmed")),
        "sms": list(
            SMSDevice.objects.order_by("pk").values_list("pk", "user_id", "number", "confirmed", "token")
        ),
        "static": list(StaticDevice.objects.order_by("pk").values_list("pk", "user_id", "confirmed")),
        "codes": list(StaticToken.objects.order_by("pk").values_list("pk", "device_id", "token")),
        "mail": list(OutgoingEmail.objects.order_by("pk").values_list("pk", flat=True)),
        "documents": list(Document.objects.order_by("pk").values_list("pk", "employee_id")),
        "access_log": AccessLog.objects.count(),
    }
    if sessions:
        state["sessions"] = all_session_keys()
    return state


def fresh_client(**headers) -> Client:
    cache.clear()
    return Client(**headers)


def password_step(user, password=PASSWORD) -> Client:
    """A fresh browser after the password step (the second step still to come)."""
    client = fresh_client()
    response = client.post("/accounts/login/", {"username": user.email, "password": password})
    assert response.status_code == 302, response
    return client


def reset_totp(user, *, failures: int = 0) -> None:
    """The app device as new: no code used yet, and `failures` recent wrong codes (0: not throttled)."""
    TOTPDevice.objects.filter(user=user).update(
        last_t=-1,
        throttling_failure_count=failures,
        throttling_failure_timestamp=timezone.now() if failures else None,
    )
    StaticDevice.objects.filter(user=user).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )


def totp_window(secret: str = TOTP_SECRET) -> set[str]:
    """The codes a device with tolerance 1 accepts right now."""
    totp, now = pyotp.TOTP(secret), time.time()
    return {totp.at(now + 30 * step) for step in (-1, 0, 1)}


def parse_birth_date(value: str) -> datetime.date | None:
    """The form's rule: stripped text in one of the accepted formats."""
    for fmt in BIRTH_DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    return None


# ----------------------------------------------------------------------------------------------- login
PASSWORDS = st.one_of(
    st.just(PASSWORD),
    st.builds(lambda pre, post: pre + PASSWORD + post, WHITESPACE, WHITESPACE),
    st.just(PASSWORD.upper()),
    st.just(PASSWORD + "\x00"),
    ANY_TEXT,
    st.text(min_size=1_000, max_size=1_100),
)


@fast(120)
@given(real=st.booleans(), username=EMAILS, password=PASSWORDS, next_=NEXTS, follow=st.booleans())
@example(real=False, username=USER_EMAIL, password=PASSWORD, next_=f"/\\{EVIL}", follow=True)
@example(real=False, username=USER_EMAIL, password=PASSWORD, next_=f"/\t/{EVIL}", follow=True)
@example(real=False, username="x" * 3_000_000, password="y", next_="/", follow=False)
def test_login_any_input_is_a_form_error_or_a_local_redirect(
    enrolled_user, real, username, password, next_, follow
):
    if real:  # half of the examples log in for real, so that `next` is followed
        username, password = username if username.strip().lower() == USER_EMAIL else USER_EMAIL, PASSWORD
    client = fresh_client()
    reset_totp(enrolled_user)
    before = snapshot(sessions=True)
    real = username.strip().lower() == USER_EMAIL and password == PASSWORD

    response = client.post("/accounts/login/", {"username": username, "password": password, "next": next_})

    if len(username) + len(password) > django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        assert response.status_code == 400  # Django refuses the body before any view runs
        assert '<html lang="nl"' in response.content.decode()
        return
    event(f"status {response.status_code}")
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        assert not real, "the real credentials were refused"
        assert snapshot(sessions=True) == before  # before touching client.session, which creates one
        assert "_auth_user_id" not in client.session
        assert_dutch_errors(response)
        for hidden in re.findall(r'name="next" value="([^"]*)"', response.content.decode()):
            assert_local(html.unescape(hidden))
        return
    assert real, f"logged in with {username!r} / {password!r}"
    assert client.session["_auth_user_id"] == str(enrolled_user.pk)
    location = response["Location"]
    assert_local(location)
    assert urlsplit(location).path == "/twofactor/"
    for carried in parse_qs(urlsplit(location).query).get("next", []):
        assert_local(carried)
    if follow:  # through the second step: the final destination is on this site too
        start = client.get(location)
        assert start.status_code == 302 and start["Location"] == "/twofactor/verify/"
        code = pyotp.TOTP(TOTP_SECRET).now()
        done = client.post("/twofactor/verify/", {"token": code})
        assert done.status_code == 302, done
        assert_local(done["Location"])


@fast(40)
@given(cookie=LANGUAGES.filter(lambda text: text.isascii()))  # a WSGI header is latin-1 by definition
@example(cookie="nl-abcdefgh")  # passes check_for_language, longer than the column (max_length=8)
def test_login_language_cookie_never_stores_an_unsupported_language(user, cookie):
    """A language picked with the flags before logging in becomes the user's; only a language the portal offers."""
    User.objects.filter(pk=user.pk).update(language="nl")
    client = fresh_client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = cookie
    response = client.post("/accounts/login/", {"username": USER_EMAIL, "password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    offered = {code for code, _name in django_settings.LANGUAGES}
    assert user.language in offered, f"cookie {cookie!r} stored language {user.language!r}"
    user.full_clean()  # the stored row stays valid (choices, max_length)


# ----------------------------------------------------------------------------------------------- password reset
def _date_texts(d: datetime.date) -> list[str]:
    return [
        f"{d.day:02d}-{d.month:02d}-{d.year:04d}",
        f"{d.year:04d}-{d.month:02d}-{d.day:02d}",
        f"{d.day}-{d.month}-{d.year}",
        f"{d.day:02d}/{d.month:02d}/{d.year:04d}",
        f"{d.day:02d}.{d.month:02d}.{d.year:04d}",
    ]


BIRTH_DATES = st.one_of(
    st.builds(lambda pre, t, post: pre + t, WHITESPACE, st.sampled_from(_date_texts(BIRTH_DATE)), WHITESPACE),
    st.dates().flatmap(lambda d: st.sampled_from(_date_texts(d))),
    st.sampled_from(
        [
            "31-02-2000",
            "29-02-2001",
            "30-02-1985",
            "00-07-1985",
            "04-13-1985",
            "04-00-1985",
            "32-01-1985",
            "1985-02-31",
            "04-07-85",
            "04071985",
            "4 juli 1985",
            "04-07-1985T00:00",
            "04-07-1985\x00",
            "-04-07-1985",
            "04-07-+1985",
            "04-07-١٩٨٥",
            "٠٤-٠٧-١٩٨٥",
            "04-07-0000",
            "31-12-9999",
            "01-01-10000",
            "99999-01-01",
        ]
    ),
    ANY_TEXT,
)
CAPTCHA_KINDS = st.sampled_from(["valid", "valid", "reused", "missing", "garbage", "forged", "tampered"])


def _captcha_value(kind: str, captcha, garbage: str) -> str:
    if kind == "valid":
        return captcha()
    if kind == "missing":
        return ""
    if kind == "garbage":
        return garbage
    if kind == "forged":
        return signing.dumps("nonce", salt="another.salt")
    token = captcha()
    return token[:-2] + ("AA" if not token.endswith("AA") else "BB")


@fast(80)
@given(
    birth_date=BIRTH_DATES,
    email=EMAILS,
    kind=CAPTCHA_KINDS,
    garbage=st.text(max_size=40),
    repeat=st.integers(min_value=1, max_value=4),
)
@example(birth_date="04-07-1985", email=USER_EMAIL, kind="valid", garbage="", repeat=4)
@example(birth_date="31-02-2000", email=USER_EMAIL, kind="valid", garbage="", repeat=1)
def test_password_reset_any_input(user, captcha, birth_date, email, kind, garbage, repeat):
    client = fresh_client()
    matches = email.strip().lower() == USER_EMAIL and parse_birth_date(birth_date) == BIRTH_DATE
    reused = captcha()
    for attempt in range(repeat):
        before = snapshot(sessions=True)
        token = reused if kind == "reused" else _captcha_value(kind, captcha, garbage)
        response = client.post(
            "/accounts/password-reset/",
            {"birth_date": birth_date, "email": email, "g-recaptcha-response": token},
        )
        after = snapshot(sessions=True)
        event(f"status {response.status_code}")
        assert response.status_code in (200, 302, 429), response.status_code
        captcha_ok = kind == "valid" or (kind == "reused" and attempt == 0)
        if response.status_code == 302:
            assert response["Location"] == "/accounts/password-reset/sent/"
            assert captcha_ok, f"captcha {kind!r} accepted"
            assert parse_birth_date(birth_date) is not None, f"birth date {birth_date!r} accepted"
            new_mail = len(after["mail"]) - len(before["mail"])
            assert new_mail == (1 if matches else 0), f"{new_mail} mails for {email!r} / {birth_date!r}"
            assert {k: v for k, v in after.items() if k != "mail"} == {
                k: v for k, v in before.items() if k != "mail"
            }
        else:
            assert_dutch_errors(response)
            assert after == before, "an error changed the data"
            if response.status_code == 429:
                assert captcha_ok  # only a request that passed the captcha uses up a limit
        if matches and captcha_ok and parse_birth_date(birth_date) and attempt < 3:
            assert response.status_code == 302, f"the matching request was refused: {error_texts(response)}"


# ----------------------------------------------------------------------------------------------- SMS enrolment
def _sms_allowed(text: str) -> bool:
    """Our oracle: a valid mobile number (read as Dutch when national) of an EU country."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(text.strip(), "NL")
    except phonenumbers.NumberParseException:
        return False
    mobile = phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    return (
        phonenumbers.is_valid_number(parsed)
        and mobile
        and phonenumbers.region_code_for_number(parsed) in EU_REGIONS
    )


PHONE_SAMPLES = [
    "+31612345678",
    "0612345678",
    "06 12 34 56 78",
    "06-12345678",
    "(06) 1234 5678",
    "0031612345678",
    "+31 (0)6 12345678",
    "+31201234567",  # a Dutch landline
    "+319001234567",
    "+32470123456",  # Belgium, mobile
    "+491701234567",  # Germany, mobile
    "+33612345678",  # France, mobile
    "+35799123456",  # Cyprus
    "+447700900123",  # United Kingdom: not in the EU
    "+41781234567",  # Switzerland
    "+12025550123",  # USA
    "+79123456789",  # Russia
    "+8613800138000",  # China
    "+882345678901",  # international network
    "+80012345678",  # international freephone
    "+31612345678x12",
    "+31612345678;ext=1",
    "tel:+31-6-12345678",
    "+31\x00612345678",
    "＋３１６１２３４５６７８",
    "+٣١٦١٢٣٤٥٦٧٨",
    "0612345678\n+12025550123",
    "+316123456789012345678901234567890",
    "+",
    "0",
    "",
    " ",
]
PHONES = st.one_of(
    st.sampled_from(PHONE_SAMPLES),
    st.from_regex(r"(\+|00)?[0-9 ()\-.]{1,20}", fullmatch=True),
    st.builds(
        lambda cc, rest: f"+{cc}{rest}",
        st.sampled_from([31, 32, 33, 34, 39, 44, 46, 48, 49, 1, 7, 86, 90, 234, 358, 800, 882, 979]),
        st.text(alphabet="0123456789", min_size=4, max_size=12),
    ),
    ANY_TEXT,
)


@fast(70)
@given(number=PHONES)
def test_sms_setup_any_number(settings, tmp_path, login, client, user, number):
    settings.TWOFACTOR_SMS_GATEWAY = "file"
    settings.TWOFACTOR_SMS_FILE_PATH = tmp_path
    if not client.session.get("_auth_user_id"):
        assert login(user).status_code == 302
    cache.clear()
    SMSDevice.objects.filter(user=user).delete()
    files_before = set(tmp_path.glob("*.txt"))
    before = snapshot()

    response = client.post("/twofactor/setup/sms/send/", { "number": number})

    new_files = set(tmp_path.glob("*.txt")) - files_before
    allowed = _sms_allowed(number)
    event(f"status {response.status_code}")
    assert response.status_code in (302, 400, 429), response.status_code
    if response.status_code == 302:
        assert response["Location"] == "/twofactor/setup/sms/"
        assert allowed, f"an SMS was sent to {number!r}"
        assert len(new_files) == 1
        to = new_files.pop().read_text().splitlines()[0].removeprefix("To: ")
        assert _sms_allowed(to), to
        assert SMSDevice.objects.get(user=user, confirmed=False).number == to
    else:
        assert not allowed, f"the allowed number {number!r} was refused with {response.status_code}"
        assert not new_files, f"a message file for the refused number {number!r}"
        assert_dutch_errors(response)
        assert snapshot() == before


# ----------------------------------------------------------------------------------------------- verify (login)
def _digits_in(code: str, zero: str) -> str:
    return "".join(chr(ord(zero) + int(c)) for c in code)


TOKEN_KINDS = st.sampled_from(["current", "spaced", "recovery", "other"])
TOKENS = st.one_of(
    st.text(alphabet="0123456789", min_size=0, max_size=10),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz234567 ", max_size=12),
    st.text(max_size=40),
    huge("0a \x00"),
    st.sampled_from(
        [
            "000000",
            "123456",
            "999999",
            " ",
            "\x00" * 6,
            "12345\x00",
            "1234567",
            "-12345",
            "+12345",
            "é",
            "١٢٣٤٥٦",
            "１２３４５６",
            "ß" * 6,
        ]
    ),
)


def _normalised(token: str) -> str:
    return "".join(token.strip().split()).lower()


@fast(70)
@given(
    kind=TOKEN_KINDS,
    other=TOKENS,
    spacing=st.sampled_from(["{}", " {} ", "{0}{1}{2} {3}{4}{5}", "\t{}\n", "{0} {1} {2} {3} {4} {5}"]),
    digits=st.sampled_from(["0", "\u0660", "\uff10"]),
    recovery_index=st.integers(min_value=0, max_value=9),
    upper=st.booleans(),
    failures=st.sampled_from([0, 0, 0, 3, 8]),
)
def test_verify_any_token(enrolled_user, kind, other, spacing, digits, recovery_index, upper, failures):
    client = password_step(enrolled_user)
    reset_totp(enrolled_user, failures=failures)
    code = pyotp.TOTP(TOTP_SECRET).now()
    if kind == "current":
        token = _digits_in(code, digits)
    elif kind == "spaced":
        token = spacing.format(*code) if "{0}" in spacing else spacing.format(code)
    elif kind == "recovery":
        token = enrolled_user.recovery_codes[recovery_index]
        token = token.upper() if upper else token
    else:
        token = other
    window_before = {int(c) for c in totp_window()}
    unused_codes = set(StaticToken.objects.filter(device__user=enrolled_user).values_list("token", flat=True))
    before = snapshot()

    response = client.post("/twofactor/verify/", {"token": token})

    window_after = {int(c) for c in totp_window()}
    n = _normalised(token)
    six = n.isascii() and n.isdigit() and len(n) == 6
    form_ok = 0 < len(token.strip()) <= 32 and "\x00" not in token
    as_int = int(n) if six else None
    surely = (
        form_ok and not failures and (as_int in window_before & window_after if six else n in unused_codes)
    )
    maybe = form_ok and (as_int in window_before | window_after if six else n in unused_codes)
    event(f"status {response.status_code}")
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert maybe, f"verified with {token!r}"
        assert_local(response["Location"])
        assert client.session.get("otp_device_id")
    else:
        assert not surely, f"the correct code {token!r} was refused"
        assert not client.session.get("otp_device_id")
        assert_dutch_errors(response)
        assert snapshot() == before


# ----------------------------------------------------------------------------------------------- app enrolment
@fast(50)
@given(
    kind=st.sampled_from(["current", "spaced", "other", "other"]),
    other=TOKENS,
    pad=st.sampled_from(["{}", " {} ", "\t{}\n", "{0}{1}{2} {3}{4}{5}"]),
)
@example(kind="other", other="é", pad="{}")  # non-ASCII text
def test_app_setup_any_token(user, kind, other, pad):
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    client = password_step(user)
    session = client.session
    secret = pyotp.random_base32(length=32)
    session[otp.PENDING_SECRET] = secret
    session.save()
    code = pyotp.TOTP(secret).now()
    if kind == "current":
        token = pad.format(*code) if "{0}" in pad else pad.format(code)
    elif kind == "spaced":
        token = f"{code[:3]} {code[3:]}"
    else:
        token = other
    window_before = totp_window(secret)
    before = snapshot()

    response = client.post("/twofactor/setup/app/", {"token": token})

    window_after = totp_window(secret)
    stripped = _normalised(token)  # white space inside a code is ignored, as at the verify step
    form_ok = 0 < len(token.strip()) <= 32 and "\x00" not in token
    event(f"status {response.status_code}")
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert form_ok and stripped in window_before | window_after, f"enrolled with {token!r}"
        assert response["Location"] == "/twofactor/recovery-codes/"
        assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    else:
        assert not (form_ok and stripped in window_before & window_after), (
            f"the correct code {token!r} refused"
        )
        assert_dutch_errors(response)
        assert snapshot() == before


# ----------------------------------------------------------------------------------------------- language
@fast(60)
@given(language=LANGUAGES, next_=NEXTS, referer=st.one_of(st.none(), st.sampled_from(NEXT_ATTACKS)))
@example(language="nl", next_="//", referer=None)
def test_set_language_anonymous(db, language, next_, referer):
    client = fresh_client(**({"HTTP_REFERER": referer} if referer is not None else {}))
    before = snapshot(sessions=True)
    response = client.post("/i18n/setlang/", {"language": language, "next": next_})
    event(f"status {response.status_code}")
    assert response.status_code == 302, response.status_code
    assert_local(response["Location"], allow_own_host=True, allow_relative=True)
    cookie = response.cookies.get(django_settings.LANGUAGE_COOKIE_NAME)
    if cookie is not None:
        assert check_for_language(language)
    assert snapshot(sessions=True) == before


@fast(40)
@given(language=LANGUAGES, next_=NEXTS)
@example(language="nl-abcdefgh", next_="/dossier/")
def test_set_language_verified_user_stores_only_an_offered_language(
    verified_client, enrolled_user, language, next_
):
    User.objects.filter(pk=enrolled_user.pk).update(language="nl")
    response = verified_client.post("/i18n/setlang/", {"language": language, "next": next_})
    event(f"status {response.status_code}")
    assert response.status_code == 302, response.status_code
    assert_local(response["Location"], allow_own_host=True, allow_relative=True)
    stored = User.objects.get(pk=enrolled_user.pk).language
    offered = {code for code, _name in django_settings.LANGUAGES}
    assert stored in offered, f"language {language!r} stored as {stored!r}"
    verified_client.cookies.pop(django_settings.LANGUAGE_COOKIE_NAME, None)


# ----------------------------------------------------------------------------------------------- documents
@pytest.fixture
def documents(enrolled_user):
    other = UserFactory(email="ander@example.nl")
    return document_for(enrolled_user, title="Eigen plan"), document_for(other, title="Niet van jou")


def _uuid_variants(pk) -> list[str]:
    text = str(pk)
    return [
        text,
        text.upper(),
        text.replace("-", ""),
        "{" + text + "}",
        f"urn:uuid:{text}",
        text + " ",
        text[:-1],
    ]


@fast(80)
@given(data=st.data())
def test_document_any_path_is_404_unless_it_is_the_own_document(verified_client, documents, data):
    own, others = documents
    text = data.draw(
        st.one_of(
            st.sampled_from(_uuid_variants(own.pk) + _uuid_variants(others.pk)),
            st.uuids().map(str),
            st.text(min_size=1, max_size=60),
            st.sampled_from(["..", ".", "%", "%2e%2e", "\x00", "\\", "💩", "../../admin", "a" * 5_000]),
        ),
        label="text",
    )
    raw = data.draw(st.booleans(), label="raw")  # raw: slashes stay path separators
    path = "/dossier/documents/" + quote(text, safe="/" if raw else "") + "/"
    before = snapshot()
    response = verified_client.get(path)
    if text == str(own.pk):
        assert response.status_code == 200
        return
    assert response.status_code == 404, (path, response.status_code)
    body = response.content.decode()
    assert '<html lang="nl"' in body and "Pagina niet gevonden" in body
    assert snapshot() == before


# ----------------------------------------------------------------------------------------------- more form inputs
NEW_PASSWORDS = st.one_of(
    st.sampled_from(
        ["een-heel-nieuw-wachtwoord", " spaties rondom ", "x" * 1024, "x" * 1025, "wachtwoord", "jan"]
    ),
    st.text(min_size=10, max_size=40),
    ANY_TEXT,
    st.text(min_size=1_020, max_size=1_030),
)


@fast(25)
@given(method=st.one_of(st.sampled_from(["sms", "app", "SMS", " app", "email", ""]), ANY_TEXT))
def test_setup_method_any_choice(user, method):
    TOTPDevice.objects.filter(user=user).delete()
    client = password_step(user)
    before = snapshot()
    response = client.post("/twofactor/setup/", {"method": method})
    event(f"status {response.status_code}")
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert method in ("sms", "app"), f"method {method!r} accepted"
        assert response["Location"] == f"/twofactor/setup/{method}/"
    else:
        assert method not in ("sms", "app")
        assert_dutch_errors(response)
    assert snapshot() == before


@fast(40)
@given(kind=st.sampled_from(["code", "padded", "other", "other"]), other=TOKENS)
def test_sms_validate_any_token(settings, tmp_path, user, kind, other):
    settings.TWOFACTOR_SMS_GATEWAY = "file"
    settings.TWOFACTOR_SMS_FILE_PATH = tmp_path
    TOTPDevice.objects.filter(user=user).delete()
    SMSDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    client = password_step(user)
    SMSDevice.objects.create(
        user=user,
        name="sms",
        confirmed=False,
        number="+31612345678",
        token="042917",
        valid_until=timezone.now() + datetime.timedelta(minutes=5),
        last_sent_at=timezone.now(),
    )
    token = {"code": "042917", "padded": " 042917\t"}.get(kind, other)
    before = snapshot()
    response = client.post("/twofactor/setup/sms/", {"validate": "1", "token": token})
    event(f"status {response.status_code}")
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 302:
        assert _normalised(token) == "042917", f"enrolled with {token!r}"
        assert response["Location"] == "/twofactor/recovery-codes/"
        assert SMSDevice.objects.get(user=user).confirmed
    else:
        assert _normalised(token) != "042917", "the right code was refused"
        assert_dutch_errors(response)
        assert snapshot() == before


@fast(40)
@given(
    real=st.booleans(),
    password=PASSWORDS,
    kind=st.sampled_from(["current", "recovery", "other"]),
    other=TOKENS,
    next_=NEXTS,
)
def test_reauth_any_password_token_and_next(
    verified_client, enrolled_user, real, password, kind, other, next_
):
    password = PASSWORD if real else password
    cache.clear()
    reset_totp(enrolled_user)
    unused = set(StaticToken.objects.filter(device__user=enrolled_user).values_list("token", flat=True))
    token = {
        "current": pyotp.TOTP(TOTP_SECRET).now(),
        "recovery": next(iter(sorted(unused)), "geen-codes"),
    }.get(kind, other)
    window_before = {int(c) for c in totp_window()}
    before = snapshot()
    response = verified_client.post(
        f"/account/settings/reauth/?{urlencode({'next': next_})}",
        {
            "password": password,
            "token": token,
        },
    )
    window_after = {int(c) for c in totp_window()}
    n = _normalised(token)
    six = n.isascii() and n.isdigit() and len(n) == 6
    form_ok = password == PASSWORD and 0 < len(token.strip()) <= 32 and "\x00" not in token
    maybe = form_ok and (int(n) in window_before | window_after if six else n in unused)
    surely = form_ok and (int(n) in window_before & window_after if six else n in unused)
    event(f"status {response.status_code}")
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert maybe, f"re-authenticated with {password!r} / {token!r}"
        assert_local(response["Location"])
    else:
        assert not surely, f"the right password and code {token!r} were refused"
        assert_dutch_errors(response)
        assert snapshot() == before


@fast(30)
@given(
    real=st.booleans(),
    old=PASSWORDS,
    new1=NEW_PASSWORDS,
    same=st.booleans(),
    new2=ANY_TEXT,
)
def test_password_change_any_input(verified_client, enrolled_user, real, old, new1, same, new2):
    old = PASSWORD if real else old
    from django.contrib.auth import HASH_SESSION_KEY
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    enrolled_user.set_password(PASSWORD)  # every example starts from the known password, session still valid
    enrolled_user.save(update_fields=["password"])
    session = verified_client.session
    session[HASH_SESSION_KEY] = enrolled_user.get_session_auth_hash()
    session.save()
    new2 = new1 if same else new2
    try:
        validate_password(new1, enrolled_user)
        strong = True
    except ValidationError:
        strong = False
    acceptable = old == PASSWORD and new1 == new2 and strong and 0 < len(new1) <= 1024 and "\x00" not in new1
    before = snapshot()
    response = verified_client.post(
        "/accounts/password-change/", {"old_password": old, "new_password1": new1, "new_password2": new2}
    )
    event(f"status {response.status_code}")
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert acceptable, f"password changed with {old!r} -> {new1!r} / {new2!r}"
        assert User.objects.get(pk=enrolled_user.pk).check_password(new1)
    else:
        assert not acceptable, "a valid password change was refused"
        assert_dutch_errors(response)
        assert snapshot() == before


@fast(40)
@given(
    uid=st.one_of(
        st.text(min_size=1, max_size=30),
        st.sampled_from(["MQ", "MA", "LTE", "OTk5OTk5OTk5OTk5OTk5OTk5OTk5", "=="]),
    ),
    token=st.one_of(st.text(min_size=1, max_size=60), st.just("set-password")),
)
def test_password_reset_link_any_text(user, uid, token):
    client = fresh_client()
    before = snapshot(sessions=True)
    response = client.get(f"/accounts/reset/{quote(uid, safe='')}/{quote(token, safe='')}/")
    event(f"status {response.status_code}")
    assert response.status_code in (200, 404), response.status_code
    body = response.content.decode()
    assert '<html lang="nl"' in body
    if response.status_code == 200:
        assert_dutch_errors(response)  # "Deze link is niet meer geldig ..."
    assert snapshot(sessions=True) == before


@fast(30)
@given(
    new1=NEW_PASSWORDS,
    same=st.booleans(),
    new2=ANY_TEXT,
)
def test_password_reset_new_password_any_input(user, new1, same, new2):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from accounts.tokens import password_reset_tokens

    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    client = fresh_client()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = client.get(f"/accounts/reset/{uid}/{password_reset_tokens.make_token(user)}/")
    assert link.status_code == 302
    new2 = new1 if same else new2
    try:
        validate_password(new1, user)
        strong = True
    except ValidationError:
        strong = False
    acceptable = new1 == new2 and strong and 0 < len(new1) <= 1024 and "\x00" not in new1
    before = snapshot()
    response = client.post(link["Location"], {"new_password1": new1, "new_password2": new2})
    event(f"status {response.status_code}")
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert acceptable, f"password set to {new1!r} / {new2!r}"
        assert response["Location"] == "/accounts/login/"
        assert User.objects.get(pk=user.pk).check_password(new1)
    else:
        assert not acceptable, "a valid new password was refused"
        assert_dutch_errors(response)
        assert snapshot() == before


@fast(40)
@given(next_=NEXTS)
def test_twofactor_start_any_next_ends_on_this_site(enrolled_user, next_):
    """A mail link /twofactor/?next=... after the password step: after the code, still on this site."""
    client = password_step(enrolled_user)
    reset_totp(enrolled_user)
    start = client.get(f"/twofactor/?{urlencode({'next': next_})}")
    assert start.status_code == 302 and start["Location"] == "/twofactor/verify/"
    done = client.post("/twofactor/verify/", {"token": pyotp.TOTP(TOTP_SECRET).now()})
    assert done.status_code == 302, done
    assert_local(done["Location"])


QUERY_PAGES = ["/dossier/", "/dossier/access-log/", "/accounts/logged-out/", "/accounts/login/"]


@fast(40)
@given(
    page=st.sampled_from(QUERY_PAGES),
    name=st.sampled_from(["page", "reason", "next", "download"]),
    value=st.one_of(
        st.sampled_from(["0", "-1", "1e9", "last", "99999999999999999999", "nan"]), NEXTS, ANY_TEXT
    ),
)
def test_query_parameters_any_value(verified_client, page, name, value):
    client = verified_client if page.startswith("/dossier/") else fresh_client()
    response = client.get(page, {name: value})
    event(f"status {response.status_code}")
    assert response.status_code == 200, response.status_code
    body = response.content.decode()
    assert '<html lang="nl"' in body
    for hidden in re.findall(r'name="next" value="([^"]*)"', body):
        assert_local(html.unescape(hidden))
