"""The roles again, now that responses and appointments exist (issue 12); 0009 (issue 11) is the strict one now."""

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
        ("dossier", "0007_document_page_responses_appointments"),
        ("accounts", "0004_move_outbox_and_audit_to_core"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
