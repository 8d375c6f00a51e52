"""Issue 17, the second-factor screens: recovery codes a tired person can type, a throttle said in minutes."""

import re

import pytest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from tests.conftest import totp_code
from twofactor.services import RECOVERY_CODE_ALPHABET, recovery_codes_replace

pytestmark = pytest.mark.django_db

LOOK_ALIKES = set("il1o0")


def test_new_recovery_codes_have_no_look_alike_characters(user):
    codes = [code for _ in range(20) for code in recovery_codes_replace(user=user)]
    assert len(codes) == len(set(codes)) == 200
    assert all(len(code) == 10 and set(code) <= set(RECOVERY_CODE_ALPHABET) for code in codes)
    assert not LOOK_ALIKES & set("".join(codes))


def test_old_recovery_code_keeps_working(client, login, enrolled_user):
    device = StaticDevice.objects.get(user=enrolled_user)
    StaticToken.objects.create(
        device=device, token="lio2k7xa"
    )  # django-otp's old base32 shape, look-alikes and all
    login(enrolled_user)
    assert client.post("/twofactor/verify/", {"token": "LIO2 K7XA"})["Location"] == "/dossier/"


def test_new_recovery_code_typed_in_capitals_with_a_space_or_dash_works(client, login, enrolled_user):
    code = enrolled_user.recovery_codes[0]
    login(enrolled_user)
    typed = f"{code[:5].upper()}-{code[5:].upper()}"
    assert client.post("/twofactor/verify/", {"token": typed})["Location"] == "/dossier/"


@pytest.mark.parametrize("page", ["verify", "reauth"])
def test_fields_that_take_a_recovery_code_open_a_text_keyboard_and_explain_it(
    client, login, enrolled_user, verify, page
):
    if page == "verify":
        login(enrolled_user)
        body = client.get("/twofactor/verify/").content.decode()
    else:
        verify(client, enrolled_user)
        body = client.get("/account/settings/reauth/").content.decode()
    field = re.search(r'<input[^>]*name="token"[^>]*>', body).group(0)
    assert "inputmode" not in field and 'autocapitalize="none"' in field
    assert "Een herstelcode bestaat uit letters en cijfers" in body
    assert "6 cijfers" not in field


def test_throttled_code_says_how_many_minutes_and_the_recovery_code(client, login, enrolled_user):
    login(enrolled_user)
    client.post("/twofactor/verify/", {"token": "000000"})
    body = client.post("/twofactor/verify/", {"token": totp_code()}).content.decode()
    error = re.search(r'id="id_token_error"[^>]*>(.*?)</div>', body, re.S).group(1)
    assert "Wacht 1 minuut" in error and "herstelcode" in error
    assert not re.search(r"\d\d:\d\d", error)
