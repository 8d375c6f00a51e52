"""The insider's side of dossier/account_rules.py and dossier/access.py, as one table.

Every role (employee, Werkgever HR, Casemanager, Medisch, superuser) tries every sensitive Web Portaal path with GET
and POST. Each row states the status code and what may have changed in the database afterwards; the database is
compared field by field before and after, so "nothing changed" is read, not assumed.
"""

import base64
import uuid

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ContactChange, User
from dossier.models import Document
from tests.conftest import TOTP_SECRET
from tests.factories import UserFactory, document_for

pytestmark = pytest.mark.django_db

ROLES = ("employee", "hr", "case_manager", "medical", "superuser")
NEW_EMAIL = "nieuw.account@example.nl"
TAKEOVER_EMAIL = "overname@insider.example"  # an address an insider reads (account_rules rule 8)
ASKED_EMAIL = "anna.nieuw@example.nl"  # a change of Anna's address asked by HR of X, pending in every test


@pytest.fixture
def superuser(world):
    user = UserFactory(email="beheer@arbo.nl", is_staff=True, is_superuser=True)
    TOTPDevice.objects.create(user=user, name="app", key=base64.b32decode(TOTP_SECRET).hex(), confirmed=True)
    return user


@pytest.fixture
def actors(world, superuser):
    return {
        "employee": world.a,
        "hr": world.hr_x,
        "case_manager": world.case_manager,
        "medical": world.medical,
        "superuser": superuser,
    }


@pytest.fixture
def docs(world):
    from django.core.files.base import ContentFile

    from dossier.responses import response_create
    from tests.factories import pdf_bytes

    docs = {
        "other_employer": document_for(world.c, title="Plan Cor"),
        "medical": document_for(world.a, title="Medisch advies Anna", medical=True),
    }
    for key, author in (("other_employer", world.c), ("medical", world.a)):  # each with an attached file
        docs[f"{key}_response"], _ = response_create(
            document=docs[key],
            author=author,
            agreement="agree",
            own_view="Akkoord.",
            submission=uuid.uuid4(),
            upload=ContentFile(pdf_bytes("bijlage"), name="bijlage.pdf"),
        )
    ContactChange.objects.create(user=world.a, new_email=ASKED_EMAIL, requested_by=world.hr_x)
    return docs


def snapshot() -> dict:
    """Everything an escalation or takeover would change."""
    users = {
        u.pk: {
            "email": u.email,
            "mobile": str(u.mobile),
            "first_name": u.first_name,
            "is_staff": u.is_staff,
            "is_superuser": u.is_superuser,
            "is_active": u.is_active,
            "password": u.password,
            "groups": tuple(sorted(u.groups.values_list("name", flat=True))),
            "perms": tuple(sorted(u.user_permissions.values_list("codename", flat=True))),
            "devices": TOTPDevice.objects.filter(user=u).count()
            + StaticDevice.objects.filter(user=u).count(),
        }
        for u in User.objects.all()
    }
    groups = {
        g.name: tuple(sorted(g.permissions.values_list("codename", flat=True))) for g in Group.objects.all()
    }
    documents = {str(d.pk): (d.title, d.is_medical, d.employee_id) for d in Document.objects.all()}
    changes = sorted(
        ContactChange.objects.values_list("user_id", "new_email", "new_mobile", "requested_by_id", "state")
    )
    return {"users": users, "groups": groups, "documents": documents, "contact_changes": changes}


def _user_post(world, group_id, perm_id, **extra):
    return {
        "email": world.b.email,
        "first_name": "Bertus",
        "last_name": world.b.last_name,
        "birth_date": "01-01-1970",
        "mobile": "+31612345678",
        "language": "nl",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [group_id],
        "user_permissions": [perm_id],
        "password": "ik-kies-zelf-een-wachtwoord",
        "password1": "ik-kies-zelf-een-wachtwoord",
        "password2": "ik-kies-zelf-een-wachtwoord",
        "usable_password": "true",
        **extra,
    }


