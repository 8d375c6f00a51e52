"""Employers and employments in the Web Portaal."""

from django.contrib import admin

from dossier.models import Employer, Employment


@admin.register(Employer)
class EmployerAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Employment)
class EmploymentAdmin(admin.ModelAdmin):
    list_display = ("user", "employer", "personnel_number", "job_title")
    list_select_related = ("user", "employer")
    search_fields = ("user__email", "user__last_name", "personnel_number")
    autocomplete_fields = ("employer",)
    raw_id_fields = ("user",)
