"""Provider staff (case managers, medical staff) may read the audit events in the Web Portaal."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ["Casemanager", "Medisch (bedrijfsarts)"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="accounts", codename="view_auditevent")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(*Permission.objects.filter(codename="view_auditevent"))


class Migration(migrations.Migration):
    dependencies = [("dossier", "0002_roles"), ("accounts", "0002_audit_event")]

    operations = [migrations.RunPython(grant, revoke)]
