"""Moving the outbox and the audit events from `accounts` to `core` keeps every table, row and permission.

The database is taken back to the state before the move, filled there through that state's models, and migrated
forward again: the rows read the same through the new models, and the permission rows (and the groups holding
them) are the same rows, now under `core`.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

BEFORE = [
    ("accounts", "0003_alter_auditevent_kind"),
    ("dossier", "0005_alter_accesslog_action"),
    ("core", None),
]


@pytest.mark.django_db(transaction=True)
def test_rows_and_permissions_survive_the_move_to_core():
    from django.contrib.auth.models import Group, Permission

    from dossier.roles import ensure_roles

    ensure_roles(Group, Permission, strict=True)  # another transactional test may have flushed the groups
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE[:2]).apps
    user = old.get_model("accounts", "User").objects.create(email="oud@example.nl", password="!")
    event = old.get_model("accounts", "AuditEvent").objects.create(
        kind="login_success", user=user, ip="10.0.0.1"
    )
    mail = old.get_model("accounts", "OutgoingEmail").objects.create(
        to="oud@example.nl", subject="S", kind="k"
    )
    permission = old.get_model("auth", "Permission").objects.get(
        content_type__app_label="accounts", codename="view_auditevent"
    )
    group = old.get_model("auth", "Group").objects.get(name="Casemanager")
    assert group.permissions.filter(pk=permission.pk).exists()

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from core.models import AuditEvent, OutgoingEmail

    moved = AuditEvent.objects.get(pk=event.pk)
    assert (moved.kind, moved.user_id, moved.ip) == ("login_success", user.pk, "10.0.0.1")
    with translation.override("nl"):
        assert moved.get_kind_display() == "inloggen gelukt"  # the label registered by accounts.events
    assert OutgoingEmail.objects.get(pk=mail.pk).to == "oud@example.nl"
    same = Permission.objects.get(pk=permission.pk)
    assert (same.content_type.app_label, same.codename) == ("core", "view_auditevent")
    assert Group.objects.get(name="Casemanager").permissions.filter(pk=permission.pk).exists()
