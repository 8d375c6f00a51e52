"""dossier/account_rules.py end to end: the two takeover paths that were reproduced, now failing safely, and the
rules on contact changes, the staff 2FA reset, the staff's own password and what the Web Portaal logs."""

import base64
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from core.models import AuditEvent, OutgoingEmail
from dossier import account_rules
from dossier.models import AccessLog
from tests.conftest import TOTP_SECRET, free_port
from tests.factories import PASSWORD, UserFactory, document_for
from tests.session_state import user_session_count
from twofactor.models import SMSDevice

pytestmark = pytest.mark.django_db


def _change_post(user, **changes):
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "mobile": str(user.mobile),
        "language": user.language,
    }
    return {**data, **changes}


def _mails_to(address):
    return list(OutgoingEmail.objects.filter(to=address).order_by("pk").values_list("kind", flat=True))


# ----------------------------------------------------------------------------------------------- takeover 1
def test_a_case_manager_cannot_make_an_account_it_controls_into_an_administrator(world, client_for):
    cm = client_for(world.case_manager)
    response = cm.post(
        "/admin/accounts/user/add/",
        {
            "email": "stroman@example.nl",
            "first_name": "Stro",
            "last_name": "Man",
            "birth_date": "01-01-1980",
            "mobile": "",
            "language": "nl",
            "is_staff": "on",
            "is_superuser": "on",
            "password1": "stroman-wachtwoord-1",
            "password2": "stroman-wachtwoord-1",
        },
    )
    assert response.status_code == 302
    straw = User.objects.get(email="stroman@example.nl")
    assert not (straw.is_staff or straw.is_superuser or straw.groups.exists())
    assert not straw.has_usable_password()  # it cannot even log in with a password the case manager chose
    event = AuditEvent.objects.get(kind="account_created", user=straw)
    assert event.actor == world.case_manager and event.ip == "127.0.0.1"
    # and promoting it afterwards changes nothing but the name
    cm.post(
        f"/admin/accounts/user/{straw.pk}/change/",
        _change_post(straw, first_name="Strooi", is_staff="on", is_superuser="on"),
    )
    straw.refresh_from_db()
    assert straw.first_name == "Strooi" and not straw.is_staff and not straw.is_superuser
    login = Client().post("/accounts/login/", {"username": straw.email, "password": "stroman-wachtwoord-1"})
    assert login.status_code == 200  # refused


def test_a_case_manager_never_sees_rights_fields_or_a_password_link(world, client_for):
    page = client_for(world.case_manager).get(f"/admin/accounts/user/{world.b.pk}/change/").content.decode()
    for field in ("is_staff", "is_superuser", "id_groups", "user_permissions", "password/"):
        assert field not in page, field
    assert 'name="birth_date"' not in page  # the reset check's secret is given once, then administrators only


# ----------------------------------------------------------------------------------------------- takeover 2
def test_password_form_reset_and_login_as_the_employee_fail_safely(world, client_for):
    victim = world.a
    document_for(victim, title="Medisch advies Anna", medical=True)
    password_before = User.objects.get(pk=victim.pk).password
    cm = client_for(world.case_manager)
    for method in (cm.get, cm.post):
        assert method(f"/admin/accounts/user/{victim.pk}/password/").status_code == 404
    cm.post("/admin/accounts/user/", {"action": "reset_two_factor", "_selected_action": [victim.pk]})
    victim.refresh_from_db()
    assert victim.password == password_before  # the reset leaves the password alone
    assert not TOTPDevice.objects.filter(user=victim).exists()
    assert "reset_by_staff" in _mails_to(victim.email)  # mailed at once, from the same transaction
    event = AuditEvent.objects.get(kind="staff_otp_reset", user=victim)
    assert event.actor == world.case_manager and event.ip == "127.0.0.1"
    # Without the password the case manager cannot log in as the employee, so cannot enrol its own app.
    attacker = Client()
    attacker.post("/accounts/login/", {"username": victim.email, "password": "raden-is-zinloos-1"})
    assert attacker.get("/twofactor/setup/").status_code == 302
    assert attacker.get("/dossier/").status_code == 302


def _confirm_link(address):
    body = OutgoingEmail.objects.filter(to=address, kind="contact_change_requested").latest("pk").body_text
    return re.search(r"https://portal\.example\.test(/accounts/contact-change/\S+/)", body).group(1)


