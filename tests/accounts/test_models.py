"""The custom user: email is the login, unique without regard to case; argon2id first; validators."""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.hashers import PortalArgon2PasswordHasher
from accounts.models import User

pytestmark = pytest.mark.django_db


def test_user_email_is_stored_lower_case_and_unique_without_case(user_factory):
    user = user_factory(email="Jan.Jansen@Example.NL")
    assert user.email == "jan.jansen@example.nl"
    with pytest.raises(IntegrityError):
        User.objects.create_user(email="JAN.JANSEN@example.nl", password="x" * 12)


def test_user_mobile_is_e164(user_factory):
    user = user_factory(mobile="+31 6 12345678")
    user.refresh_from_db()
    assert user.mobile.as_e164 == "+31612345678"


def test_user_fields_of_the_dossier(user_factory):
    user = user_factory(
        first_name="Emma", last_name="Smith", birth_date=datetime.date(1990, 11, 23), language="en"
    )
    assert str(user) == "Emma Smith"
    assert user.get_short_name() == "Emma"


def test_create_superuser_is_staff():
    admin = User.objects.create_superuser(email="beheer@example.nl", password="lang-genoeg-wachtwoord")
    assert admin.is_staff and admin.is_superuser


def test_base_settings_put_argon2id_first_with_owasp_parameters():
    from portal.settings import base

    assert base.PASSWORD_HASHERS[0] == "accounts.hashers.PortalArgon2PasswordHasher"
    hasher = PortalArgon2PasswordHasher()
    assert (hasher.memory_cost, hasher.time_cost, hasher.parallelism) == (19456, 2, 1)
    encoded = hasher.encode("een-wachtwoord", hasher.salt())
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.verify("een-wachtwoord", encoded)


@pytest.mark.parametrize(
    "password, ok",
    [
        ("kort", False),  # shorter than 10
        ("password123", False),  # common
        ("alleenkleineletters", True),  # no composition rules
        ("z" * 30 + " met spaties en é", True),
        ("a-b" * 22, True),  # 66 characters are allowed
        ("x" * 1025, False),  # absurd length
    ],
)
def test_password_validators(password, ok):
    assert settings.AUTH_PASSWORD_VALIDATORS
    if ok:
        password_validation.validate_password(password)
    else:
        with pytest.raises(ValidationError):
            password_validation.validate_password(password)


def test_get_by_natural_key_reads_the_same_user_as_the_orm(user_factory, django_assert_num_queries):
    """The password step's read (SQL compiled once, issue 18): whatever the case of the typed address, the same row
    with every field as the ORM reads it; one query."""
    user = user_factory(email="Piet.Post@Example.NL", first_name="Piet", language="en")
    with django_assert_num_queries(1):
        found = User.objects.get_by_natural_key("  PIET.post@example.nl ")
    expected = User.objects.get(pk=user.pk)
    assert type(found) is User and not found._state.adding and found._state.db == "default"
    assert {f.attname: getattr(found, f.attname) for f in User._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in User._meta.concrete_fields
    }


def test_get_by_natural_key_refuses_an_unknown_or_empty_address(user_factory):
    user_factory(email="piet@example.nl")
    for email in ("onbekend@example.nl", "", "piet@example.nl'--", "piet@example.n"):
        with pytest.raises(User.DoesNotExist):
            User.objects.get_by_natural_key(email)


def test_get_by_natural_key_on_a_bound_manager_uses_the_orm(user_factory):
    user = user_factory(email="piet@example.nl")
    assert User.objects.db_manager("default").get_by_natural_key("PIET@example.nl") == user
