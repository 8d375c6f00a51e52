"""dossier/page_cache.py: the body of "Mijn eigen dossier" is kept in the cache until something it shows changes.

Each test first shows the page (so its body is kept), then writes, then shows it again: without the raise of the
employee's data_generation for that write, the second view would be the kept, stale body. Beside that: a body never
reaches another employee or another deployment, only existing pages get a key, a failing cache costs only speed, and
the page around the body is rendered for each request as any Django page.
"""

import datetime
import re
import time
import uuid

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dossier import page_cache, services
from dossier.models import AccessLog, Appointment, Document, Employment, Traject
from dossier.views import DossierHomeView
from tests.factories import TOTPDeviceFactory, UserFactory, document_for

pytestmark = pytest.mark.django_db


COACHING = "<strong>Coaching</strong>"  # a traject of that kind (the category filter offers "Coaching" too)


def page(client, query: str = "") -> str:
    response = client.get(f"/dossier/{query}")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def builds(monkeypatch):
    """How often a body was built from the database (not taken from the cache)."""
    calls = []
    build = DossierHomeView.build_body

    def counted(self, **kwargs):
        calls.append(kwargs)
        return build(self, **kwargs)

    monkeypatch.setattr(DossierHomeView, "build_body", counted)
    return calls


@pytest.fixture
def kept_keys(monkeypatch):
    """The keys the page cache stored bodies under."""
    keys = []
    real_set = cache.set

    def spy(key, *args, **kwargs):
        if key.startswith("dossier.page:"):
            keys.append(key)
        return real_set(key, *args, **kwargs)

    monkeypatch.setattr(cache, "set", spy)
    return keys


def generation(user) -> int:
    return get_user_model().objects.values_list("data_generation", flat=True).get(pk=user.pk)


# ------------------------------------------------------------------------------------------------ kept bodies
def test_a_kept_body_saves_the_page_queries_and_every_view_is_still_logged(world, client_for, builds):
    document_for(world.a, title="Plan A")
    client = client_for(world.a)
    with CaptureQueriesContext(connection) as first:
        assert "Plan A" in page(client)
    with CaptureQueriesContext(connection) as second:
        assert "Plan A" in page(client)
    assert len(builds) == 1
    tables = " ".join(q["sql"] for q in second.captured_queries)
    assert (
        "dossier_document" not in tables
        and "dossier_traject" not in tables
        and "dossier_employment" not in tables
    )
    assert len(second.captured_queries) < len(first.captured_queries)
    views = AccessLog.objects.filter(subject=world.a, action=AccessLog.Action.VIEW_DOSSIER)
    assert views.count() == 2
    assert set(views.values_list("actor_employer", flat=True)) == {"Werkgever X"}  # from the kept body too


def test_the_query_budget_of_the_page_built_and_kept(world, client_for, django_assert_max_num_queries):
    """Logged in and verified, in a steady session: the session, the user (and so the counter), the session's
    device, the body's five reads (employment, a page of documents, trajects with their contacts, appointments, open
    actions) and the access-log row. The kept body leaves the session, the user, the device and the access-log
    row."""
    Traject.objects.create(
        employee=world.a, kind="verzuim", start="2026-10-01", case_manager=world.case_manager
    )
    for n in range(3):
        document_for(world.a, title=f"Document {n}")
    client = client_for(world.a)
    page(client)  # the session's idle clock is written at most every 30 s: measure a steady session
    cache.clear()
    with django_assert_max_num_queries(9):
        assert "Document 2" in page(client)
    with django_assert_max_num_queries(4):
        assert "Document 2" in page(client)


def test_a_body_ends_when_its_first_appointment_starts(world, client_for, builds):
    starts = timezone.now() + datetime.timedelta(minutes=5)
    Appointment.objects.create(employee=world.a, starts_at=starts, with_whom="Dr. Visser", place="Utrecht")
    client = client_for(world.a)
    assert "Dr. Visser" in page(client)
    assert "Dr. Visser" in page(client) and len(builds) == 1
    with time_machine.travel(starts + datetime.timedelta(seconds=1), tick=False):  # within the idle timeout
        assert "Dr. Visser" not in page(client)
    assert len(builds) == 2