def test_changing_the_email_then_resetting_the_factor_is_refused_during_the_cooldown(
    world, client_for, settings
):
    victim = world.b
    cm = client_for(world.case_manager)
    cm.post(f"/admin/accounts/user/{victim.pk}/change/", _change_post(victim, email="cm-eigen@arbo-prive.nl"))
    victim.refresh_from_db()
    assert victim.email == "b@example.nl"  # only asked (rule 8)
    assert "contact_change_requested" in _mails_to("b@example.nl")  # the old address hears of it at once
    # The one who asked cannot confirm it (four eyes): 403, audited.
    assert (
        cm.post(
            f"/admin/accounts/user/{victim.pk}/contact-change/",
            {"decision": "confirm", "reason": "gebeld met de werknemer"},
        ).status_code
        == 403
    )
    refusal = AuditEvent.objects.get(kind="staff_action_refused", user=victim)
    assert (refusal.actor, refusal.ip, refusal.detail) == (
        world.case_manager,
        "127.0.0.1",
        "decide contact change",
    )
    # A second provider person confirms it with a reason: now it is the address.
    medical = client_for(world.medical)
    decided = medical.post(
        f"/admin/accounts/user/{victim.pk}/contact-change/",
        {"decision": "confirm", "reason": "werknemer gebeld op 0611111111"},
    )
    assert decided.status_code == 302
    victim.refresh_from_db()
    assert victim.email == "cm-eigen@arbo-prive.nl"
    event = AuditEvent.objects.get(kind="contact_changed", user=victim)
    assert event.actor == world.case_manager and "werknemer gebeld" in event.detail
    response = cm.post(
        "/admin/accounts/user/", {"action": "reset_two_factor", "_selected_action": [victim.pk]}, follow=True
    )
    assert TOTPDevice.objects.filter(user=victim).exists()
    assert "niet gereset" in response.content.decode() or "not reset" in response.content.decode()
    # Another provider staff member cannot do it either (two insiders together):
    medical.post("/admin/accounts/user/", {"action": "reset_two_factor", "_selected_action": [victim.pk]})
    assert TOTPDevice.objects.filter(user=victim).exists()
    assert (
        AuditEvent.objects.filter(kind="staff_action_refused", user=victim, detail="reset two-factor").count()
        == 2
    )
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.STAFF_CONTACT_CHANGE_COOLDOWN + 60)):
        assert account_rules.may_reset_two_factor(world.case_manager, victim)


def test_hr_of_the_employer_may_not_reset_the_second_factor(world, client_for):
    assert not account_rules.may_reset_two_factor(world.hr_x)
    client_for(world.hr_x).post(
        "/admin/accounts/user/", {"action": "reset_two_factor", "_selected_action": [world.a.pk]}
    )
    assert TOTPDevice.objects.filter(user=world.a).exists()


def test_nobody_resets_their_own_factor_or_a_staff_account_by_the_action(world):
    assert not account_rules.may_reset_two_factor(world.case_manager, world.case_manager)
    assert not account_rules.may_reset_two_factor(world.case_manager, world.hr_x)


# ----------------------------------------------------------------------------------------------- contact data
def test_hr_changes_contact_data_of_its_own_employee_only(world, client_for):
    hr = client_for(world.hr_x)
    assert (
        hr.post(
            f"/admin/accounts/user/{world.a.pk}/change/", _change_post(world.a, first_name="Annie")
        ).status_code
        == 302
    )
    world.a.refresh_from_db()
    assert world.a.first_name == "Annie"
    assert (
        hr.post(
            f"/admin/accounts/user/{world.c.pk}/change/", _change_post(world.c, first_name="X")
        ).status_code
        == 404
    )
    event = AuditEvent.objects.get(kind="account_changed", user=world.a)
    assert event.actor == world.hr_x and event.detail == "first_name"


