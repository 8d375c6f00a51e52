"""The audit event kinds of the accounts app (core.audit records them)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core import audit


@audit.register
class Event(models.TextChoices):
    LOGIN_SUCCESS = "login_success", _("login succeeded")
    LOGIN_FAILURE = "login_failure", _("login failed")
    LIMIT_REACHED = "limit_reached", _("limit reached")
    PASSWORD_RESET_REQUESTED = "password_reset_requested", _("password reset requested")
    PASSWORD_RESET_COMPLETED = "password_reset_completed", _("password reset completed")
    PASSWORD_CHANGED = "password_changed", _("password changed")
    LOGOUT = "logout", _("logged out")
    SESSION_ENDED = "session_ended", _("session ended from the sessions page")
    ACCOUNT_CREATED = "account_created", _("account created by staff")
    ACCOUNT_CHANGED = "account_changed", _("account changed by staff")
    CONTACT_CHANGED = "contact_changed", _("email or mobile changed by staff")
    CONTACT_CHANGE_REQUESTED = "contact_change_requested", _("email or mobile change asked by staff")
    CONTACT_CHANGE_REJECTED = "contact_change_rejected", _("email or mobile change rejected")
    STAFF_ACTION_REFUSED = "staff_action_refused", _("staff action refused")
    RIGHTS_CHANGED = "rights_changed", _("rights changed by an administrator")
    INVITATION_SENT = "invitation_sent", _("invitation sent")
    ACCOUNT_ACTIVATED = "account_activated", _("account activated by its owner")
    ACTIVATION_FAILED = "activation_failed", _("activation refused: date of birth did not match")
