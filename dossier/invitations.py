"""The Web Portaal's side of invitations: the invitation when staff make an employee, the "send the
invitation again" action and the account state in the user list. Who may do it is dossier/account_rules.py."""

from django.contrib import messages
from django.utils import formats
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import selectors as account_selectors
from accounts import services as account_services
from core.throttling import client_ip
from dossier import account_rules


def invite_new_account(model_admin, request, user) -> None:
    """Right after staff made an employee account: the invitation, or a warning why none went out."""
    if user.is_staff:
        return
    if account_services.invitation_send(user=user, actor=request.user, ip=client_ip(request)):
        model_admin.message_user(
            request, _("An invitation to activate the account was sent to %(email)s.") % {"email": user.email}
        )
    else:
        model_admin.message_user(
            request,
            _(
                "No invitation was sent: the account has no date of birth (the employee confirms it when activating). "
                "Add it, then use the action “Send the invitation again”."
            ),
            level=messages.WARNING,
        )


def resend_action(model_admin, request, queryset) -> None:
    """A fresh invitation for each selected employee this actor may manage who has not activated the account;
    every older link dies. Each one is audited with actor and IP."""
    sent = skipped = 0
    for user in queryset:
        if account_rules.may_invite(request.user, user) and account_services.invitation_send(
            user=user, actor=request.user, ip=client_ip(request), detail="sent again from the Web Portaal"
        ):
            sent += 1
        else:
            if not account_rules.may_invite(request.user, user):
                account_rules.refused(
                    request.user, action="send the invitation again", subject=user, ip=client_ip(request)
                )
            skipped += 1
    if sent:
        model_admin.message_user(
            request,
            ngettext(
                "A new invitation was sent to %(count)d employee; any older link no longer works.",
                "A new invitation was sent to %(count)d employees; any older links no longer work.",
                sent,
            )
            % {"count": sent},
        )
    if skipped:
        model_admin.message_user(
            request,
            ngettext(
                "%(count)d account got no invitation: it is already active, has no date of birth, had its email or "
                "mobile number changed recently, or is not one you may manage.",
                "%(count)d accounts got no invitation: they are already active, have no date of birth, had their "
                "email or mobile number changed recently, or are not ones you may manage.",
                skipped,
            )
            % {"count": skipped},
            level=messages.WARNING,
        )


def account_state_label(user) -> str:
    """Active / invited (date) / invitation expired / not invited: never anything about the second factor."""
    state, since = account_selectors.account_state(user)
    if state == "active":
        return _("active")
    if state == "no_login_yet":
        return _("password set, not logged in yet")
    if state == "invited":  # the day in Dutch time, not the stored UTC one
        return _("invited (%(date)s)") % {"date": formats.date_format(localtime(since), "SHORT_DATE_FORMAT")}
    if state == "expired":
        return _("invitation expired")
    return _("not invited")