def test_a_new_mobile_is_asked_confirmed_by_the_employee_and_never_receives_a_code(
    world, client_for, sms_outbox
):
    employee = world.a
    SMSDevice.objects.create(user=employee, name="sms", number="+31611111111", confirmed=True)
    TOTPDevice.objects.filter(user=employee).delete()
    employee_browser = Client()
    employee_browser.post("/accounts/login/", {"username": employee.email, "password": PASSWORD})
    assert user_session_count(employee) > 0
    client_for(world.hr_x).post(
        f"/admin/accounts/user/{employee.pk}/change/", _change_post(employee, mobile="+31687654321")
    )
    employee.refresh_from_db()
    assert str(employee.mobile) != "+31687654321" and user_session_count(employee) > 0  # nothing changed yet
    asked = AuditEvent.objects.get(kind="contact_change_requested", user=employee)
    assert (asked.actor, asked.ip, asked.detail) == (world.hr_x, "127.0.0.1", "mobile")
    # The employee opens the link from the mail to their own address: a GET changes nothing, the POST confirms.
    link = _confirm_link(employee.email)
    page = Client().get(link)
    assert page.status_code == 200 and "+31687654321" in page.content.decode()
    employee.refresh_from_db()
    assert str(employee.mobile) != "+31687654321"
    assert Client().post(link, {"decision": "confirm"}).status_code == 200
    employee.refresh_from_db()
    assert str(employee.mobile) == "+31687654321"
    assert user_session_count(employee) == 0
    assert _mails_to(employee.email) == ["contact_change_requested", "contact_changed"]
    event = AuditEvent.objects.get(kind="contact_changed", user=employee)
    assert (event.actor, event.ip) == (world.hr_x, "127.0.0.1") and event.detail.startswith(
        "mobile confirmed by"
    )
    assert Client().post(link, {"decision": "reject"}).status_code == 404  # the link worked once
    # The next login code goes to the number the employee confirmed on the SMS device, not to the one staff typed.
    fresh = Client()
    fresh.post("/accounts/login/", {"username": employee.email, "password": PASSWORD})
    fresh.get("/twofactor/verify/")
    assert SMSDevice.objects.get(user=employee).number == "+31611111111"
    (sms,) = sms_outbox.messages()
    assert sms.startswith("To: +31611111111\n")


def test_an_unchanged_form_changes_nothing_and_mails_nobody(world, client_for):
    client_for(world.hr_x).post(f"/admin/accounts/user/{world.a.pk}/change/", _change_post(world.a))
    assert not AuditEvent.objects.filter(
        user=world.a, kind__in=["account_changed", "contact_changed"]
    ).exists()
    assert not _mails_to(world.a.email)


def test_administrator_rights_changes_are_audited(world, client_for):
    admin = UserFactory(email="beheer@arbo.nl", is_staff=True, is_superuser=True)
    TOTPDevice.objects.create(user=admin, name="app", key=base64.b32decode(TOTP_SECRET).hex(), confirmed=True)
    client_for(admin).post(
        f"/admin/accounts/user/{world.b.pk}/change/",
        {**_change_post(world.b), "birth_date": "04-07-1985", "is_active": "on", "is_staff": "on"},
    )
    event = AuditEvent.objects.get(kind="rights_changed", user=world.b)
    assert event.actor == admin and event.detail == "is_staff"


def test_filtering_users_by_password_hash_is_refused(world, client_for):
    response = client_for(world.case_manager).get("/admin/accounts/user/", {"password__startswith": "argon2"})
    assert response.status_code == 400


