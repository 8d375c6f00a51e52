"""dossier/access.py on its own, from the attacker's side: who sees which employee, document, employer and log.

The rules: an employee sees only their own dossier; employer HR its own employer's employees and never a medical
document; case managers every employer, never medical; medical staff and superusers all. Inactive accounts,
anonymous visitors and staff without an employer see nothing; staff accounts are never "employees".
"""

import pytest
from django.contrib.auth.models import AnonymousUser

from dossier import access
from dossier.models import AccessLog
from dossier.services import access_log_record
from tests.factories import DocumentFactory, EmploymentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def docs(world):
    return {
        "a": DocumentFactory(employee=world.a, title="Plan Anna"),
        "a_medical": DocumentFactory(employee=world.a, title="Advies Anna", medical=True),
        "c": DocumentFactory(employee=world.c, title="Plan Cor"),
    }


def _titles(user):
    return set(access.documents_visible_to(user).values_list("title", flat=True))


def test_each_role_sees_exactly_its_documents(world, docs):
    assert _titles(world.a) == {"Plan Anna", "Advies Anna"}  # the employee: own, medical included
    assert _titles(world.b) == set()
    assert _titles(world.hr_x) == {"Plan Anna"}
    assert _titles(world.hr_y) == {"Plan Cor"}
    assert _titles(world.case_manager) == {"Plan Anna", "Plan Cor"}
    assert _titles(world.medical) == {"Plan Anna", "Advies Anna", "Plan Cor"}


def test_staff_accounts_are_never_employees_of_anyone(world):
    for viewer in (world.hr_x, world.case_manager, world.medical):
        visible = access.employees_visible_to(viewer)
        assert not visible.filter(is_staff=True).exists()
    assert set(access.employees_visible_to(world.hr_x)) == {world.a, world.b}


def test_an_inactive_account_sees_nothing(world, docs):
    for user in (world.a, world.hr_x, world.case_manager, world.medical):
        user.is_active = False
        assert _titles(user) == set()
        assert not access.employees_visible_to(user).exists()
        assert not access.access_logs_visible_to(user).exists()


def test_anonymous_sees_nothing(world, docs):
    anonymous = AnonymousUser()
    assert not access.documents_visible_to(anonymous).exists()
    assert not access.employees_visible_to(anonymous).exists()
    assert not access.employers_visible_to(anonymous).exists()
    assert not access.trajects_visible_to(anonymous).exists()


def test_hr_without_an_employer_sees_no_one(world, docs):
    from django.contrib.auth.models import Group

    stray = UserFactory(email="hr-zonder-werkgever@example.nl", is_staff=True)
    stray.groups.add(Group.objects.get(name="Werkgever HR"))
    assert not access.employees_visible_to(stray).exists()
    assert _titles(stray) == set()
    assert not access.employers_visible_to(stray).exists()


def test_an_employee_marked_staff_by_mistake_gains_nothing_from_the_flag_alone(world, docs):
    world.a.is_staff = True  # no group, no permission: not a role
    world.a.save(update_fields=["is_staff"])
    assert _titles(world.a) == set()  # no longer "an employee", and no staff right either


def test_moving_an_employee_moves_hr_visibility_with_them(world, docs):
    employment = world.a.employment
    employment.employer = world.y
    employment.save()
    assert "Plan Anna" in _titles(world.hr_y) and "Plan Anna" not in _titles(world.hr_x)


def test_the_access_log_is_the_employees_own_or_provider_staffs(world):
    access_log_record(actor=world.hr_x, subject=world.a, action=AccessLog.Action.VIEW_RECORD, ip=None)
    access_log_record(actor=world.hr_y, subject=world.c, action=AccessLog.Action.VIEW_RECORD, ip=None)
    assert list(access.access_logs_visible_to(world.a).values_list("subject", flat=True)) == [world.a.pk]
    assert not access.access_logs_visible_to(world.hr_x).exists()  # HR never reads the log
    assert access.access_logs_visible_to(world.case_manager).count() == 2


def test_a_second_employment_row_cannot_exist(world):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        EmploymentFactory(user=world.a, employer=world.y)


def test_trajects_in_the_web_portaals_choices_carry_their_employees_name(world):
    import datetime

    from dossier.models import Traject

    for employee in (world.a, world.b):
        Traject.objects.create(employee=employee, kind="verzuim", start=datetime.date(2026, 10, 1))
    labels = [str(t) for t in access.trajects_visible_to(world.hr_x)]
    assert len(set(labels)) == 2 and all("01-10-2026" in label for label in labels)
    assert any("Anna" in label for label in labels) and any("Bert" in label for label in labels)


# What the rules may read of the user: the request's own user as Django's auth loads it (AuthenticationMiddleware,
# a full row), never something only a middleware or a cache adds. A new name here is a reviewed choice.
USER_ATTRIBUTES_THE_RULES_READ = {
    "is_authenticated",
    "is_active",
    "is_staff",
    "is_superuser",
    "has_perm",
    "employment",
}


def test_the_access_rules_read_only_what_the_requests_own_user_carries(world):
    """dossier/access.py takes the real user (request.user). Every attribute it reads of a user is on the list
    above, and each is there on a user loaded the way Django's auth loads the request's user; a rule that starts
    reading something else (a value a cache, a stand-in or a middleware would have to supply) fails here."""
    import ast
    import inspect

    from django.contrib.auth import get_user_model
    from django.contrib.auth.backends import ModelBackend

    from dossier import access

    tree = ast.parse(inspect.getsource(access))
    read = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "user"
    }
    read |= {
        node.args[1].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", "") == "getattr"
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == "user"
        and isinstance(node.args[1], ast.Constant)
    }
    assert read == USER_ATTRIBUTES_THE_RULES_READ
    for someone in get_user_model().objects.all():
        loaded = ModelBackend().get_user(someone.pk)
        if loaded is None:  # an inactive account: no request user at all
            continue
        for name in read - {"employment"}:
            assert hasattr(loaded, name), name
        assert hasattr(type(loaded), "employment")  # the reverse relation Django defines (None when absent)
