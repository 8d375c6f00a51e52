"""The roles of the Web Portaal as groups with their permissions (see dossier/access.py for what each may see)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

HR = "Werkgever HR"
CASE_MANAGER = "Casemanager"
MEDICAL = "Medisch (bedrijfsarts)"

EMPLOYER_HR_PERMISSIONS = [
    ("accounts", "view_user"),
    ("dossier", "view_employer"),
    ("dossier", "view_employment"),
    ("dossier", "view_traject"),
    ("dossier", "add_traject"),
    ("dossier", "change_traject"),
    ("dossier", "view_document"),
    ("dossier", "add_document"),
    ("dossier", "change_document"),
]
CASE_MANAGER_PERMISSIONS = EMPLOYER_HR_PERMISSIONS + [
    ("dossier", "view_all_employers"),
    ("dossier", "add_employment"),
    ("dossier", "change_employment"),
    ("dossier", "view_accesslog"),
    ("accounts", "add_user"),
    ("accounts", "change_user"),
]
MEDICAL_PERMISSIONS = CASE_MANAGER_PERMISSIONS + [("dossier", "view_medical_document")]

ROLES = {HR: EMPLOYER_HR_PERMISSIONS, CASE_MANAGER: CASE_MANAGER_PERMISSIONS, MEDICAL: MEDICAL_PERMISSIONS}


def create_roles(apps, schema_editor):
    # Permissions are normally made after migrate; make them now so the groups can hold them on a fresh database.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = [
            Permission.objects.get(content_type__app_label=app, codename=codename) for app, codename in wanted
        ]
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dossier", "0001_initial"),
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
