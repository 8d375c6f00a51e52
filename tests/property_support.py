"""Property-based tests (hypothesis): shared strategies, oracles and helpers of the tests/<app>/test_*_properties.py
files. Each property posts arbitrary input (huge strings, NUL bytes, unicode, newlines, forged URLs) and checks
that the answer is either the success of the form or a translated (Dutch by default) error message, and that an
error left the data as it was (the append-only audit log and the devices' throttling counters excepted). Every
example runs in a fresh browser with an empty cache, so the limits of one example never decide the next one.
"""

import atexit
import datetime
import functools
import os
import re
import shutil
import tempfile
import time
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pyotp
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from accounts.models import User
from core.models import OutgoingEmail
from dossier.models import AccessLog, Document
from tests.conftest import TOTP_SECRET
from tests.factories import PASSWORD
from tests.session_state import all_session_keys
from twofactor.conf import EU_REGIONS
from twofactor.models import SMSDevice

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
    """The form's rule, said another way: the ISO date of a date input; or day, month, year split by -, /, . or
    spaces; or 8 digits ddmmyyyy (spaces between them ignored). A real date, year 1900 up to this year."""
    text = " ".join(value.split())
    parts = re.split(r"\s*[-/. ]\s*", text)
    digits = text.replace(" ", "")
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        year, month, day = parts
    elif len(parts) == 3 and all(p.isascii() and p.isdigit() for p in parts) and len(parts[2]) == 4:
        day, month, year = parts
    elif len(digits) == 8 and digits.isascii() and digits.isdigit():
        day, month, year = digits[:2], digits[2:4], digits[4:]
    else:
        return None
    try:
        parsed = datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None
    return parsed if 1900 <= parsed.year <= datetime.date.today().year else None


# ----------------------------------------------------------------------------------------------- login
PASSWORDS = st.one_of(
    st.just(PASSWORD),
    st.builds(lambda pre, post: pre + PASSWORD + post, WHITESPACE, WHITESPACE),
    st.just(PASSWORD.upper()),
    st.just(PASSWORD + "\x00"),
    ANY_TEXT,
    st.text(min_size=1_000, max_size=1_100),
)


# ----------------------------------------------------------------------------------------------- password reset
def _date_texts(d: datetime.date) -> list[str]:
    return [
        f"{d.day:02d}-{d.month:02d}-{d.year:04d}",
        f"{d.year:04d}-{d.month:02d}-{d.day:02d}",
        f"{d.day}-{d.month}-{d.year}",
        f"{d.day:02d}/{d.month:02d}/{d.year:04d}",
        f"{d.day:02d}.{d.month:02d}.{d.year:04d}",
        f"{d.day:02d}{d.month:02d}{d.year:04d}",  # only digits, from an iPhone's number keypad
        f"{d.day:02d} {d.month:02d} {d.year:04d}",
        f"{d.day}/{d.month}/{d.year}",
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


# ----------------------------------------------------------------------------------------------- more form inputs
NEW_PASSWORDS = st.one_of(
    st.sampled_from(
        ["een-heel-nieuw-wachtwoord", " spaties rondom ", "x" * 1024, "x" * 1025, "wachtwoord", "jan"]
    ),
    st.text(min_size=10, max_size=40),
    ANY_TEXT,
    st.text(min_size=1_020, max_size=1_030),
)


QUERY_PAGES = ["/dossier/", "/dossier/access-log/", "/accounts/logged-out/", "/accounts/login/"]
