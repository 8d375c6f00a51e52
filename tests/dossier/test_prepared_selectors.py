"""The employee's page reads as SQL compiled once (dossier/selectors.py, core/prepared.py; issue 18).

Each compiled read must give what the same QuerySet gives through the ORM, for every kind of row the page shows
(documents and their total, a category, a later page, trajects with their contacts, appointments around "now",
open actions answered or not, the employment), only the employee's own rows, and staff keep the ORM path."""

import datetime
import uuid

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dossier import selectors
from dossier.models import Appointment, Traject
from dossier.responses import response_create
from tests.factories import UserFactory, document_for

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname in obj.__dict__}
    for name in ("total", "answered"):  # annotations
        if hasattr(obj, name):
            values[name] = getattr(obj, name)
    for relation in ("employer", "case_manager", "company_doctor"):
        if relation in getattr(obj._state, "fields_cache", {}):
            related = obj._state.fields_cache[relation]
            values[relation] = _fields(related) if related is not None else None
    return values


def _same(prepared: list, orm) -> None:
    orm = list(orm)
    assert [type(o) for o in prepared] == [type(o) for o in orm]
    assert [_fields(o) for o in prepared] == [_fields(o) for o in orm]
    assert all(o._state.adding is False for o in prepared)


@pytest.fixture
def rich(world):
    """Employee A with a bit of everything; employee B with rows of the same kinds (which A must never get)."""
    a, b = world.a, world.b
    doctor = UserFactory(email="arts2@arbo.nl", first_name="Els", last_name="Visser", is_staff=True)
    for employee in (a, b):
        Traject.objects.create(employee=employee, kind="verzuim", start="2026-10-01", case_manager=world.case_manager,
                               company_doctor=doctor)  # fmt: skip
        Traject.objects.create(employee=employee, kind="coaching", start="2025-01-01", end="2025-06-01",
                               status=Traject.Status.CLOSED)  # fmt: skip
        for i in range(30):
            document_for(employee, title=f"Stuk {i} van {employee.first_name}",
                         category="overig" if i % 3 else "coaching")  # fmt: skip
        plan = document_for(employee, title="Plan van aanpak", category="plan_van_aanpak")
        plan.action_needed_before = timezone.now() + datetime.timedelta(days=3)
        plan.save(update_fields=["action_needed_before"])
        answered = document_for(employee, title="Beantwoord", category="plan_van_aanpak")
        answered.action_needed_before = timezone.now() + datetime.timedelta(days=1)
        answered.save(update_fields=["action_needed_before"])
        response_create(document=answered, author=employee, agreement="agree", own_view="Akkoord",
                        submission=uuid.uuid4())  # fmt: skip
        for minutes in (-90, -1, 1, 60 * 24):
            starts = timezone.now() + datetime.timedelta(minutes=minutes)
            Appointment.objects.create(employee=employee, starts_at=starts, with_whom=f"Dr. {minutes}", place="Utrecht")
    return world


def test_every_read_of_the_page_is_the_orms(rich):
    a = rich.a
    _same([selectors.employment_of(user=a)], [selectors._employments(a)[0]])
    _same(selectors.trajects_of(user=a), selectors._trajects(a))
    _same(selectors._ACTIONS.fetch(None, user_id=a.pk), selectors._actions(a))
    assert [d.title for d in selectors.open_actions(user=a)] == ["Plan van aanpak"]
    for category, number in (("", 1), ("", 2), ("coaching", 1), ("overig", 2)):
        page = selectors.dossier_page(user=a, category=category, number=number, per_page=10)
        documents = selectors.dossier_documents(user=a, category=category)
        _same(page.object_list, selectors._page_rows(documents, (number - 1) * 10, 10))
        assert page.paginator.count == documents.count()
    with time_machine.travel(timezone.now(), tick=False):
        upcoming = selectors.upcoming_appointments(user=a)
        _same(upcoming, selectors._upcoming(a, timezone.now()))
    assert [x.with_whom for x in upcoming] == ["Dr. 1", "Dr. 1440"]