# path id -> (url, POST data) built from the world
def _paths(world, docs):
    cm_group = Group.objects.get(name="Casemanager").pk
    perm = Permission.objects.get(codename="view_medical_document").pk
    return {
        "user_add": ("/admin/accounts/user/add/", _user_post(world, cm_group, perm, email=NEW_EMAIL)),
        "user_change": (f"/admin/accounts/user/{world.b.pk}/change/", _user_post(world, cm_group, perm)),
        # rule 8: a new address is only asked, by every role; it never becomes the account's address on its own
        "user_change_email": (
            f"/admin/accounts/user/{world.b.pk}/change/",
            {**_user_post(world, cm_group, perm), "email": TAKEOVER_EMAIL},
        ),
        # rule 8 (b): Anna's pending change (asked by HR of X) is decided by other provider staff, with a reason
        "contact_change_decide": (
            f"/admin/accounts/user/{world.a.pk}/contact-change/",
            {"decision": "confirm", "reason": "werknemer gebeld, wil dit adres"},
        ),
        "staff_change": (
            f"/admin/accounts/user/{world.hr_y.pk}/change/",
            {**_user_post(world, cm_group, perm), "email": world.hr_y.email},
        ),
        "password_form": (
            f"/admin/accounts/user/{world.b.pk}/password/",
            {
                "password1": "overgenomen-wachtwoord-1",
                "password2": "overgenomen-wachtwoord-1",
                "usable_password": "true",
            },
        ),
        "reset_2fa": (
            "/admin/accounts/user/",
            {"action": "reset_two_factor", "_selected_action": [world.b.pk]},
        ),
        "doc_other_change": (
            f"/admin/dossier/document/{docs['other_employer'].pk}/change/",
            {"title": "Gewijzigd", "category": "overig"},
        ),
        "doc_other_download": (f"/admin/dossier/document/{docs['other_employer'].pk}/download/", {}),
        "doc_medical_change": (
            f"/admin/dossier/document/{docs['medical'].pk}/change/",
            {"title": "Gewijzigd", "category": "overig", "is_medical": ""},
        ),
        "doc_medical_download": (f"/admin/dossier/document/{docs['medical'].pk}/download/", {}),
        # issue 12: the file an employee attached to a response follows its document's rules
        "response_file_other": (
            f"/admin/dossier/document/{docs['other_employer'].pk}/responses/"
            f"{docs['other_employer_response'].pk}/file/",
            {},
        ),
        "response_file_medical": (
            f"/admin/dossier/document/{docs['medical'].pk}/responses/{docs['medical_response'].pk}/file/",
            {},
        ),
        "access_log": ("/admin/dossier/accesslog/", {}),
        "audit_events": ("/admin/core/auditevent/", {}),
        "appointments": ("/admin/dossier/appointment/", {}),  # issue 12: provider staff only
        "group_add": ("/admin/auth/group/add/", {"name": "Alles", "permissions": [perm]}),
        "group_change": (
            f"/admin/auth/group/{cm_group}/change/",
            {"name": "Casemanager", "permissions": [perm]},
        ),
        # issue 11: HR's bulk import, for employer Y (HR of X may not); provider staff get a preview, nothing saved
        "import_employer_y": (
            "/admin/accounts/user/import/",
            {
                "employer": world.y.pk,
                "format": "0",
                "resource": "0",
                "import_file": SimpleUploadedFile(
                    "m.csv",
                    f"email;voornaam;achternaam;geboortedatum\n{NEW_EMAIL};Nina;Nieuw;17-02-1988\n".encode(),
                ),
            },
        ),
        "import_confirm_forged": (
            "/admin/accounts/user/process_import/",
            {
                "import_file_name": "0" * 32,
                "original_file_name": "m.csv",
                "format": "0",
                "resource": "0",
                "employer": world.x.pk,
            },
        ),
    }


