"""Every write and side effect of the accounts app."""

import datetime
import time

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlencode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts import lockout, selectors
from accounts.conf import app_settings
from accounts.events import Event
from accounts.middleware import GENERATION, LAST_SEEN, STARTED, USER_AGENT
from accounts.models import ContactChange, User, UserManager
from accounts.tokens import activation_tokens, password_reset_tokens
from core import audit, metrics, throttling
from core.links import site_url
from core.mailer import mail_enqueue

# When the password step succeeded; the second step (twofactor) must follow within its time limit.
SESSION_PASSWORD_AT = "accounts.password_at"


def supported_language(code: str | None) -> str | None:
    """One of the portal's own languages (nl, en), exactly; anything else is ignored."""
    return code if code in dict(settings.LANGUAGES) else None


def user_login(*, request, user: User, chosen_language: str | None) -> None:
    """Log the user in (Django rotates the session key) and settle the language.

    A language the visitor picked with the flags before logging in becomes the user's preference; otherwise the
    stored preference applies from now on. The login's rows (last_login, the language, the event) commit together:
    one wait for the disk, and never an event without its login or the reverse.
    """
    with transaction.atomic():
        auth_login(request, user, backend="accounts.backends.EmailBackend")  # Django writes last_login
        if supported_language(chosen_language) and chosen_language != user.language:
            user.language = chosen_language
            user.save(update_fields=["language"])
        audit.record(Event.LOGIN_SUCCESS, user=user, ip=throttling.client_ip(request))
    now = time.time()
    request.session[SESSION_PASSWORD_AT] = now
    # For the sessions page (and the idle and absolute clocks, which start here): when, and in which browser.
    request.session[STARTED] = request.session[LAST_SEEN] = now
    request.session[USER_AGENT] = request.META.get("HTTP_USER_AGENT", "")[:300]
    request.session[GENERATION] = user.session_generation
    lockout.record_success(email=user.email, ip=throttling.client_ip(request))


def login_failed(*, email: str, ip: str) -> None:
    """Count a failed login against the account and the address; at the first wait, tell the account's owner."""
    audit.record(Event.LOGIN_FAILURE, email=email, ip=ip)
    metrics.LOGIN_FAILURES.inc()
    if lockout.record_failure(email=email):
        audit.record(Event.LIMIT_REACHED, email=email, ip=ip, detail="login: account slowed down")
        user = User.objects.filter(email=email.strip().lower(), is_active=True).first()
        if user is not None:
            mail_enqueue(
                to=user.email,
                template="accounts/email/login_locked",
                context={"user": user, "link": site_url(reverse("accounts:password-reset"))},
                language=user.language,
            )


def user_logged_out(*, user: User, ip: str) -> None:
    audit.record(Event.LOGOUT, user=user, ip=ip)


def login_limited(*, email: str, ip: str) -> None:
    audit.record(Event.LIMIT_REACHED, email=email, ip=ip, detail="login")
    metrics.THROTTLE_REFUSALS.labels(limit="login").inc()


def user_set_language(*, user: User, language: str) -> None:
    """Remember the language the user picked with the flags."""
    if supported_language(language) and language != user.language:
        user.language = language
        user.save(update_fields=["language"])


def user_sessions_end(*, user: User, keep=None, only: list[str] | None = None) -> int:
    """End the user's sessions server-side: all of them, all but `keep` (the current request's session), or
    `only` these keys. Returns how many stored sessions were removed.

    All of them: the user's session generation goes up in the database, in the caller's transaction, so every
    session started before ends at its next request (accounts.middleware) even when the store's per-user index
    is gone (Redis evicted it); `keep` is moved to the new generation. The stored sessions are then removed through
    that index, which only holds the user's own keys, so a key of another user's session ends nothing.
    """
    if only is None:
        User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
        user.refresh_from_db(fields=["session_generation"])
        if keep is not None:
            keep[GENERATION] = user.session_generation
    keep_key = keep.session_key if keep is not None else None
    return selectors.session_store_class().sessions_end(user.pk, keys=only, keep=keep_key)


