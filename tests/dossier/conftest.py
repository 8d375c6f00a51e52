"""Fixtures of the dossier tests: two employers, their employees and HR, provider staff, all with a second factor."""

import base64

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import TOTP_SECRET
from tests.factories import EmployerFactory, EmploymentFactory, UserFactory


@pytest.fixture
def documents_dir():
    """The private documents folder (under the test run's temporary VAR_DIR)."""
    from pathlib import Path

    from dossier.models import documents_storage

    return Path(documents_storage().location)


def _with_app(user):
    TOTPDevice.objects.create(user=user, name="app", key=base64.b32decode(TOTP_SECRET).hex(), confirmed=True)
    return user


@pytest.fixture
def world(db):
    """Employer X with employees A and B and HR; employer Y with employee C and HR; a case manager; medical staff."""
    from django.contrib.auth.models import Permission

    from dossier.roles import ensure_roles

    # a transactional test elsewhere may have flushed the migration's groups
    ensure_roles(Group, Permission, strict=True)
    x, y = EmployerFactory(name="Werkgever X"), EmployerFactory(name="Werkgever Y")
    a = EmploymentFactory(employer=x, user=UserFactory(email="a@example.nl", first_name="Anna")).user
    b = EmploymentFactory(employer=x, user=UserFactory(email="b@example.nl", first_name="Bert")).user
    c = EmploymentFactory(employer=y, user=UserFactory(email="c@example.nl", first_name="Cor")).user
    hr_x = EmploymentFactory(employer=x, user=UserFactory(email="hr@x.nl", is_staff=True)).user
    hr_y = EmploymentFactory(employer=y, user=UserFactory(email="hr@y.nl", is_staff=True)).user
    hr_x.groups.add(Group.objects.get(name="Werkgever HR"))
    hr_y.groups.add(Group.objects.get(name="Werkgever HR"))
    case_manager = UserFactory(email="cm@arbo.nl", is_staff=True)
    case_manager.groups.add(Group.objects.get(name="Casemanager"))
    medical = UserFactory(email="arts@arbo.nl", is_staff=True)
    medical.groups.add(Group.objects.get(name="Medisch (bedrijfsarts)"))
    for user in (a, b, c, hr_x, hr_y, case_manager, medical):
        _with_app(user)

    class World:
        pass

    w = World()
    w.x, w.y, w.a, w.b, w.c = x, y, a, b, c
    w.hr_x, w.hr_y, w.case_manager, w.medical = hr_x, hr_y, case_manager, medical
    return w


@pytest.fixture
def client_for(verify):
    """A fresh browser per user, through both login steps."""

    def _client(user):
        client = Client()
        response = verify(client, user)
        assert response.status_code == 302, response.content[:500]
        return client

    return _client
