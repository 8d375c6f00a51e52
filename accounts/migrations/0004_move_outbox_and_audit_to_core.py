"""The outbox and the audit events now belong to `core` (core 0001 took them over, tables and rows untouched):
they leave the accounts app's state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_alter_auditevent_kind"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="auditevent", name="actor"),
                migrations.RemoveField(model_name="auditevent", name="user"),
                migrations.DeleteModel(name="OutgoingEmail"),
                migrations.DeleteModel(name="AuditEvent"),
            ],
            database_operations=[],
        )
    ]