def user_session_end(*, user: User, public_id: str, ip: str | None) -> bool:
    """ "Log uit" on the sessions page: end one of the user's other sessions, named by its public id.

    Prevents: ending someone else's session (only the user's own sessions are looked up, so another user's id
    matches nothing). The current session is ended by logging out, in the view.
    """
    key = selectors.session_key_for_public_id(user=user, public_id=public_id)
    if key is None:
        return False
    ended = user_sessions_end(user=user, only=[key]) > 0
    if ended:
        audit.record(Event.SESSION_ENDED, user=user, ip=ip, detail="one session from the sessions page")
    return ended


def user_sessions_end_everywhere(*, user: User, current, ip: str | None) -> int:
    """ "Log overal uit": every other session of the user ends now; the view then logs this one out."""
    ended = user_sessions_end(user=user, keep=current)
    audit.record(Event.SESSION_ENDED, user=user, ip=ip, detail=f"everywhere ({ended} other sessions)")
    return ended


def password_reset_throttle(*, ip: str, email: str | None) -> throttling.Verdict:
    """Count a reset request against the per-address and per-email limits (an unknown email counts the same)."""
    limit, period = app_settings.RESET_LIMIT_PER_IP
    verdict = throttling.hit("reset-ip", ip, limit=limit, period=period)
    if email and verdict.allowed:
        limit, period = app_settings.RESET_LIMIT_PER_EMAIL
        verdict = throttling.hit("reset-email", email.strip().lower(), limit=limit, period=period)
    return verdict


