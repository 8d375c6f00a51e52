"""Who may manage which accounts in the Web Portaal: one module, used by every admin form, action and URL.

Rules (least privilege; what each role may *see* is dossier/access.py):

1. Rights are for provider administrators only (active superusers): creating or changing a staff account, and
   setting `is_staff`, `is_superuser`, `is_active`, groups or individual permissions. For every other role these
   fields are absent from the forms (so a posted value is ignored) and staff accounts do not exist.
2. Nobody sets another person's password, in any role: there is no password field or form for someone else.
   A user sets their own password (reset by birth date + email, or Mijn Instellingen).
3. Contact data of an employee (name, email, mobile, language) may be changed by staff holding
   `accounts.change_user` for an employee they can see; a new email or mobile only under rule 8. The birth date
   (part of the reset check) is given once, when the account is made; only an administrator changes it later.
4. An employee account may be made by staff holding `accounts.add_user`; it has no password until the employee
   sets one, and it is never a staff account.
5. The "reset two-factor" action (lost phone) is for provider staff (case managers, medical staff,
   administrators), never for the employer's HR: the employer must not control how an employee gets into a
   medical file. It never touches the password, and it is refused for CONTACT_CHANGE_COOLDOWN after a change of
   the employee's email or mobile by staff, so changing the address and resetting the factor cannot be chained
   into a takeover while the mail about the change to the old address is still on its way.
6. An invitation (activation link) is sent when staff make an employee account. Sending it again is for
   staff who may change that employee's account (rule 3), never for staff accounts, and -- like rule 5 -- not
   within CONTACT_CHANGE_COOLDOWN after staff changed the email or mobile (administrators excepted): the link goes
   to the stored address, so "change the address, resend" must not hand someone else the account. The employee
   can always ask a link with birth date + email ("Wachtwoord vergeten").
7. The bulk import (dossier/imports.py) makes employee accounts (as rule 4: no password, never staff)
   with their employment, each invited (rule 6), for ONE employer: staff holding `dossier.import_employees` (employer
   HR and provider staff; administrators always) import only for an employer they can see (dossier/access.py). A
   file for any other employer is refused as a whole. An email address that belongs to an account the importer
   cannot see is answered exactly as an unused address (preview and confirmation alike) and its row is held: no
   account made or touched, audited with the address for the provider. The import never tells whether it exists.
8. A new email address or mobile number of an employee, asked by anyone but the employee (any staff role,
   administrators too), is a request, not a change (accounts.ContactChange): the account keeps the address and
   number its owner proved, so every activation, reset, notification and login link and every code keeps going
   there. It takes effect only when (a) the employee confirms it through the link mailed at once to that proved
   address, or (b) provider staff (administrator, case manager, medical staff) who may change the account and are
   NOT the person who asked confirm it with a written reason (four eyes; employer HR never decides). Either side
   may reject it instead; a newer request replaces a pending one. The change form does not check the address
   against other accounts (that would tell whether it exists, cf. rule 7): the clash is refused when it is
   confirmed. Hence no sequence of staff actions (change,
   resend, upload, reset, import) sends a link or a code anywhere the employee did not prove, unless a second
   provider person signed for it. Every request, decision and refusal is audited with actor and IP, and the
   employee sees each request under "Wie heeft mijn dossier ingezien".
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.events import Event
from core import audit
from core.models import AuditEvent
from dossier import access

IMPORT_PERMISSION = "dossier.import_employees"

CONTACT_FIELDS = ("first_name", "last_name", "email", "mobile", "language")
ADD_FIELDS = ("email", "first_name", "last_name", "birth_date", "mobile", "language")
RIGHTS_FIELDS = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")
ADMIN_CHANGE_FIELDS = ("email", "first_name", "last_name", "birth_date", "mobile", "language", *RIGHTS_FIELDS)


def contact_change_cooldown() -> timedelta:
    return timedelta(seconds=settings.STAFF_CONTACT_CHANGE_COOLDOWN)


def is_administrator(actor) -> bool:
    """A provider administrator: the only role that manages rights and staff accounts."""
    return bool(actor.is_authenticated and actor.is_active and actor.is_staff and actor.is_superuser)


def may_add_account(actor) -> bool:
    return is_administrator(actor) or bool(
        actor.is_authenticated and actor.is_active and actor.is_staff and actor.has_perm("accounts.add_user")
    )


def may_change_account(actor, subject) -> bool:
    """Administrators change any account; other staff only employees in their scope, with the change right."""
    if is_administrator(actor):
        return True
    if subject is None:  # the list: whether the role changes accounts at all
        return bool(actor.is_active and actor.is_staff and actor.has_perm("accounts.change_user"))
    return (
        actor.is_active
        and actor.is_staff
        and not subject.is_staff
        and not subject.is_superuser
        and actor.has_perm("accounts.change_user")
        and access.employees_visible_to(actor).filter(pk=subject.pk).exists()
    )


def add_fields(actor) -> tuple[str, ...]:
    """The fields of the "add user" form: rights only for administrators; never a password."""
    return ADD_FIELDS + (RIGHTS_FIELDS if is_administrator(actor) else ())


def change_fields(actor, subject) -> tuple[str, ...]:
    """The fields this actor may change on this account (nothing when the account is outside the rules)."""
    if is_administrator(actor):
        return ADMIN_CHANGE_FIELDS
    return CONTACT_FIELDS if may_change_account(actor, subject) else ()


def may_reset_two_factor(actor, subject=None) -> bool:
    """Provider staff for employees they can see (administrators for anyone); never employer HR, never oneself."""
    provider_staff = is_administrator(actor) or access.sees_all_employers(actor)
    if subject is None or not provider_staff:
        return provider_staff
    if subject.pk == actor.pk:
        return False
    if (subject.is_staff or subject.is_superuser) and not is_administrator(actor):
        return False
    return not contact_recently_changed(subject)


def contact_recently_changed(subject) -> bool:
    """Did staff change this account's email or mobile within the cool-down?"""
    since = timezone.now() - contact_change_cooldown()
    return AuditEvent.objects.filter(
        kind=Event.CONTACT_CHANGED, user_id=subject.pk, actor__isnull=False, at__gte=since
    ).exists()


