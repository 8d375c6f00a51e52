"""The Web Portaal's side of invitations (issue 11): sent when staff make an employee, sent again by an action for
employees the actor may manage (audited), the document mail of a not-yet-activated employee, and the account state
HR sees in the user list."""

import re

import pytest
from django.test import Client

from accounts.events import Event
from accounts.models import User
from core.models import AuditEvent, OutgoingEmail
from tests.factories import EmploymentFactory, UserFactory, document_for

pytestmark = pytest.mark.django_db


def _not_activated(employer, email="nieuw@example.nl"):
    user = EmploymentFactory(employer=employer, user=UserFactory(email=email, first_name="Nina")).user
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def _resend(client, *users):
    return client.post(
        "/admin/accounts/user/", {"action": "send_invitation", "_selected_action": [u.pk for u in users]}
    )


def test_staff_creating_an_employee_sends_the_invitation(world, client_for):
    client = client_for(world.case_manager)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "email": "Nieuw.Account@example.nl",
            "first_name": "Nina",
            "last_name": "Nieuw",
            "birth_date": "01-01-1970",
            "mobile": "+31612345678",
            "language": "en",
        },
    )
    assert response.status_code == 302
    new = User.objects.get(email="nieuw.account@example.nl")
    assert not new.has_usable_password() and new.invited_at is not None
    mail = OutgoingEmail.objects.get(to=new.email, kind="invitation")
    assert (
        mail.subject == "Activate your account for Verzuimportaal"
    )  # the employee's language, not the actor's
    assert "/accounts/activate/" in mail.body_text
    event = AuditEvent.objects.get(kind=Event.INVITATION_SENT, user=new)
    assert event.actor == world.case_manager and event.ip == "127.0.0.1"


def test_hr_sends_the_invitation_again_for_its_own_employee(world, client_for):
    nina = _not_activated(world.x)
    client = client_for(world.hr_x)
    response = _resend(client, nina)
    assert response.status_code == 302
    assert OutgoingEmail.objects.filter(to=nina.email, kind="invitation").count() == 1
    event = AuditEvent.objects.get(kind=Event.INVITATION_SENT, user=nina)
    assert event.actor == world.hr_x and event.ip == "127.0.0.1"


def test_hr_of_another_employer_cannot_send_an_invitation(world, client_for):
    nina = _not_activated(world.x)
    _resend(client_for(world.hr_y), nina)
    assert not OutgoingEmail.objects.filter(to=nina.email).exists()
    nina.refresh_from_db()
    assert nina.invited_at is None


def test_an_active_employee_gets_no_invitation(world, client_for):
    _resend(client_for(world.hr_x), world.a)
    assert not OutgoingEmail.objects.filter(to=world.a.email, kind="invitation").exists()


def test_change_the_address_then_resend_sends_to_the_address_the_employee_has(world, client_for):
    """Change the email to one you control, then resend: the change is only asked (account_rules rule 8), so the
    invitation goes to the employee's own address and none reaches the one HR typed."""
    nina = _not_activated(world.x)
    client = client_for(world.hr_x)
    client.post(
        f"/admin/accounts/user/{nina.pk}/change/",
        {
            "email": "hr-controle@x.nl",
            "first_name": "Nina",
            "last_name": nina.last_name,
            "mobile": "+31612345678",
            "language": "nl",
        },
    )
    nina.refresh_from_db()
    assert nina.email == "nieuw@example.nl"
    _resend(client, nina)
    assert not OutgoingEmail.objects.filter(to="hr-controle@x.nl").exists()
    assert OutgoingEmail.objects.filter(to="nieuw@example.nl", kind="invitation").count() == 1


def test_account_states_in_hr_list_without_second_factor(world, client_for, settings):
    invited = _not_activated(world.x, "uitgenodigd@example.nl")
    expired = _not_activated(world.x, "verlopen@example.nl")
    from accounts.services import invitation_send

    invitation_send(user=invited, actor=None, ip=None)
    invitation_send(user=expired, actor=None, ip=None)
    from datetime import timedelta

    User.objects.filter(pk=expired.pk).update(invited_at=expired.invited_at - timedelta(days=8))
    from django.utils import timezone

    User.objects.filter(pk=world.a.pk).update(last_login=timezone.now())  # A logged in; B has a password only
    body = client_for(world.hr_x).get("/admin/accounts/user/").content.decode()
    states = re.findall(r'<td class="field-account_state">([^<]*)<', body)
    invited_label = timezone.localtime(invited.invited_at)  # the day in Dutch time, not UTC
    assert sorted(states) == sorted(
        [
            "actief",
            "wachtwoord gekozen, nog niet ingelogd",
            "uitnodiging verlopen",
            f"uitgenodigd ({invited_label.day}-{invited_label.month}-{invited_label.year})",
        ]
    )
    # the state is the second column, right after the address; HR sees no is_active tick to misread
    header = re.findall(r'<th scope="col" class="([^"]*)"', body)
    columns = [next(c for c in h.split() if c.startswith("column-")) for h in header[1:]]
    assert columns[:2] == ["column-email", "column-account_state"], header
    assert "field-is_active" not in body
    # random values (the CSRF token, CSP nonces) may contain "sms" by chance: only the page's own words count
    words = re.sub(r'(value|nonce)="[^"]*"', "", body).lower()
    for second_factor in ("sms", "authenticator", "passkey", "tweestaps", "herstelcode"):
        assert second_factor not in words


def test_document_mail_of_a_not_activated_employee_carries_the_activation_link(world):
    nina = _not_activated(world.x)
    document = document_for(nina, title="Probleemanalyse")
    mail = OutgoingEmail.objects.get(reference=f"document:{document.pk}")
    assert mail.kind == "document_ready_activate"
    assert "U heeft uw account nog niet geactiveerd" in mail.body_text
    assert "/accounts/login/" not in mail.body_text
    assert "Probleemanalyse" not in mail.body_text
    link = re.search(r"https://portal\.example\.test(/accounts/activate/\S+)", mail.body_text).group(1)
    assert link.endswith(f"?next=%2Fdossier%2Fdocuments%2F{document.pk}%2F&lang=nl")  # plain text: no &amp;

    client = Client()
    page = client.get(client.get(link)["Location"])
    password = "mijn-eigen-wachtwoord-1"
    response = client.post(
        page.request["PATH_INFO"],
        {"birth_date": "04-07-1985", "new_password1": password, "new_password2": password},
    )
    assert response["Location"] == f"/twofactor/?next=%2Fdossier%2Fdocuments%2F{document.pk}%2F"


def test_document_mail_of_an_active_employee_says_log_in(world):
    document = document_for(world.a)
    mail = OutgoingEmail.objects.get(reference=f"document:{document.pk}")
    assert mail.kind == "document_ready" and "/accounts/login/?next=" in mail.body_text
