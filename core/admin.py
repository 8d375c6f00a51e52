"""The outbox in the Web Portaal, and the read-only base of every log (the audit events' admin is scoped to
provider staff in dossier/admin.py, beside the rules of who sees what)."""

from django.contrib import admin

from core.models import OutgoingEmail


class ReadOnlyAdminMixin:
    """A record nobody adds, changes or deletes in the Web Portaal (logs, outbox, devices)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "kind", "to", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status", "kind")
    fields = (
        "to",
        "kind",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields
