"""dossier/account_rules.py rule 8: a change of an employee's email or mobile by staff is a request, so no sequence of
staff actions hands an insider a link to someone else's account, and with it the medical document.

The two paths that were reproduced (change the address, then upload a document or ask "Wachtwoord vergeten" at the
new address, activate, enrol an app, open the medical PDF) are walked to the end for every role and in each order;
a property test walks random sequences of staff actions on a never-activated and on an active employee. The
insider reads every mailbox and phone it typed in; it knows the birth date (its own change page shows it).
"""

import re

import pyotp
import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accounts.captcha import local_token
from accounts.models import ContactChange, User
from core.models import AuditEvent, OutgoingEmail
from tests.factories import EmploymentFactory, UserFactory, document_for
from tests.property_support import SCALE

pytestmark = pytest.mark.django_db

INSIDER_EMAIL = "overname@insider.example"
INSIDER_MOBILE = "+31687654321"
INSIDER_PASSWORD = "insider-kiest-dit-wachtwoord-1"
BIRTH_DATE = "04-07-1985"  # the factory's, as HR's change page shows it


def _not_activated(employer, email="nina@example.nl"):
    user = EmploymentFactory(employer=employer, user=UserFactory(email=email, first_name="Nina")).user
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def _change(client, user, **changes):
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "mobile": str(user.mobile),
        "language": user.language,
        **changes,
    }
    response = client.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[-2000:]  # saved, not a form error
    return response


def _links_in_insider_mail():
    bodies = OutgoingEmail.objects.filter(to=INSIDER_EMAIL).values_list("body_text", flat=True)
    return [m for body in bodies for m in re.findall(r"https://portal\.example\.test(/\S+)", body)]


def _insider_takes_over(victim_medical_doc) -> list[int]:
    """Everything the insider can do from its own mailbox: follow each link (activation with the birth date, or a
    reset), then log in at its address, enrol an app and ask the medical document. Returns the statuses of the
    document requests that got that far (none, when the rule holds)."""
    statuses = []
    Client().post(
        "/accounts/password-reset/",
        {"email": INSIDER_EMAIL, "birth_date": BIRTH_DATE, "g-recaptcha-response": local_token()},
    )
    for link in _links_in_insider_mail():
        browser = Client()
        page = browser.get(link, follow=True)
        if page.status_code != 200 or not page.redirect_chain:
            continue
        form_url = page.redirect_chain[-1][0]
        browser.post(
            form_url,
            {"birth_date": BIRTH_DATE, "new_password1": INSIDER_PASSWORD, "new_password2": INSIDER_PASSWORD},
        )
    browser = Client()
    login = browser.post("/accounts/login/", {"username": INSIDER_EMAIL, "password": INSIDER_PASSWORD})
    if login.status_code == 302 and login["Location"].startswith("/twofactor/"):
        setup = browser.get("/twofactor/setup/app/").content.decode()
        secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', setup)
        if secret:
            browser.post(
                "/twofactor/setup/app/", {"token": pyotp.TOTP(secret.group(1).replace(" ", "")).now()}
            )
        statuses.append(browser.get(f"/dossier/documents/{victim_medical_doc.pk}/file/").status_code)
    return statuses


def _mail_reached_insider() -> bool:
    return OutgoingEmail.objects.filter(to=INSIDER_EMAIL).exists()


# ----------------------------------------------------------------------------------------------- the two paths
STAFF = ("hr_x", "case_manager", "medical")


@pytest.mark.parametrize("role", STAFF)
@pytest.mark.parametrize(
    "order", ["change_then_upload", "upload_then_change_then_upload", "change_then_resend"]
)
def test_change_the_address_then_a_document_mail_never_reaches_the_insider(world, client_for, role, order):
    nina = _not_activated(world.x)
    medical_doc = document_for(nina, title="Medisch advies Nina", medical=True)
    staff = client_for(getattr(world, role))
    if order == "upload_then_change_then_upload":
        document_for(nina, title="Uitnodiging spreekuur")
    _change(staff, nina, email=INSIDER_EMAIL)
    if order == "change_then_resend":
        staff.post("/admin/accounts/user/", {"action": "send_invitation", "_selected_action": [nina.pk]})
    else:
        document_for(nina, title="Verzuimdocument")  # the new-document mail with a fresh activation link
    nina.refresh_from_db()
    assert nina.email == "nina@example.nl"
    assert not _mail_reached_insider()
    assert _insider_takes_over(medical_doc) == []
    # the employee's own address has the request and the document mails; the links there are the employee's
    assert OutgoingEmail.objects.filter(to="nina@example.nl", kind="contact_change_requested").count() == 1


@pytest.mark.parametrize("role", STAFF)
def test_change_the_address_then_forgot_password_at_the_new_address_sends_nothing(world, client_for, role):
    nina = _not_activated(world.x)
    medical_doc = document_for(nina, title="Medisch advies Nina", medical=True)
    _change(client_for(getattr(world, role)), nina, email=INSIDER_EMAIL, mobile=INSIDER_MOBILE)
    assert _insider_takes_over(medical_doc) == []
    assert not _mail_reached_insider()
    nina.refresh_from_db()
    assert (nina.email, nina.has_usable_password()) == ("nina@example.nl", False)