def test_a_body_lives_max_age_at_most(world, client_for, builds):
    client = client_for(world.a)
    page(client)
    with time_machine.travel(
        timezone.now() + datetime.timedelta(seconds=page_cache.MAX_AGE - 30), tick=False
    ):
        page(client)
    assert len(builds) == 1
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=page_cache.MAX_AGE + 1), tick=False):
        page(client)
    assert len(builds) == 2


def test_the_kept_page_is_the_page_built_afresh(world, client_for, settings):
    """Around the body the page is Django's as for any view: the kept page and one built without the cache are the
    same, but for the CSRF token (masked anew per response) and the idle countdown (seconds pass)."""
    Traject.objects.create(
        employee=world.a, kind="verzuim", start="2026-10-01", case_manager=world.case_manager
    )
    document_for(world.a, title='Plan <van> "aanpak" & zo')
    client = client_for(world.a)
    page(client)

    def comparable(html):
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "csrf", html)
        return re.sub(r'data-idle-expires-in="\d+"', "idle", html)

    kept = comparable(page(client))
    settings.DOSSIER_PAGE_CACHE = False
    assert comparable(page(client)) == kept
    assert "Plan &lt;van&gt; &quot;aanpak&quot; &amp; zo" in kept and 'id="idle-dialog"' in kept


# --------------------------------------------------------------------------------------- every write path
def test_a_new_document_is_on_the_page(world, client_for):
    client = client_for(world.a)
    assert "Plan A" not in page(client)
    document_for(world.a, title="Plan A")  # services.document_create
    assert "Plan A" in page(client)


def test_a_documents_change_and_deletion_are_on_the_page(world, client_for):
    document = document_for(world.a, title="Plan A")
    client = client_for(world.a)
    assert "Plan A" in page(client)
    document.title = "Plan B"
    document.save()
    assert "Plan B" in page(client)
    Document.objects.get(pk=document.pk).delete()
    assert "Plan B" not in page(client)


def test_the_new_mark_goes_when_the_employee_opens_the_document(world, client_for):
    document = document_for(world.a, title="Plan A")
    client = client_for(world.a)
    assert page(client).count('class="badge"') == 1
    assert (
        client.get(f"/dossier/documents/{document.pk}/").status_code == 200
    )  # an UPDATE, no signal: changed()
    assert page(client).count('class="badge"') == 0


