"""The roles of the Web Portaal as groups with their permissions (what each may see: dossier/access.py)."""

HR = "Werkgever HR"
CASE_MANAGER = "Casemanager"
MEDICAL = "Medisch (bedrijfsarts)"

# Who may manage which account (and which fields of it) is dossier/account_rules.py: change_user lets a role change an
# employee's contact data only, never rights, passwords or staff accounts.
EMPLOYER_HR_PERMISSIONS = [
    ("accounts", "view_user"),
    ("accounts", "change_user"),
    ("dossier", "view_employer"),
    ("dossier", "view_employment"),
    ("dossier", "import_employees"),  # the bulk import, for its own employer only (account_rules rule 7)
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
    ("core", "view_auditevent"),
    # appointments are made and changed by provider staff; employer HR does not see them
    ("dossier", "view_appointment"),
    ("dossier", "add_appointment"),
    ("dossier", "change_appointment"),
]
MEDICAL_PERMISSIONS = CASE_MANAGER_PERMISSIONS + [("dossier", "view_medical_document")]

ROLES = {HR: EMPLOYER_HR_PERMISSIONS, CASE_MANAGER: CASE_MANAGER_PERMISSIONS, MEDICAL: MEDICAL_PERMISSIONS}


def ensure_roles(group_model, permission_model, *, strict: bool = False) -> None:
    """Create or update the groups (idempotent; used by the migrations, seed_demo and the tests).

    An old migration runs before later models exist: it sets what exists (strict=False), and the latest roles
    migration sets every permission (strict=True fails loudly on a missing one).
    """
    for name, wanted in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        permissions = []
        for app, code in wanted:
            found = permission_model.objects.filter(content_type__app_label=app, codename=code).first()
            if found is None and strict:
                raise LookupError(f"permission {app}.{code} does not exist")
            permissions += [found] if found is not None else []
        group.permissions.set(permissions)