@transaction.atomic
def password_reset_request(*, email: str, birth_date: datetime.date) -> None:
    """Queue a one-time link to the stored address when email and birth date match; otherwise do nothing.

    Never sets a password and never says whether anything matched: the caller answers the same either way.
    """
    user = selectors.user_for_password_reset(email=email, birth_date=birth_date)
    audit.record(Event.PASSWORD_RESET_REQUESTED, user=user, email=email, detail="" if user else "no match")
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = password_reset_tokens.make_token(user)
    link = site_url(reverse("accounts:password-reset-confirm", kwargs={"uidb64": uid, "token": token}))
    mail_enqueue(
        to=user.email,
        template="accounts/email/password_reset",
        context={"user": user, "link": link, "minutes": settings.PASSWORD_RESET_TIMEOUT // 60},
        language=user.language,
    )


@transaction.atomic
def password_reset_complete(*, user: User, password: str) -> None:
    """Set the new password, end every session of the user, and tell the user by mail."""
    user.set_password(password)
    user.save(update_fields=["password"])
    user_sessions_end(user=user)
    audit.record(Event.PASSWORD_RESET_COMPLETED, user=user)
    mail_enqueue(
        to=user.email,
        template="accounts/email/password_changed",
        context={"user": user, "link": site_url(reverse("accounts:password-reset"))},
        language=user.language,
    )


@transaction.atomic
def password_change(*, request, user: User, password: str) -> None:
    """A new password from Mijn Instellingen: this session stays (with a new key), every other one ends."""
    user.set_password(password)
    user.save(update_fields=["password"])
    update_session_auth_hash(request, user)
    user_sessions_end(user=user, keep=request.session)
    audit.record(Event.PASSWORD_CHANGED, user=user, ip=throttling.client_ip(request))
    mail_enqueue(
        to=user.email,
        template="accounts/email/password_changed",
        context={"user": user, "link": site_url(reverse("accounts:password-reset"))},
        language=user.language,
    )


# ----------------------------------------------------------------------------------------------- by staff
# Who may call these, for whom and with which fields is decided by dossier/account_rules.py (the Web Portaal).
CONTACT_FIELDS = ("email", "mobile")
RIGHTS_FIELDS = ("is_active", "is_staff", "is_superuser")


@transaction.atomic
def user_create_by_staff(*, user: User, actor: User, ip: str | None, with_rights: bool = False) -> User:
    """A new account made in the Web Portaal: never a password (the person sets their own), never staff rights
    unless an administrator gave them (`with_rights`)."""
    if not with_rights:
        user.is_staff = user.is_superuser = False
        user.is_active = True
    user.set_unusable_password()
    user.save()
    audit.record(
        Event.ACCOUNT_CREATED, user=user, actor=actor, ip=ip, detail="staff account" if user.is_staff else ""
    )
    return user


@transaction.atomic
def user_update_by_staff(*, user: User, actor: User, changes: dict, ip: str | None) -> list[str]:
    """Staff change an account's fields (already limited to what the actor may change); returns what changed or
    was asked.

    Name, language and (administrators only) birth date and rights are applied at once. A new email or mobile number
    of an employee is only asked (contact_change_request): the account keeps the address and number its owner
    proved until the change is confirmed (dossier/account_rules.py rule 8). Staff accounts are the administrator's
    own business and change at once.
    """
    stored = User.objects.select_for_update().get(pk=user.pk)
    for field, value in changes.items():
        if field == "email":
            changes[field] = UserManager.normalize_email(value)
    changed = [field for field, value in changes.items() if getattr(stored, field) != value]
    asked = [f for f in changed if f in CONTACT_FIELDS and not (stored.is_staff or stored.is_superuser)]
    direct = [f for f in changed if f not in asked]
    for field in asked:  # the form set them on the instance; it must show what is stored
        setattr(user, field, getattr(stored, field))
    if asked:
        contact_change_request(
            user=stored,
            actor=actor,
            ip=ip,
            email=changes["email"] if "email" in asked else None,
            mobile=str(changes["mobile"] or "") if "mobile" in asked else None,
        )
    if direct:
        _apply_by_staff(stored=stored, user=user, actor=actor, ip=ip, fields=direct, changes=changes)
    return changed


def _apply_by_staff(*, stored: User, user: User, actor: User, ip, fields: list[str], changes: dict) -> None:
    old_email = stored.email
    for field in fields:
        setattr(stored, field, changes[field])
        setattr(user, field, changes[field])
    stored.save(update_fields=fields)
    contact = [field for field in fields if field in CONTACT_FIELDS]
    rights = [field for field in fields if field in RIGHTS_FIELDS]
    kind = Event.CONTACT_CHANGED if contact else Event.RIGHTS_CHANGED if rights else Event.ACCOUNT_CHANGED
    audit.record(kind, user=stored, actor=actor, ip=ip, detail=",".join(fields))
    if contact or "is_active" in rights:
        user_sessions_end(user=stored)
    if contact:
        _mail_contact_changed(user=stored, to=old_email, fields=contact)


def _mail_contact_changed(*, user: User, to: str, fields: list[str]) -> None:
    mail_enqueue(
        to=to,
        template="accounts/email/contact_changed",
        context={
            "user": user,
            "email_changed": "email" in fields,
            "mobile_changed": "mobile" in fields,
            "link": site_url(reverse("accounts:login")),
            "days": max(1, settings.STAFF_CONTACT_CHANGE_COOLDOWN // 86400),
        },
        language=user.language,
        send_now=True,
    )


# ----------------------------------------------------------------------------------------------- contact changes
# dossier/account_rules.py rule 8: staff ask, the employee (through the address they proved) or other provider
# staff (with a reason) decide. Who may decide is the rules module's; these are the writes.
CONTACT_CHANGE_SALT = "accounts.contact_change"


class ContactChangeError(Exception):
    """The change cannot be decided (any more): its message says why, for the person deciding."""


def contact_change_request(
    *, user: User, actor: User, ip: str | None, email=None, mobile=None
) -> ContactChange:
    """Store the request (a pending one is replaced), audit it, and mail the address the employee proved: what
    was asked, by whom, and a link to confirm or reject it. Nothing of the account changes."""
    ContactChange.objects.filter(user=user, state=ContactChange.State.PENDING).update(
        state=ContactChange.State.REPLACED, decided_at=timezone.now()
    )
    change = ContactChange.objects.create(user=user, new_email=email, new_mobile=mobile, requested_by=actor)
    audit.record(
        Event.CONTACT_CHANGE_REQUESTED, user=user, actor=actor, ip=ip, detail=",".join(change.fields)
    )
    token = signing.dumps(change.pk, salt=CONTACT_CHANGE_SALT)
    mail_enqueue(
        to=user.email,
        template="accounts/email/contact_change_requested",
        context={
            "user": user,
            "change": change,
            "requested_by": actor.get_full_name() or actor.email,
            "link": site_url(reverse("accounts:contact-change", kwargs={"token": token})),
            "days": app_settings.CONTACT_CHANGE_LINK_TIMEOUT // 86400,
        },
        language=user.language,
        send_now=True,
    )
    return change


def contact_change_from_token(token: str) -> ContactChange | None:
    """The pending change a mailed link names, while the link lives; None for anything else."""
    try:
        pk = signing.loads(token, salt=CONTACT_CHANGE_SALT, max_age=app_settings.CONTACT_CHANGE_LINK_TIMEOUT)
    except signing.BadSignature:
        return None
    return (
        ContactChange.objects.select_related("user", "requested_by")
        .filter(pk=pk, state=ContactChange.State.PENDING)
        .first()
    )


@transaction.atomic
def contact_change_decide(
    *, change: ContactChange, confirm: bool, actor: User | None, ip: str | None, reason: str = ""
) -> ContactChange:
    """Confirm (apply) or reject a pending change. `actor` None: the employee, through the mailed link.

    Confirmed: the new values are stored, every session of the employee ends, the old address is told, and an
    employee who never activated the account gets a fresh invitation at the confirmed address.
    """
    change = ContactChange.objects.select_for_update().get(pk=change.pk)
    if change.state != ContactChange.State.PENDING:
        raise ContactChangeError(_("This change was already decided or replaced by a newer one."))
    user = User.objects.select_for_update().get(pk=change.user_id)
    by = "the employee" if actor is None else f"{actor.email}: {reason}"
    change.decided_at, change.decided_by, change.reason = timezone.now(), actor, reason
    if not confirm:
        change.state = ContactChange.State.REJECTED
        change.save(update_fields=["state", "decided_at", "decided_by", "reason"])
        audit.record(
            Event.CONTACT_CHANGE_REJECTED,
            user=user,
            actor=actor,
            ip=ip,
            detail=f"{','.join(change.fields)} rejected by {by}",
        )
        return change
    if change.new_email and User.objects.filter(email__iexact=change.new_email).exclude(pk=user.pk).exists():
        raise ContactChangeError(
            _("The new email address is in use by another account; the change cannot be made.")
        )
    old_email = user.email
    if change.new_email is not None:
        user.email = change.new_email
    if change.new_mobile is not None:
        user.mobile = change.new_mobile
    user.save(update_fields=change.fields)
    change.state = ContactChange.State.CONFIRMED
    change.save(update_fields=["state", "decided_at", "decided_by", "reason"])
    # The staff member who asked is the actor of the change (the two-factor reset's cool-down counts from here).
    audit.record(
        Event.CONTACT_CHANGED,
        user=user,
        actor=change.requested_by,
        ip=ip,
        detail=f"{','.join(change.fields)} confirmed by {by}",
    )
    user_sessions_end(user=user)
    _mail_contact_changed(user=user, to=old_email, fields=change.fields)
    if change.new_email is not None:
        invitation_send(user=user, actor=actor, ip=ip, detail="after a confirmed change of the email address")
    return change


def rights_changed_by_administrator(*, user: User, actor: User, fields: list[str], ip: str | None) -> None:
    """Groups or individual permissions were changed (by an administrator): audited with actor and IP."""
    audit.record(Event.RIGHTS_CHANGED, user=user, actor=actor, ip=ip, detail=",".join(fields))


@transaction.atomic
def admin_create_with_link(*, email: str, first_name: str, last_name: str) -> tuple[User, str]:
    """A provider administrator (staff, superuser) with no password, and a one-time link to set one.

    For the first administrator of an empty installation (`manage.py create_admin`). No password ever passes
    through a command line, shell history or process list: the link is the reset link (one use, at most an hour),
    and the second factor is enrolled at the first login, as for everyone. An address already in use is refused.
    """
    user = User(email=email, first_name=first_name, last_name=last_name, is_staff=True, is_superuser=True)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    return user, admin_password_link(user=user)


def admin_password_link(*, user: User) -> str:
    """A fresh one-time set-password link for an administrator who has no password yet (an expired first link)."""
    if user.has_usable_password() or not user.is_staff:
        raise ValueError("only a staff user who has not set a password yet gets a link this way")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = password_reset_tokens.make_token(user)
    audit.record(
        Event.PASSWORD_RESET_REQUESTED, user=user, detail="administrator link by manage.py create_admin"
    )
    return site_url(reverse("accounts:password-reset-confirm", kwargs={"uidb64": uid, "token": token}))


# ----------------------------------------------------------------------------------------------- invitations
# An employee made by staff (admin form or import) has no password: an invitation mail carries a one-time
# activation link (accounts.tokens.ActivationTokens); the activation page asks the birth date and a new password.
# Who may send one for whom is decided by dossier/account_rules.py.


def invitation_possible(user: User) -> bool:
    """An active employee who has not set a password yet, with a birth date to confirm on the activation page."""
    return bool(user.is_active and not user.is_staff and not user.has_usable_password() and user.birth_date)


def invitation_link(*, user: User, next_path: str = "") -> str:
    """A fresh activation link; every older link of this user dies (the token covers `invited_at`).

    `next_path` (a path on this site, e.g. a document) is where the employee lands after the second factor.
    """
    user.invited_at = timezone.now()
    user.save(update_fields=["invited_at"])
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("accounts:activate", kwargs={"uidb64": uid, "token": activation_tokens.make_token(user)})
    return site_url(f"{path}?{urlencode({'next': next_path})}" if next_path else path)


def invitation_days() -> int:
    return max(1, app_settings.INVITATION_TIMEOUT // 86400)


@transaction.atomic
def invitation_send(*, user: User, actor: User | None, ip: str | None, detail: str = "") -> bool:
    """Queue the invitation mail (the employee's language, no health data) in the caller's transaction, so a
    rolled-back import sends nothing; False when the account cannot be invited (see invitation_possible)."""
    if not invitation_possible(user):
        return False
    link = invitation_link(user=user)
    audit.record(Event.INVITATION_SENT, user=user, actor=actor, ip=ip, detail=detail)
    mail_enqueue(
        to=user.email,
        template="accounts/email/invitation",
        context={"user": user, "link": link, "days": invitation_days()},
        language=user.language,
    )
    return True


def activation_throttle(*, ip: str, user: User) -> throttling.Verdict:
    """An activation attempt counts against the same limits (and counters) as a reset request: the birth date
    cannot be guessed faster through the activation page than through "Wachtwoord vergeten"."""
    return password_reset_throttle(ip=ip, email=user.email)


def activation_birth_date_matches(*, user: User, birth_date: datetime.date, ip: str) -> bool:
    """The reset's own check (constant time, active users only); a mismatch is audited."""
    if selectors.user_for_password_reset(email=user.email, birth_date=birth_date) == user:
        return True
    audit.record(Event.ACTIVATION_FAILED, user=user, ip=ip)
    return False


@transaction.atomic
def account_activate(*, request, user: User, password: str, chosen_language: str | None) -> None:
    """The employee's own first password: set it (the link dies with it), end any session, log in (the password
    step); the second factor is chosen next, as at every first login."""
    user.set_password(password)
    user.save(update_fields=["password"])
    user_sessions_end(user=user)
    audit.record(Event.ACCOUNT_ACTIVATED, user=user, ip=throttling.client_ip(request))
    user_login(request=request, user=user, chosen_language=chosen_language)


def invitation_link_with_notification(*, user: User, next_path: str) -> str | None:
    """For a mail that must carry a link (a new document) to an employee who never activated the account: a fresh
    activation link leading on to `next_path` (older links die), audited; None when the account is active or
    cannot be invited, and the mail's usual login link applies."""
    if not invitation_possible(user):
        return None
    audit.record(Event.INVITATION_SENT, user=user, detail="with a document notification")
    return invitation_link(user=user, next_path=next_path)