def test_the_paths_did_reach_the_medical_document_when_the_address_was_the_insiders(world):
    """The oracle of the tests above works: with the address really the insider's (as a confirmed change would
    make it), the same walk ends at the medical document. So an empty result above is the rule, not a broken walk."""
    nina = _not_activated(world.x)
    medical_doc = document_for(nina, title="Medisch advies Nina", medical=True)
    User.objects.filter(pk=nina.pk).update(email=INSIDER_EMAIL)
    document_for(User.objects.get(pk=nina.pk), title="Verzuimdocument")
    assert _insider_takes_over(medical_doc) == [200]


def test_the_employee_rejects_a_change_and_nothing_changes(world, client_for):
    nina = _not_activated(world.x)
    _change(client_for(world.hr_x), nina, email=INSIDER_EMAIL)
    body = OutgoingEmail.objects.get(to=nina.email, kind="contact_change_requested").body_text
    assert INSIDER_EMAIL in body  # the employee sees exactly what was asked
    link = re.search(r"https://portal\.example\.test(/accounts/contact-change/\S+/)", body).group(1)
    assert Client().post(link, {}).status_code == 400  # no choice made: an error, nothing decided
    assert ContactChange.objects.get(user=nina).state == "pending"
    assert Client().post(link, {"decision": "reject"}).status_code == 200
    nina.refresh_from_db()
    assert nina.email == "nina@example.nl"
    assert ContactChange.objects.get(user=nina).state == "rejected"
    event = AuditEvent.objects.get(kind="contact_change_rejected", user=nina)
    assert event.actor is None and event.ip == "127.0.0.1"
    assert Client().get(link).status_code == 404


def test_a_forged_or_replaced_link_decides_nothing(world, client_for):
    nina = _not_activated(world.x)
    hr = client_for(world.hr_x)
    _change(hr, nina, email="eerste@example.nl")
    first = re.search(
        r"(/accounts/contact-change/\S+/)",
        OutgoingEmail.objects.filter(kind="contact_change_requested").latest("pk").body_text,
    ).group(1)
    _change(hr, nina, email=INSIDER_EMAIL)  # replaces the first request
    assert Client().post(first, {"decision": "confirm"}).status_code == 404
    assert Client().post(first[:-3] + "xx/", {"decision": "confirm"}).status_code == 404
    nina.refresh_from_db()
    assert nina.email == "nina@example.nl"
    assert list(ContactChange.objects.filter(user=nina).values_list("state", flat=True).order_by("pk")) == [
        "replaced",
        "pending",
    ]


@pytest.mark.parametrize("decider", ["hr_x", "hr_y", "asker"])
def test_who_may_not_decide_is_refused_and_audited(world, client_for, decider):
    nina = _not_activated(world.x)
    _change(client_for(world.case_manager), nina, email=INSIDER_EMAIL)
    actor = world.case_manager if decider == "asker" else getattr(world, decider)
    response = client_for(actor).post(
        f"/admin/accounts/user/{nina.pk}/contact-change/",
        {"decision": "confirm", "reason": "zelf bevestigd, klopt"},
    )
    assert response.status_code == (404 if decider == "hr_y" else 403)
    nina.refresh_from_db()
    assert nina.email == "nina@example.nl"
    refusal = AuditEvent.objects.get(kind="staff_action_refused", actor=actor)
    assert refusal.ip == "127.0.0.1" and refusal.detail.startswith("decide contact change")


def test_a_second_provider_person_confirms_with_a_reason_and_the_invitation_follows(world, client_for):
    nina = _not_activated(world.x)
    _change(client_for(world.hr_x), nina, email="nina.nieuw@example.nl")
    medical = client_for(world.medical)
    page = medical.get(f"/admin/accounts/user/{nina.pk}/change/").content.decode()
    assert "wacht op bevestiging" in page and "nina.nieuw@example.nl" in page
    short = medical.post(
        f"/admin/accounts/user/{nina.pk}/contact-change/", {"decision": "confirm", "reason": "ok"}
    )
    assert short.status_code == 200 and "errorlist" in short.content.decode()  # a reason is required
    nina.refresh_from_db()
    assert nina.email == "nina@example.nl"
    medical.post(
        f"/admin/accounts/user/{nina.pk}/contact-change/",
        {"decision": "confirm", "reason": "Nina gebeld op 0612345678: nieuw adres klopt"},
    )
    nina.refresh_from_db()
    assert nina.email == "nina.nieuw@example.nl"
    assert OutgoingEmail.objects.filter(
        to="nina@example.nl", kind="contact_changed"
    ).exists()  # old address told
    assert OutgoingEmail.objects.filter(to="nina.nieuw@example.nl", kind="invitation").exists()
    change = ContactChange.objects.get(user=nina)
    assert (change.state, change.decided_by, change.reason[:9]) == ("confirmed", world.medical, "Nina gebe")


