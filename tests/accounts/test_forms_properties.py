"""Property tests (hypothesis) of the login, password reset, password change, language.

Whatever is typed, the answer is never a 500 (strategies and oracles: tests/property_support.py).
"""

import html
import re
from urllib.parse import parse_qs, quote, urlsplit

import pyotp
import pytest
from django.conf import settings as django_settings
from django.utils.translation import check_for_language
from hypothesis import event, example, given
from hypothesis import strategies as st

from accounts.models import User
from tests.conftest import TOTP_SECRET
from tests.factories import PASSWORD
from tests.property_support import (
    ANY_TEXT,
    BIRTH_DATE,
    BIRTH_DATES,
    CAPTCHA_KINDS,
    EMAILS,
    EVIL,
    LANGUAGES,
    NEW_PASSWORDS,
    NEXT_ATTACKS,
    NEXTS,
    PASSWORDS,
    USER_EMAIL,
    _captcha_value,
    assert_dutch_errors,
    assert_local,
    error_texts,
    fast,
    fresh_client,
    parse_birth_date,
    reset_totp,
    snapshot,
)

pytestmark = pytest.mark.django_db


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
