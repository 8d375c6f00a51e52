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


# ------------------------------------------------------------------ the request's own values (slots, issue 18)
def _csrf_values(html: str) -> list[str]:
    import re

    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)


def _reference(response) -> str:
    """The page as Django renders it for this very request, without any slot: the layout with the request's real
    values (context processors), the body built afresh and the messages as the layout's own include renders them."""
    from django.contrib.messages import get_messages
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    from dossier.views import DossierHomeView

    request = response.wsgi_request
    view = DossierHomeView()
    view.setup(request)
    body, _ = view.build_body(category="", number=1)
    messages_html = render_to_string("_messages.html", {"messages": get_messages(request)})
    context = {"body": mark_safe(body["html"]), "messages_html": mark_safe(messages_html)}
    return render_to_string("dossier/home.html", context, request=request)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_filled_frame_is_the_page_django_renders_for_each_employee(world, client_for, language):
    """The frame is rendered once per process, without the user: for two employees in turn, the page they get is,
    character for character, what Django's templates render for their own request and account."""
    document_for(world.a, title='Plan <van> "aanpak" & zo')
    for employee in (world.a, world.b):
        client = client_for(employee)
        client.cookies["django_language"] = language
        page(client)  # builds and keeps the body
        response = client.get("/dossier/?x=%3Cscript%3E&y=%22q%22")  # served from the kept body
        kept = response.content.decode()
        tokens = _csrf_values(kept)
        assert len(tokens) >= 3 and len(set(tokens)) == 1  # one token, in every form of the page
        expected = _reference(response)
        for token in _csrf_values(expected):
            expected = expected.replace(token, tokens[0])
        assert kept == expected
        assert not any(marker in kept for marker in page_cache.markers().values())


def test_the_frame_holds_nothing_of_anyone(world, client_for):
    for employee in (world.a, world.b):
        page(client_for(employee))
    texts, names = page_cache.frame("dossier/home.html", extendable=True)
    assert set(names) == set(page_cache.SLOTS)
    markers = page_cache.markers()
    frame = texts[0] + "".join(markers[name] + text for name, text in zip(names, texts[1:], strict=True))
    assert set(_csrf_values(frame)) == {markers["csrf_token"]}  # every form's token is the request's own
    for employee in (world.a, world.b):
        assert employee.email not in frame and employee.first_name not in frame


def test_a_session_near_its_absolute_end_gets_the_final_warning(world, client_for):
    import re
    import time

    from django.conf import settings

    from accounts.middleware import STARTED

    client = client_for(world.a)
    page(client)
    session = client.session
    session[STARTED] = time.time() - settings.SESSION_ABSOLUTE_LIFETIME + 300  # five minutes left in all
    session.save()
    html = page(client)
    assert 'data-idle-extendable="false"' in html
    assert 290 <= int(re.search(r'data-idle-expires-in="(\d+)"', html).group(1)) <= 300
    session[STARTED] = time.time()
    session.save()
    assert 'data-idle-extendable="true"' in page(client)


def test_the_kept_pages_csrf_token_is_this_sessions_and_its_forms_work(world, client_for):
    client = client_for(world.a)
    client.handler.enforce_csrf_checks = True  # from here on, as a browser: the token must be right
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/dossier/"}).status_code == 403
    assert client.get("/dossier/").status_code == 200
    token = _csrf_values(client.get("/dossier/").content.decode())[0]
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/dossier/", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert "My own dossier" in client.get("/dossier/").content.decode()


def test_the_address_slot_is_this_requests_escaped(world, client_for):
    client = client_for(world.a)
    page(client)
    html = client.get('/dossier/?page=1&q="><script>alert(1)</script>').content.decode()
    assert "<script>alert(1)" not in html
    assert 'name="next" value="/dossier/?page=1&amp;q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"' in html


def test_the_countdown_slot_counts_from_this_sessions_clock(world, client_for):
    import re

    from django.conf import settings

    client = client_for(world.a)
    first = re.search(r'data-idle-expires-in="(\d+)"', page(client)).group(1)
    assert abs(int(first) - settings.SESSION_IDLE_TIMEOUT) <= 2
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=30), tick=False):
        later = re.search(r'data-idle-expires-in="(\d+)"', page(client)).group(1)  # within WRITE_INTERVAL
    assert int(later) == int(first) - 30 or abs(int(later) - (int(first) - 30)) <= 1


def test_a_message_is_shown_once_on_the_kept_page_and_then_gone(world, client_for):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.cookie import CookieStorage

    client = client_for(world.a)
    page(client)  # kept
    storage = CookieStorage(client.get("/dossier/").wsgi_request)
    storage.add(constants.SUCCESS, "Uw antwoord is <opgeslagen>.")
    response = __import__("django.http", fromlist=["HttpResponse"]).HttpResponse()
    storage.update(response)
    client.cookies["messages"] = response.cookies["messages"].value
    html = page(client)
    assert html.count("Uw antwoord is &lt;opgeslagen&gt;.") == 1 and 'class="message message-success"' in html
    assert "Uw antwoord is" not in page(client)


def test_each_slot_has_its_own_marker_that_no_data_can_guess():
    """The markers are an HMAC under SECRET_KEY: distinct, long, and letters and digits only (escaping leaves them
    as they are, so the template's escaping of the real value is what the page gets)."""
    markers = page_cache.markers()
    assert len(set(markers.values())) == len(page_cache.SLOTS)
    assert all(len(m) > 30 and m.isalnum() for m in markers.values())