def test_the_key_is_filled_in_so_each_employee_gets_only_their_own_rows(rich):
    a, b = rich.a, rich.b
    for user in (a, b, a):
        page = selectors.dossier_page(user=user, category="", number=1, per_page=50)
        assert {d.employee_id for d in page.object_list} == {user.pk}
        assert all(d.title.endswith(user.first_name) for d in page.object_list if d.title.startswith("Stuk"))
        assert {t.employee_id for t in selectors.trajects_of(user=user)} == {user.pk}
        assert {x.employee_id for x in selectors.upcoming_appointments(user=user)} == {user.pk}
        assert {d.employee_id for d in selectors._ACTIONS.fetch(None, user_id=user.pk)} == {user.pk}
        assert selectors.employment_of(user=user).user_id == user.pk


def test_the_clock_is_a_parameter_too(rich):
    first = Appointment.objects.filter(employee=rich.a, with_whom="Dr. 1").get()
    with time_machine.travel(first.starts_at + datetime.timedelta(seconds=1), tick=False):
        assert [x.with_whom for x in selectors.upcoming_appointments(user=rich.a)] == ["Dr. 1440"]
    with time_machine.travel(first.starts_at - datetime.timedelta(seconds=1), tick=False):
        assert [x.with_whom for x in selectors.upcoming_appointments(user=rich.a)] == ["Dr. 1", "Dr. 1440"]


def test_each_read_is_one_query_and_compiled_once(rich, monkeypatch):
    selectors.trajects_of(user=rich.a)  # compiled (perhaps earlier in this process)
    built = []
    monkeypatch.setattr(selectors._TRAJECTS, "build", lambda *args, **kw: built.append(args))
    with CaptureQueriesContext(connection) as ctx:
        assert len(selectors.trajects_of(user=rich.b)) == 2
    assert len(ctx.captured_queries) == 1 and not built


def test_staff_and_inactive_accounts_keep_the_orm_path(rich, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the prepared path was taken")

    for prepared in (selectors._TRAJECTS, selectors._EMPLOYMENT, selectors._PAGE_ROWS, selectors._UPCOMING):
        monkeypatch.setattr(prepared, "fetch", refuse)
    hr = rich.hr_x
    assert selectors.employment_of(user=hr).employer.name == "Werkgever X"
    assert selectors.trajects_of(user=hr) == []
    inactive = rich.a
    inactive.is_active = False
    assert selectors.dossier_page(user=inactive, category="", number=1, per_page=10).object_list == []


def test_the_pages_reads_together_are_the_selectors_one_by_one(rich):
    for user in (rich.a, rich.b):
        together = selectors.dossier_home(user=user, category="", number=2, per_page=10)
        assert together.employment == selectors.employment_of(user=user)
        _same(together.page.object_list, selectors._page_rows(selectors.dossier_documents(user=user), 10, 10))
        assert together.page.number == 2 and together.page.paginator.count == 32
        _same(together.trajects, selectors._trajects(user))
        assert [x.pk for x in together.appointments] == [x.pk for x in selectors._upcoming(user, timezone.now())]
        assert [d.pk for d in together.actions] == [d.pk for d in selectors.open_actions(user=user)]
    past_the_end = selectors.dossier_home(user=rich.a, category="", number=99, per_page=10)
    assert past_the_end.page.number == 4 and len(past_the_end.page.object_list) == 2  # the last page


def test_a_far_page_is_built_as_usual_and_compiles_nothing(rich):
    before = dict(selectors._PAGE_ROWS._compiled)
    page = selectors.dossier_page(user=rich.a, category="", number=selectors.PREPARED_PAGES + 1, per_page=1)
    assert page.number == selectors.PREPARED_PAGES + 1 and page.object_list[0].employee_id == rich.a.pk
    assert selectors._PAGE_ROWS._compiled.keys() == before.keys()


def test_staff_read_the_page_through_the_selectors(rich):
    home = selectors.dossier_home(user=rich.hr_x, category="", number=1, per_page=10)
    assert home.employment.employer.name == "Werkgever X" and home.trajects == [] and home.actions == []
