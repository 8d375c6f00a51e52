"""dossier/page_cache.py: the employee's page body is kept until something it shows changes (issue 18).

Each rule from the attacker's and the stale page's side: a change of every kind renews the body, a write that
lands while a body is being built never leaves that body in use, a body never reaches another employee, and a
failing cache costs nothing but speed. The access-log row is written on every view, kept body or not.
"""

import datetime
import uuid

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dossier import page_cache, services
from dossier.models import AccessLog, Appointment, Document, Traject
from tests.factories import document_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def page(client) -> str:
    response = client.get("/dossier/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_kept_body_saves_the_page_queries_and_every_view_is_still_logged(world, client_for):
    document_for(world.a, title="Plan A")
    client = client_for(world.a)
    with CaptureQueriesContext(connection) as first:
        assert "Plan A" in page(client)
    with CaptureQueriesContext(connection) as second:
        assert "Plan A" in page(client)
    tables = " ".join(q["sql"] for q in second.captured_queries)
    assert "dossier_document" not in tables and "dossier_traject" not in tables and "dossier_employment" not in tables
    assert len(second.captured_queries) < len(first.captured_queries)
    views = AccessLog.objects.filter(subject=world.a, action=AccessLog.Action.VIEW_DOSSIER)
    assert views.count() == 2
    assert set(views.values_list("actor_employer", flat=True)) == {"Werkgever X"}  # from the kept body too


def test_every_kind_of_change_renews_the_body(world, client_for):
    client = client_for(world.a)
    assert "Plan A" not in page(client)

    document = document_for(world.a, title="Plan A")  # a new document
    assert "Plan A" in page(client)

    Document.objects.get(pk=document.pk).delete()  # a removed document
    assert "Plan A" not in page(client)

    traject = Traject.objects.create(
        employee=world.a, kind="coaching", start="2026-11-01", case_manager=world.case_manager
    )
    body = page(client)
    assert "Coaching" in body and world.case_manager.email in body

    world.case_manager.first_name, world.case_manager.last_name = "Carla", "Casemanager"  # a contact's name
    world.case_manager.save()
    assert "Carla Casemanager" in page(client)

    traject.delete()
    assert "Carla Casemanager" not in page(client)

    employment = world.a.employment  # the employee's place and employer
    employment.job_title = "Magazijnmedewerker"
    employment.save()
    assert "Magazijnmedewerker" in page(client)
    world.x.name = "Werkgever X Nieuw"
    world.x.save()
    assert "Werkgever X Nieuw" in page(client)

    world.a.mobile = "+31687654321"  # the employee's own details
    world.a.save()
    assert "+31687654321" in page(client)

    starts = timezone.now() + datetime.timedelta(days=3)  # an appointment
    Appointment.objects.create(employee=world.a, starts_at=starts, with_whom="Dr. Visser", place="Utrecht")
    assert "Dr. Visser" in page(client)


def test_the_read_mark_goes_when_the_employee_opens_the_document(world, client_for):
    document = document_for(world.a, title="Plan A")
    client = client_for(world.a)
    assert page(client).count('class="badge"') == 1
    assert client.get(f"/dossier/documents/{document.pk}/").status_code == 200  # an UPDATE, no signal: changed()
    assert page(client).count('class="badge"') == 0


def test_a_response_takes_the_action_off_the_top(world, client_for):
    document = document_for(world.a, title="Plan A")
    Document.objects.filter(pk=document.pk).update(action_needed_before=datetime.date(2026, 12, 31))
    page_cache.changed(world.a.pk)
    client = client_for(world.a)
    assert "Te doen" in page(client)
    services_response(world.a, document)
    assert "Te doen" not in page(client)


def services_response(employee, document):
    from dossier.responses import response_create

    response_create(document=document, author=employee, agreement="agree", own_view="Akkoord", submission=uuid.uuid4())


def test_a_login_alone_keeps_the_body(world, client_for):
    client = client_for(world.a)
    page(client)
    token = cache.get(page_cache._token_key(world.a.pk))
    world.a.last_login = timezone.now()
    world.a.save(update_fields=["last_login"])
    assert cache.get(page_cache._token_key(world.a.pk)) == token


def test_a_write_during_the_build_never_leaves_that_body_in_use(world):
    """The reader takes the token before the rows; a write in between renews the token, so the body built from
    the older rows is kept under a token that is no longer current and the next reader builds again."""
    builds = []

    def build_with_a_write_halfway():
        builds.append(1)
        page_cache.changed(world.a.pk)  # another request's commit, between our token read and our rows
        return {"html": "old rows"}, None

    page_cache.body(user_id=world.a.pk, variant="nl::1", build=build_with_a_write_halfway)
    fresh = page_cache.body(user_id=world.a.pk, variant="nl::1", build=lambda: ({"html": "new rows"}, None))
    assert fresh == {"html": "new rows"}
    assert page_cache.body(user_id=world.a.pk, variant="nl::1", build=lambda: ({"html": "x"}, None)) == {
        "html": "new rows"
    }


def test_a_body_ends_when_its_first_appointment_starts(world, client_for, monkeypatch):
    monkeypatch.setattr(page_cache, "MAX_AGE", 3600)  # the appointment's start, not the safety net, ends it
    starts = timezone.now() + datetime.timedelta(minutes=10)
    Appointment.objects.create(employee=world.a, starts_at=starts, with_whom="Dr. Visser", place="Utrecht")
    client = client_for(world.a)
    assert "Dr. Visser" in page(client)
    with time_machine.travel(starts + datetime.timedelta(minutes=1), tick=False):  # within the idle timeout
        assert "Dr. Visser" not in page(client)


def test_a_body_never_reaches_another_employee_nor_another_language(world, client_for):
    document_for(world.a, title="Alleen van Anna")
    anna, bert = client_for(world.a), client_for(world.b)
    assert "Alleen van Anna" in page(anna)
    assert "Alleen van Anna" not in page(bert)
    anna.cookies["django_language"] = "en"
    english = anna.get("/dossier/").content.decode()
    assert "My own dossier" in english and "Mijn eigen dossier" not in english


def test_a_failing_cache_costs_only_speed(world, client_for, monkeypatch, caplog):
    document_for(world.a, title="Plan A")
    client = client_for(world.a)

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "get_many", down)
    monkeypatch.setattr(cache, "set_many", down)
    assert "Plan A" in page(client)
    assert AccessLog.objects.filter(subject=world.a, action=AccessLog.Action.VIEW_DOSSIER).count() == 1
    assert "Dossier page cache unavailable" in caplog.text
    services.document_mark_opened(document=Document.objects.get(title="Plan A"), by=world.a)  # renewal fails too
    assert "could not renew" in caplog.text


def test_off_without_a_shared_cache(world, client_for, settings):
    settings.DOSSIER_PAGE_CACHE = False
    client = client_for(world.a)
    cache.delete(page_cache._token_key(world.a.pk))  # set while the fixtures were written
    page(client)
    document_for(world.a, title="Plan A")
    assert "Plan A" in page(client)
    assert cache.get(page_cache._token_key(world.a.pk)) is None