# ----------------------------------------------------------------------------------------------- own password
def test_the_admins_password_page_leads_to_the_portals_own(world, client_for, password):
    staff = client_for(world.case_manager)
    response = staff.get("/admin/password_change/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password-change/"
    other = Client()
    other.post("/accounts/login/", {"username": world.case_manager.email, "password": password})
    staff.post(
        "/accounts/password-change/",
        {
            "old_password": password,
            "new_password1": "nieuw-sterk-wachtwoord-7",
            "new_password2": "nieuw-sterk-wachtwoord-7",
        },
    )
    assert AuditEvent.objects.filter(
        kind="password_changed", user=world.case_manager, ip="127.0.0.1"
    ).exists()
    assert "password_changed" in _mails_to(world.case_manager.email)
    assert user_session_count(world.case_manager) == 1  # the other session ended


# ----------------------------------------------------------------------------------------------- audit gaps
def test_a_refused_document_is_audited_with_actor_ip_and_id(world, client_for):
    other = document_for(world.c, title="Plan Cor")
    assert client_for(world.a).get(f"/dossier/documents/{other.pk}/").status_code == 404
    assert client_for(world.hr_x).get(f"/admin/dossier/document/{other.pk}/change/").status_code == 404
    assert client_for(world.hr_x).get(f"/admin/dossier/document/{other.pk}/download/").status_code == 404
    events = AuditEvent.objects.filter(kind="document_denied").order_by("pk")
    assert [(e.actor, e.ip, e.detail) for e in events] == [
        (world.a, "127.0.0.1", f"document {other.pk}"),
        (world.hr_x, "127.0.0.1", f"document {other.pk}"),
        (world.hr_x, "127.0.0.1", f"document {other.pk}"),
    ]
    assert not AccessLog.objects.filter(document=other).exists()


def test_lists_and_autocomplete_are_written_to_the_access_log(world, client_for):
    plan = document_for(world.a, title="Plan Anna")
    hr = client_for(world.hr_x)
    hr.get("/admin/dossier/document/")
    row = AccessLog.objects.get(action="view_list", document=plan)
    assert (row.actor, row.subject, row.document_title, row.ip) == (
        world.hr_x,
        world.a,
        "Plan Anna",
        "127.0.0.1",
    )
    hr.get("/admin/accounts/user/")
    assert set(
        AccessLog.objects.filter(action="view_list", document=None).values_list("subject", flat=True)
    ) == {world.a.pk, world.b.pk}
    before = AccessLog.objects.filter(action="view_list").count()
    hr.get(
        "/admin/autocomplete/",
        {"app_label": "dossier", "model_name": "document", "field_name": "employee", "term": "Anna"},
    )
    assert AccessLog.objects.filter(action="view_list").count() == before + 1
    assert AccessLog.objects.filter(action="view_list").latest("pk").subject == world.a
    # the employee reads it under "Wie heeft mijn dossier ingezien"
    page = client_for(world.a).get("/dossier/access-log/").content.decode()
    assert "lijst" in page


def test_odd_static_paths_answer_404_under_make_run(tmp_path):
    """`make run` (DEBUG, runserver): a path that climbs out of the static folder is a 404, not a 500."""
    port = free_port()
    env = {"DEBUG": "1", "VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        statuses = {}
        for path in (
            "/static/%2e%2e/manage.py",
            "/static/%2e%2e/%2e%2e/etc/passwd",
            "/static/css/portal.css",
        ):
            for _ in range(100):
                try:
                    statuses[path] = urllib.request.urlopen(
                        f"http://127.0.0.1:{port}{path}", timeout=5
                    ).status
                    break
                except urllib.error.HTTPError as exc:
                    statuses[path] = exc.code
                    break
                except OSError:
                    time.sleep(0.1)
        assert statuses == {
            "/static/%2e%2e/manage.py": 404,
            "/static/%2e%2e/%2e%2e/etc/passwd": 404,
            "/static/css/portal.css": 200,
        }
    finally:
        server.terminate()
        server.wait(10)


# ----------------------------------------------------------------------------------------------- rule 7: the import
def test_import_rule_each_role_and_employer(world):
    """HR imports for its own employer only; provider staff for any; employees, inactive staff, HR without an
    employment and a garbage id never."""
    x, y = world.x.pk, world.y.pk
    assert account_rules.may_import(world.hr_x) and account_rules.may_import_for(world.hr_x, x)
    assert not account_rules.may_import_for(world.hr_x, y)
    assert list(account_rules.import_employers(world.hr_x)) == [world.x]
    for staff in (world.case_manager, world.medical):
        assert account_rules.may_import_for(staff, x) and account_rules.may_import_for(staff, y)
    assert not account_rules.may_import(world.a) and not account_rules.may_import_for(world.a, x)
    lone_hr = UserFactory(email="hr-zonder-werkgever@x.nl", is_staff=True)
    lone_hr.groups.add(*world.hr_x.groups.all())
    assert account_rules.may_import(lone_hr) and not account_rules.import_employers(lone_hr).exists()
    world.hr_x.is_active = False
    assert not account_rules.may_import(world.hr_x) and not account_rules.may_import_for(world.hr_x, x)
    for garbage in (None, "", "x", "1 OR 1=1", [x]):
        assert not account_rules.may_import_for(world.case_manager, garbage)
