"""Property tests (hypothesis) of the second factor: enrolment, verification, re-authentication, start.

Whatever is typed, the answer is never a 500 (strategies and oracles: tests/property_support.py).
"""

import datetime
from urllib.parse import urlencode

import pyotp
import pytest
from django.core.cache import cache
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import event, example, given
from hypothesis import strategies as st

from tests.conftest import TOTP_SECRET
from tests.factories import PASSWORD
from tests.property_support import (
    ANY_TEXT,
    NEXTS,
    PASSWORDS,
    PHONES,
    TOKEN_KINDS,
    TOKENS,
    _digits_in,
    _normalised,
    _sms_allowed,
    assert_dutch_errors,
    assert_local,
    fast,
    password_step,
    reset_totp,
    snapshot,
    totp_window,
)
from twofactor import otp
from twofactor.models import SMSDevice

pytestmark = pytest.mark.django_db


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

    response = client.post("/twofactor/setup/sms/send/", {"number": number})

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