# The expected outcome per path and role: (GET status, POST status, effect of the POST).
# 302L: the employee is sent to the Web Portaal's login (which refuses employees); effects are checked below.
E = "302L"
MATRIX = {
    "user_add": {
        "employee": (E, E, None),
        "hr": (403, 403, None),
        "case_manager": (200, 302, "created_plain"),
        "medical": (200, 302, "created_plain"),
        "superuser": (200, 302, "created_staff"),
    },
    "user_change": {
        "employee": (E, E, None),
        "hr": (200, 302, "contact"),
        "case_manager": (200, 302, "contact"),
        "medical": (200, 302, "contact"),
        "superuser": (200, 302, "rights"),
    },
    "user_change_email": {
        "employee": (E, E, None),
        "hr": (200, 302, "email_asked"),
        "case_manager": (200, 302, "email_asked"),
        "medical": (200, 302, "email_asked"),
        "superuser": (200, 302, "email_asked_rights"),
    },
    "contact_change_decide": {
        "employee": (E, E, None),
        "hr": (403, 403, None),
        "case_manager": (200, 302, "confirmed"),
        "medical": (200, 302, "confirmed"),
        "superuser": (200, 302, "confirmed"),
    },
    "staff_change": {
        "employee": (E, E, None),
        "hr": (404, 404, None),
        "case_manager": (404, 404, None),
        "medical": (404, 404, None),
        "superuser": (200, 302, "staff_rights"),
    },
    "password_form": {
        "employee": (E, E, None),
        "hr": (404, 404, None),
        "case_manager": (404, 404, None),
        "medical": (404, 404, None),
        "superuser": (404, 404, None),
    },
    # HR has an action of its own now ("send the invitation again"), so an action it lacks is refused with Django's
    # "no action selected" redirect instead of being ignored: still nothing changes.
    "reset_2fa": {
        "employee": (E, E, None),
        "hr": (200, 302, None),
        "case_manager": (200, 302, "reset"),
        "medical": (200, 302, "reset"),
        "superuser": (200, 302, "reset"),
    },
    "doc_other_change": {
        "employee": (E, E, None),
        "hr": (404, 404, None),
        "case_manager": (200, 302, "doc_title"),
        "medical": (200, 302, "doc_title"),
        "superuser": (200, 302, "doc_title"),
    },
    "doc_other_download": {
        "employee": (E, E, None),
        "hr": (404, 404, None),
        "case_manager": (200, 200, None),
        "medical": (200, 200, None),
        "superuser": (200, 200, None),
    },
    "doc_medical_change": {
        "employee": (E, E, None),
        "hr": (404, 404, None),
        "case_manager": (404, 404, None),
        "medical": (200, 302, "medical_unflagged"),
        "superuser": (200, 302, "medical_unflagged"),
    },
    "doc_medical_download": {
        "employee": (E, E, None),
        "hr": (404, 404, None),
        "case_manager": (404, 404, None),
        "medical": (200, 200, None),
        "superuser": (200, 200, None),
    },
    "response_file_other": {
        "employee": (E, E, None),
        "hr": (404, 404, None),
        "case_manager": (200, 200, None),
        "medical": (200, 200, None),
        "superuser": (200, 200, None),
    },
    "response_file_medical": {
        "employee": (E, E, None),
        "hr": (404, 404, None),
        "case_manager": (404, 404, None),
        "medical": (200, 200, None),
        "superuser": (200, 200, None),
    },
    "access_log": {
        "employee": (E, E, None),
        "hr": (403, 403, None),
        "case_manager": (200, 200, None),
        "medical": (200, 200, None),
        "superuser": (200, 200, None),
    },
    "audit_events": {
        "employee": (E, E, None),
        "hr": (403, 403, None),
        "case_manager": (200, 200, None),
        "medical": (200, 200, None),
        "superuser": (200, 200, None),
    },
    "appointments": {
        "employee": (E, E, None),
        "hr": (403, 403, None),
        "case_manager": (200, 200, None),
        "medical": (200, 200, None),
        "superuser": (200, 200, None),
    },
    "group_add": {
        "employee": (E, E, None),
        "hr": (403, 403, None),
        "case_manager": (403, 403, None),
        "medical": (403, 403, None),
        "superuser": (200, 302, "group_added"),
    },
    "group_change": {
        "employee": (E, E, None),
        "hr": (403, 403, None),
        "case_manager": (403, 403, None),
        "medical": (403, 403, None),
        "superuser": (200, 302, "group_changed"),
    },
    # the import page: HR's POST for another employer is refused (the form says so), provider staff see a preview
    "import_employer_y": {
        "employee": (E, E, None),
        "hr": (200, 200, None),
        "case_manager": (200, 200, None),
        "medical": (200, 200, None),
        "superuser": (200, 200, None),
    },
    # a confirmation of a file this session never previewed imports nothing (GET: the view is POST-only)
    "import_confirm_forged": {
        "employee": (E, E, None),
        "hr": (405, 200, None),
        "case_manager": (405, 200, None),
        "medical": (405, 200, None),
        "superuser": (405, 200, None),
    },
}