def test_the_note_and_action_date_of_an_admin_upload_are_on_the_page(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import pdf_bytes

    client = client_for(world.a)
    assert "Te doen" not in page(client)
    response = client_for(world.hr_x).post(
        "/admin/dossier/document/add/",
        {
            "employee": world.a.pk,
            "category": "plan_van_aanpak",
            "title": "Plan 2026",
            "note": "Graag reageren",
            "action_needed_before": "2026-12-31",
            "upload": SimpleUploadedFile("p.pdf", pdf_bytes(), "application/pdf"),
        },
    )
    assert response.status_code == 302
    assert "Te doen" in page(client)  # a QuerySet.update() after the row: changed() in dossier.admin


def test_a_response_takes_the_action_off_the_top(world, client_for):
    from dossier.responses import response_create

    document = document_for(world.a, title="Plan A")
    Document.objects.filter(pk=document.pk).update(action_needed_before=datetime.date(2026, 12, 31))
    page_cache.changed(world.a.pk)
    client = client_for(world.a)
    assert "Te doen" in page(client)
    response_create(
        document=document, author=world.a, agreement="agree", own_view="Akkoord", submission=uuid.uuid4()
    )
    assert "Te doen" not in page(client)


def test_appointments_made_answered_cancelled_and_removed_are_on_the_page(world, client_for):
    from dossier.appointments import appointment_answer

    client = client_for(world.a)
    page(client)
    starts = timezone.now() + datetime.timedelta(days=3)
    appointment = Appointment.objects.create(employee=world.a, starts_at=starts, with_whom="Dr. Visser")
    assert "Dr. Visser" in page(client)
    appointment_answer(appointment=appointment, by=world.a, answer=Appointment.Answer.CONFIRMED)
    assert "Bevestigd" in page(client)
    appointment.refresh_from_db()
    appointment.cancelled = True
    appointment.save()
    assert "geannuleerd" in page(client)
    appointment.delete()
    assert "Dr. Visser" not in page(client)


def test_trajects_and_their_contacts_are_on_the_page(world, client_for):
    client = client_for(world.a)
    assert COACHING not in page(client)
    traject = Traject.objects.create(employee=world.a, kind="coaching", start="2026-11-01")
    assert COACHING in page(client) and world.case_manager.email not in page(client)
    traject.case_manager = world.case_manager
    traject.save()
    assert world.case_manager.email in page(client)
    traject.status = Traject.Status.CLOSED  # only an open traject's contacts are shown
    traject.save()
    body = page(client)
    assert world.case_manager.email not in body and "afgesloten" in body
    traject.delete()
    assert COACHING not in page(client)


def test_the_employment_and_the_employers_name_are_on_the_page(world, client_for):
    client = client_for(world.a)
    assert "Werkgever X" in page(client)
    employment = Employment.objects.get(user=world.a)
    employment.job_title = "Magazijnmedewerker"
    employment.save()
    assert "Magazijnmedewerker" in page(client)
    world.x.name = "Werkgever X Nieuw"
    world.x.save()
    assert "Werkgever X Nieuw" in page(client)
    assert AccessLog.objects.filter(subject=world.a).latest("at").actor_employer == "Werkgever X Nieuw"


def test_the_employees_own_details_are_on_the_page_even_from_an_old_copy(world, client_for):
    """world.a was loaded before the documents below raised the counter: its full save must not write the older
    value back (the bodies kept under that value would come back into use)."""
    client = client_for(world.a)
    document_for(world.a, title="Plan A")
    page(client)
    document_for(world.a, title="Plan B")
    page(client)
    world.a.mobile = "+31687654321"
    world.a.save()
    assert world.a.data_generation == generation(
        world.a
    )  # the object holds the stored value, not an expression
    body = page(client)
    assert "+31687654321" in body and "Plan B" in body
    world.a.first_name = "Annie"
    world.a.save(update_fields=["first_name"])
    assert "Annie" in page(client)


def test_a_contacts_name_activity_and_removal_are_on_their_employees_pages(world, client_for):
    Traject.objects.create(
        employee=world.a, kind="verzuim", start="2026-10-01", case_manager=world.case_manager
    )
    Traject.objects.create(
        employee=world.b, kind="verzuim", start="2026-10-01", company_doctor=world.case_manager
    )
    anna, bert = client_for(world.a), client_for(world.b)
    page(anna), page(bert)
    world.case_manager.first_name, world.case_manager.last_name = "Carla", "Casemanager"
    world.case_manager.save()
    assert "Carla Casemanager" in page(anna) and "Carla Casemanager" in page(bert)
    world.case_manager.is_active = False
    world.case_manager.save(update_fields=["is_active"])
    assert "Carla Casemanager" not in page(anna)
    world.case_manager.is_active = True
    world.case_manager.save(update_fields=["is_active"])
    assert "Carla Casemanager" in page(anna)
    world.case_manager.delete()  # the trajects' contact is set to NULL by an UPDATE, without a signal
    assert "Carla Casemanager" not in page(anna) and "Carla Casemanager" not in page(bert)


def test_a_user_made_with_a_key_of_its_own_is_saved_as_any(world):
    made = get_user_model().objects.create(pk=world.a.pk + 1000, email="eigen-sleutel@example.nl")
    assert made.data_generation == 0 == generation(made)


def test_a_save_of_fields_no_page_shows_keeps_the_bodies(world):
    before = generation(world.a)
    world.a.last_login = timezone.now()
    world.a.save(update_fields=["last_login"])
    world.a.set_password("een-ander-lang-wachtwoord")
    world.a.save(update_fields=["password"])
    world.a.session_generation += 1
    world.a.save(update_fields=["session_generation"])
    assert generation(world.a) == before


# ------------------------------------------------------------------------------ a row moved to another employee
def _with_app(user):
    TOTPDeviceFactory(user=user)
    return user


def test_a_document_appointment_and_traject_moved_to_another_employee_leave_the_first_page(world, client_for):
    document = document_for(world.a, title="Verkeerd geplaatst")
    appointment = Appointment.objects.create(
        employee=world.a, starts_at=timezone.now() + datetime.timedelta(days=2), with_whom="Dr. Verkeerd"
    )
    traject = Traject.objects.create(employee=world.a, kind="coaching", start="2026-11-01")
    anna, bert = client_for(world.a), client_for(world.b)
    assert "Verkeerd geplaatst" in page(anna) and "Dr. Verkeerd" in page(anna) and COACHING in page(anna)
    assert "Verkeerd geplaatst" not in page(bert)
    for row in (document, appointment, traject):  # each an ordinary save(), as the Web Portaal's forms do
        row.employee = world.b
        row.save()
    anna_page, bert_page = page(anna), page(bert)
    assert (
        "Verkeerd geplaatst" not in anna_page
        and "Dr. Verkeerd" not in anna_page
        and COACHING not in anna_page
    )
    assert "Verkeerd geplaatst" in bert_page and "Dr. Verkeerd" in bert_page and COACHING in bert_page


def test_a_traject_moved_in_the_web_portaal_leaves_the_first_page(world, client_for):
    traject = Traject.objects.create(employee=world.a, kind="coaching", start="2026-11-01")
    anna, bert = client_for(world.a), client_for(world.b)
    assert COACHING in page(anna) and COACHING not in page(bert)
    response = client_for(world.case_manager).post(
        f"/admin/dossier/traject/{traject.pk}/change/",
        {"employee": world.b.pk, "kind": "coaching", "start": "2026-11-01", "status": "open"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert COACHING not in page(anna) and COACHING in page(bert)


def test_an_employment_moved_to_another_person_leaves_the_first_page(world, client_for):
    dirk = _with_app(UserFactory(email="d@example.nl", first_name="Dirk"))
    anna, dirk_client = client_for(world.a), client_for(dirk)
    assert "Werkgever X" in page(anna) and "Werkgever X" not in page(dirk_client)
    employment = Employment.objects.get(user=world.a)
    employment.user = dirk
    employment.save()
    assert "Werkgever X" not in page(anna) and "Werkgever X" in page(dirk_client)


# --------------------------------------------------------------------------- whose body, which page, which copy
def test_a_body_never_reaches_another_employee_nor_another_language(world, client_for):
    document_for(world.a, title="Alleen van Anna")
    document_for(world.b, title="Alleen van Bert")
    anna, bert = client_for(world.a), client_for(world.b)
    for _ in range(2):  # built, then kept
        anna_page, bert_page = page(anna), page(bert)
        assert (
            "Alleen van Anna" in anna_page and "Alleen van Bert" not in anna_page and "Bert" not in anna_page
        )
        assert (
            "Alleen van Bert" in bert_page and "Alleen van Anna" not in bert_page and "Anna" not in bert_page
        )
        assert "a@example.nl" in anna_page and "a@example.nl" not in bert_page
    anna.cookies["django_language"] = "en"
    english = page(anna)
    assert "My own dossier" in english and "Mijn eigen dossier" not in english


def test_two_deployments_on_one_cache_never_read_each_others_bodies():
    """Two deployments (KEY_PREFIX each) on one cache server: the same employee id, counter, language and page make
    two keys."""
    from django.core.paginator import Paginator

    employee = get_user_model()(pk=7, data_generation=3)
    paged = Paginator([], 25).get_page(1)
    shared = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "one-cache-server"}
    first = LocMemCache(shared["LOCATION"], {"KEY_PREFIX": "portaal-a"})
    second = LocMemCache(shared["LOCATION"], {"KEY_PREFIX": "portaal-b"})
    key = page_cache._key(employee, "", 1)
    first.set(key, "A's body")
    assert second.get(key) is None and first.get(key) == "A's body"
    first.clear()  # the whole server

    for prefix, name in (("portaal-a", "Body of A"), ("portaal-b", "Body of B")):
        with override_settings(CACHES={"default": {**shared, "KEY_PREFIX": prefix}}):
            assert page_cache.body(
                user=employee, category="", number=1, build=lambda n=name: ({"html": n}, paged, None)
            ) == {"html": name}
    for prefix, name in (("portaal-a", "Body of A"), ("portaal-b", "Body of B")):
        with override_settings(CACHES={"default": {**shared, "KEY_PREFIX": prefix}}):
            assert page_cache.body(user=employee, category="", number=1, build=pytest.fail) == {"html": name}


def test_only_pages_that_exist_get_a_key(world, client_for, kept_keys, builds):
    for n in range(30):  # two pages of 25
        document_for(world.a, title=f"Document {n}", category="overig" if n % 2 else "coaching")
    client = client_for(world.a)
    queries = [f"?page={n}" for n in range(1, 601)]
    queries += [
        "?page=abc",
        "?page=-1",
        "?page=0",
        "?page=1e3",
        "?page=99999999",
        "?category=<x>",
        "?category=x",
    ]
    queries += [f"?category=overig&page={n}" for n in range(1, 20)]
    for query in queries:
        page(client, query)
    assert len(queries) > 600
    shapes = {tuple(key.split(":")[4:6]) for key in kept_keys}
    assert shapes <= {("", "1"), ("", "2"), ("overig", "1")}, shapes
    assert len(set(kept_keys)) <= 3
    assert "Pagina 2 van 2" in page(client, "?page=600")  # a number past the end shows the last page


def test_a_request_that_changed_its_own_page_shows_it_afresh(world):
    """changed() with the user object gives that object the new counter: the same request then builds anew."""
    from django.core.paginator import Paginator

    paged = Paginator([], 25).get_page(1)
    user = get_user_model().objects.get(pk=world.a.pk)
    assert page_cache.body(user=user, category="", number=1, build=lambda: ({"html": "old"}, paged, None))
    page_cache.changed(user)
    assert user.data_generation == generation(world.a)
    assert page_cache.body(
        user=user, category="", number=1, build=lambda: ({"html": "new"}, paged, None)
    ) == {"html": "new"}


def test_a_failing_cache_costs_only_speed(world, client_for, monkeypatch, caplog):
    document_for(world.a, title="Plan A")
    client = client_for(world.a)

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    assert "Plan A" in page(client)
    assert AccessLog.objects.filter(subject=world.a, action=AccessLog.Action.VIEW_DOSSIER).count() == 1
    assert "Dossier page cache unavailable" in caplog.text
    services.document_mark_opened(
        document=Document.objects.get(title="Plan A"), by=world.a
    )  # no cache involved
    assert 'class="badge"' not in page(client)


def test_a_body_that_cannot_be_kept_is_still_shown(world, client_for, monkeypatch, caplog):
    client = client_for(world.a)

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "set", down)
    assert "Mijn eigen dossier" in page(client)
    assert "could not keep the body" in caplog.text


def test_off_without_a_shared_cache(world, client_for, settings, kept_keys, builds):
    settings.DOSSIER_PAGE_CACHE = False
    client = client_for(world.a)
    page(client), page(client)
    assert kept_keys == [] and len(builds) == 2


# ------------------------------------------------------------------------- the page around the body, per request
def _csrf_values(html: str) -> list[str]:
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)


