"""Users in the Web Portaal (Django admin)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.forms import UserAdminChangeForm, UserAdminCreationForm
from accounts.models import OutgoingEmail, User


class ReadOnlyAdminMixin:
    """A record nobody adds, changes or deletes in the Web Portaal (logs, outbox, devices)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    ordering = ("last_name", "first_name", "email")
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_active", "language")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal data"), {"fields": ("first_name", "last_name", "birth_date", "mobile", "language")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "first_name",
                    "last_name",
                    "birth_date",
                    "mobile",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")


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


@admin.action(description=_("Reset two-factor authentication (lost phone)"), permissions=["change"])
def reset_two_factor(modeladmin, request, queryset):
    from twofactor.services import twofactor_reset_by_staff

    for user in queryset:
        twofactor_reset_by_staff(user=user, actor=request.user)
    modeladmin.message_user(
        request,
        ngettext(
            "Two-factor authentication was reset for %(count)d user; they enrol again at their next login.",
            "Two-factor authentication was reset for %(count)d users; they enrol again at their next login.",
            queryset.count(),
        )
        % {"count": queryset.count()},
    )


UserAdmin.actions = [reset_two_factor]
