"""HR of an employer may change the contact data of its own employees (dossier/account_rules.py decides which
fields); the groups are brought in line with dossier/roles.py."""

from django.db import migrations

from dossier.roles import ensure_roles


def update_roles(apps, schema_editor):
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [("dossier", "0003_document_page_order")]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