def test_a_session_near_its_absolute_end_gets_the_final_warning(world, client_for):
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
    tokens = _csrf_values(client.get("/dossier/").content.decode())
    assert len(tokens) >= 3 and len(set(tokens)) == 1  # one token, in every form of the page
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/dossier/", "csrfmiddlewaretoken": tokens[0]}
    )
    assert response.status_code == 302
    assert "My own dossier" in client.get("/dossier/").content.decode()


def test_the_pages_own_address_is_this_requests_escaped(world, client_for):
    client = client_for(world.a)
    page(client)
    html = client.get('/dossier/?page=1&q="><script>alert(1)</script>').content.decode()
    assert "<script>alert(1)" not in html
    assert 'name="next" value="/dossier/?page=1&amp;q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"' in html


def test_a_message_is_shown_once_on_the_kept_page_and_then_gone(world, client_for):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpResponse

    client = client_for(world.a)
    page(client)  # kept
    storage = CookieStorage(client.get("/dossier/").wsgi_request)
    storage.add(constants.SUCCESS, "Uw antwoord is <opgeslagen>.")
    response = HttpResponse()
    storage.update(response)
    client.cookies["messages"] = response.cookies["messages"].value
    html = page(client)
    assert html.count("Uw antwoord is &lt;opgeslagen&gt;.") == 1 and 'class="message message-success"' in html
    assert "Uw antwoord is" not in page(client)