def _expect_effect(effect, before, after, world, docs):
    """Apply the one allowed change to `before`; the result must equal `after` exactly."""
    b, users = world.b.pk, before["users"]
    if effect == "contact":
        users[b]["first_name"] = "Bertus"
    elif effect in ("email_asked", "email_asked_rights"):
        users[b]["first_name"] = "Bertus"  # the name changes at once; the address stays until confirmed
        if effect == "email_asked_rights":
            users[b].update(
                is_staff=True, is_superuser=True, groups=("Casemanager",), perms=("view_medical_document",)
            )
        (asked,) = [c for c in after["contact_changes"] if c[1] == TAKEOVER_EMAIL]
        assert asked[0] == b and asked[2] is None and asked[4] == "pending", asked
        before["contact_changes"] = sorted([*before["contact_changes"], asked])
    elif effect == "confirmed":
        users[world.a.pk]["email"] = ASKED_EMAIL
        users[world.a.pk]["password"] = after["users"][world.a.pk][
            "password"
        ]  # unchanged, read for the compare
        before["contact_changes"] = [
            (u, e, m, r, "confirmed" if e == ASKED_EMAIL else s)
            for u, e, m, r, s in before["contact_changes"]
        ]
    elif effect in ("rights", "staff_rights"):
        target = b if effect == "rights" else world.hr_y.pk
        users[target].update(
            first_name="Bertus",
            is_staff=True,
            is_superuser=True,
            groups=("Casemanager",),
            perms=("view_medical_document",),
        )
    elif effect == "reset":
        users[b]["devices"] = 0
    elif effect in ("created_plain", "created_staff"):
        new = User.objects.get(email=NEW_EMAIL)
        assert not new.has_usable_password(), "staff set a password for someone else"
        staff = effect == "created_staff"
        users[new.pk] = {
            "email": NEW_EMAIL,
            "mobile": str(new.mobile),
            "first_name": "Bertus",
            "is_staff": staff,
            "is_superuser": staff,
            "is_active": True,
            "password": new.password,
            "groups": ("Casemanager",) if staff else (),
            "perms": ("view_medical_document",) if staff else (),
            "devices": 0,
        }
    elif effect == "doc_title":
        pk = str(docs["other_employer"].pk)
        before["documents"][pk] = ("Gewijzigd", False, world.c.pk)
    elif effect == "medical_unflagged":  # medical staff decide the flag; the POST leaves it unticked
        pk = str(docs["medical"].pk)
        before["documents"][pk] = ("Gewijzigd", False, world.a.pk)
    elif effect == "group_added":
        before["groups"]["Alles"] = ("view_medical_document",)
    elif effect == "group_changed":
        before["groups"]["Casemanager"] = ("view_medical_document",)
    else:
        assert effect is None, effect
    assert after == before


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path_id", list(MATRIX))
def test_permission_matrix(world, docs, actors, client_for, path_id, role, method):
    url, data = _paths(world, docs)[path_id]
    get_status, post_status, effect = MATRIX[path_id][role]
    expected = get_status if method == "GET" else post_status
    client = client_for(actors[role])
    mail.outbox.clear()
    before = snapshot()

    response = client.get(url) if method == "GET" else client.post(url, data)

    if expected == E:
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), response
    else:
        assert response.status_code == expected, (response.status_code, response.content[:300])
    _expect_effect(effect if method == "POST" else None, before, snapshot(), world, docs)


def test_the_matrix_covers_every_role_on_every_path():
    assert all(set(row) == set(ROLES) for row in MATRIX.values())
