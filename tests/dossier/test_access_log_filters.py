"""Issue 13: "Wie heeft mijn dossier ingezien" filtered by period and by who, without ever leaking another
employee's rows; bad input gives a clear Dutch error and the whole log."""

from datetime import datetime

import pytest
import time_machine
from django.utils import timezone

from dossier import selectors, services
from dossier.forms import AccessLogFilterForm
from dossier.models import AccessLog
from tests.factories import document_for

pytestmark = pytest.mark.django_db


def _log(actor, subject, day: str, document=None):
    moment = timezone.make_aware(datetime.fromisoformat(f"{day} 12:00"))
    with time_machine.travel(moment, tick=False):
        return services.access_log_record(
            actor=actor,
            subject=subject,
            action=AccessLog.Action.VIEW_DOSSIER,
            ip="10.0.0.1",
            document=document,
        )


@pytest.fixture
def logged(world):
    """A's log: A on 1 and 10 March, HR X on 5 March, the case manager on 20 March; B's log: HR X on 5 March."""
    rows = {
        "a_1": _log(world.a, world.a, "2026-03-01"),
        "hr_5": _log(world.hr_x, world.a, "2026-03-05"),
        "a_10": _log(world.a, world.a, "2026-03-10"),
        "cm_20": _log(world.case_manager, world.a, "2026-03-20"),
        "b_hr_5": _log(
            world.hr_x, world.b, "2026-03-05", document=document_for(world.b, title="Geheim van Bert")
        ),
    }
    return {name: row.pk for name, row in rows.items()}


def _pks(queryset):
    return [row.pk for row in queryset]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["cm_20", "a_10", "hr_5", "a_1"]),
        ({"who": "self"}, ["a_10", "a_1"]),
        ({"who": "staff"}, ["cm_20", "hr_5"]),
        ({"date_from": "2026-03-05"}, ["cm_20", "a_10", "hr_5"]),
        ({"date_to": "2026-03-05"}, ["hr_5", "a_1"]),  # the end day is included as a whole
        ({"date_from": "2026-03-05", "date_to": "2026-03-10", "who": "staff"}, ["hr_5"]),
        ({"date_from": "2026-03-05", "date_to": "2026-03-05"}, ["hr_5"]),
    ],
)
def test_access_log_of_filters_by_period_and_who(world, logged, filters, expected):
    form = AccessLogFilterForm(filters)
    assert form.is_valid(), form.errors
    rows = selectors.access_log_of(user=world.a, **form.cleaned_data)
    assert _pks(rows) == [logged[name] for name in expected]


@pytest.mark.parametrize("who", ["all", "staff", "self"])
def test_access_log_filter_never_shows_another_employees_rows(world, logged, client_for, who):
    client = client_for(world.b)
    rows = selectors.access_log_of(user=world.b, who=who)
    assert all(row.subject_id == world.b.pk for row in rows)
    response = client.get("/dossier/access-log/", {"who": who, "date_from": "2000-01-01"})
    shown = response.context["page_obj"].object_list
    assert all(row.subject_id == world.b.pk for row in shown)
    assert not {row.pk for row in shown} & {logged[n] for n in ("a_1", "hr_5", "a_10", "cm_20")}
    if who != "self":
        assert "Geheim van Bert" in response.content.decode()  # B sees their own row, and only theirs


def test_access_log_page_filters_and_keeps_the_filter_in_the_page_links(world, logged, client_for):
    client = client_for(world.a)
    for n in range(55):  # more than one page of A's own views today
        _log(world.a, world.a, "2026-04-02")
    response = client.get("/dossier/access-log/", {"date_from": "2026-04-01", "who": "self"})
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 55
    assert "?page=2&amp;date_from=2026-04-01&amp;who=self" in body
    assert "<legend>Periode</legend>" in body and "<legend>Wie keek er</legend>" in body
    assert 'type="date"' in body and 'value="2026-04-01"' in body


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "De einddatum ligt vóór de begindatum"),
        ({"date_from": "gisteren"}, "Vul een datum in als dag-maand-jaar"),
        ({"date_to": "2026-02-30"}, "Vul een datum in als dag-maand-jaar"),
        ({"date_to": "9999-12-31"}, "tussen de jaren 2000 en 2999"),
        ({"date_from": "0001-01-01"}, "tussen de jaren 2000 en 2999"),
        ({"who": "everyone-else"}, "Kies wiens inzage u wilt zien"),
        ({"date_from": "2026-03-01\x00"}, "Vul een datum in als dag-maand-jaar"),
    ],
)
def test_access_log_bad_filter_says_what_is_wrong_and_shows_the_whole_log(
    world, logged, client_for, query, error
):
    response = client_for(world.a).get("/dossier/access-log/", query)
    body = response.content.decode()
    assert response.status_code == 200
    assert error in body and 'role="alert"' in body
    assert response.context["page_obj"].paginator.count == 4  # unfiltered, and still only A's rows


def test_access_log_filter_accepts_dutch_day_month_year(world, logged):
    form = AccessLogFilterForm({"date_from": "05-03-2026", "date_to": "05-03-2026"})
    assert form.is_valid()
    assert _pks(selectors.access_log_of(user=world.a, **form.cleaned_data)) == [logged["hr_5"]]


def test_access_log_page_in_english(world, logged, client_for):
    world.a.language = "en"
    world.a.save(update_fields=["language"])
    body = client_for(world.a).get("/dossier/access-log/", {"date_from": "x"}).content.decode()
    assert "Enter a date as day-month-year" in body and "<legend>Period</legend>" in body