def may_invite(actor, subject=None) -> bool:
    """Send an employee's invitation again (rule 6); without a subject: whether the role may do so at all."""
    if subject is None:
        return may_change_account(actor, None)
    if subject.is_staff or subject.is_superuser or not may_change_account(actor, subject):
        return False
    return is_administrator(actor) or not contact_recently_changed(subject)


def is_provider_staff(actor) -> bool:
    """Administrators and the provider's own staff (case managers, medical staff); never employer HR."""
    return is_administrator(actor) or bool(actor.is_authenticated and access.sees_all_employers(actor))


def may_decide_contact_change(actor, change=None) -> bool:
    """Rule 8 (b): provider staff who may change the account, never the one who asked, never for themselves."""
    if not is_provider_staff(actor):
        return False
    if change is None:
        return True
    return (
        change.requested_by_id != actor.pk
        and change.user_id != actor.pk
        and may_change_account(actor, change.user)
    )


def refused(actor, *, action: str, subject=None, ip: str | None = None) -> None:
    """Every refusal of a staff action on an account is audited with actor and IP (what was tried, on whom)."""
    audit.record(Event.STAFF_ACTION_REFUSED, user=subject, actor=actor, ip=ip, detail=action)


def may_import(actor) -> bool:
    """Whether the role imports employees at all (rule 7): the button, the pages and the POSTs."""
    return is_administrator(actor) or bool(
        actor.is_authenticated and actor.is_active and actor.is_staff and actor.has_perm(IMPORT_PERMISSION)
    )


def import_employers(actor):
    """The employers this actor may import employees for (rule 7): those it can see, when it may import."""
    employers = access.employers_visible_to(actor)
    return employers if may_import(actor) else employers.none()


def may_import_for(actor, employer_id) -> bool:
    try:
        return import_employers(actor).filter(pk=int(employer_id)).exists()
    except (TypeError, ValueError):
        return False
