"""SMS devices in the Web Portaal: visible, never their codes."""

from django.contrib import admin

from twofactor.models import SMSDevice


@admin.register(SMSDevice)
class SMSDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    fields = ("user", "name", "number", "confirmed", "created_at", "last_used_at", "last_sent_at")
    readonly_fields = ("user", "created_at", "last_used_at", "last_sent_at")
    raw_id_fields = ("user",)
