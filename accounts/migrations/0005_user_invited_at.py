"""Additive: when the newest invitation (activation link) was sent to the user."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_move_outbox_and_audit_to_core"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="invited_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="invited at"),
        ),
    ]
