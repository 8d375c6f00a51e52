"""Devices in the Web Portaal: visible to staff, never their secrets, codes or keys, and never editable.

Staff change a user's second factor only through the logged and mailed "reset two-factor authentication" action
(twofactor.services.twofactor_reset_by_staff); planting or re-pointing a device here would bypass it.
"""

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from core.admin import ReadOnlyAdminMixin
from twofactor.models import SMSDevice

for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class ReadOnlyDeviceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("user__email", "user__last_name")
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields


admin.site.register(TOTPDevice, ReadOnlyDeviceAdmin)
admin.site.register(StaticDevice, ReadOnlyDeviceAdmin)


admin.site.register(WebAuthnCredential, ReadOnlyDeviceAdmin)  # passkeys: name and dates, never the key


@admin.register(SMSDevice)
class SMSDeviceAdmin(ReadOnlyDeviceAdmin):
    pass
