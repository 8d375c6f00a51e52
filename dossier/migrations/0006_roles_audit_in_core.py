"""The roles again, now that "view audit events" belongs to `core` (strict until 0008 added later permissions)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from dossier.roles import ensure_roles


def update_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), strict=False)


class Migration(migrations.Migration):
    dependencies = [
        ("dossier", "0005_alter_accesslog_action"),
        ("accounts", "0004_move_outbox_and_audit_to_core"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