def test_an_address_taken_in_the_meantime_is_refused_at_confirmation(world, client_for):
    nina = _not_activated(world.x)
    _change(client_for(world.hr_x), nina, email="bezet@example.nl")
    UserFactory(email="bezet@example.nl")
    cm = client_for(world.case_manager)
    response = cm.post(
        f"/admin/accounts/user/{nina.pk}/contact-change/",
        {"decision": "confirm", "reason": "werknemer gebeld, klopt"},
    )
    assert response.status_code == 200 and "ander account" in response.content.decode()
    nina.refresh_from_db()
    assert nina.email == "nina@example.nl" and ContactChange.objects.get(user=nina).state == "pending"


def test_the_employee_sees_what_staff_asked(world, client_for, verify):
    _change(client_for(world.hr_x), world.a, mobile=INSIDER_MOBILE)
    employee = Client()
    verify(employee, world.a)
    page = employee.get("/dossier/access-log/").content.decode()
    assert (
        "Wijzigingen van uw contactgegevens" in page
        and INSIDER_MOBILE in page
        and "Wacht op bevestiging" in page
    )


# ----------------------------------------------------------------------------------------------- the property
ACTIONS = (
    "change_email",
    "change_mobile",
    "change_both",
    "change_name",
    "resend",
    "upload",
    "upload_medical",
    "reset_request",
    "reset_two_factor",
    "decide_own",
)


def _act(action, staff_role, world, clients, subject):
    client = clients[staff_role]
    subject.refresh_from_db()
    if action in ("change_email", "change_both"):
        _change(
            client,
            subject,
            email=INSIDER_EMAIL,
            **({"mobile": INSIDER_MOBILE} if action == "change_both" else {}),
        )
    elif action == "change_mobile":
        _change(client, subject, mobile=INSIDER_MOBILE)
    elif action == "change_name":
        _change(client, subject, first_name="Anders")
    elif action == "resend":
        client.post("/admin/accounts/user/", {"action": "send_invitation", "_selected_action": [subject.pk]})
    elif action in ("upload", "upload_medical"):
        document_for(subject, title="Nieuw document", medical=action == "upload_medical")
    elif action == "reset_request":
        Client().post(
            "/accounts/password-reset/",
            {"email": INSIDER_EMAIL, "birth_date": BIRTH_DATE, "g-recaptcha-response": local_token()},
        )
    elif action == "reset_two_factor":
        client.post("/admin/accounts/user/", {"action": "reset_two_factor", "_selected_action": [subject.pk]})
    elif action == "decide_own":  # the insider tries to confirm what it asked
        client.post(
            f"/admin/accounts/user/{subject.pk}/contact-change/",
            {"decision": "confirm", "reason": "door mijzelf bevestigd"},
        )


@pytest.fixture
def staff_clients(world, client_for):
    return {role: client_for(getattr(world, role)) for role in STAFF}


@pytest.mark.parametrize("activated", [False, True], ids=["never-activated", "active"])
@hsettings(
    max_examples=max(1, int(6 * SCALE)),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(st.sampled_from(STAFF), st.sampled_from(ACTIONS)), min_size=1, max_size=6))
def test_no_sequence_of_staff_actions_serves_the_medical_document_to_an_insider(
    world, staff_clients, activated, steps
):
    subject = _not_activated(world.x, email=f"p{User.objects.count()}@example.nl")
    if activated:
        subject.set_password("eigen-wachtwoord-van-de-werknemer")
        subject.save(update_fields=["password"])
    medical_doc = document_for(subject, title="Medisch advies", medical=True)
    OutgoingEmail.objects.filter(to=INSIDER_EMAIL).delete()
    for role, action in steps:
        _act(action, role, world, staff_clients, subject)
    subject.refresh_from_db()
    assert subject.email != INSIDER_EMAIL and str(subject.mobile) != INSIDER_MOBILE
    assert not _mail_reached_insider()
    assert _insider_takes_over(medical_doc) == []
    ContactChange.objects.filter(user=subject).delete()


@pytest.mark.parametrize("role", STAFF)
def test_asking_an_address_of_another_account_tells_nothing(world, client_for, role):
    """The change form answers an address in use (Cor's, at another employer) as any other: a request, no "exists"
    error (rule 7's promise: no existence oracle). The clash shows only where it is decided, and changes nothing."""
    staff = client_for(getattr(world, role))
    for address in ("c@example.nl", "nog.vrij@example.nl"):
        _change(staff, world.a, email=address)  # 302 both times: saved as a request
    assert list(
        ContactChange.objects.filter(user=world.a).values_list("new_email", "state").order_by("pk")
    ) == [("c@example.nl", "replaced"), ("nog.vrij@example.nl", "pending")]
    _change(staff, world.a, email="c@example.nl")
    body = (
        OutgoingEmail.objects.filter(to="a@example.nl", kind="contact_change_requested")
        .latest("pk")
        .body_text
    )
    link = re.search(r"https://portal\.example\.test(/accounts/contact-change/\S+/)", body).group(1)
    refused = Client().post(link, {"decision": "confirm"})
    assert refused.status_code == 409 and "ander account" in refused.content.decode()
    world.a.refresh_from_db()
    world.c.refresh_from_db()
    assert (world.a.email, world.c.email) == ("a@example.nl", "c@example.nl")
