"""The outbox and the audit events move from `accounts` to `core` without touching a row: the tables keep their
names (db_table), only Django's state moves (accounts 0004 drops them from its state). Their content types move
too, so the permissions that hold them (and the groups that hold those) stay the same rows."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MOVED = ("auditevent", "outgoingemail")


def move_content_types(apps, schema_editor, source="accounts", target="core"):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not content_type.objects.filter(app_label=target, model=model).exists():
            content_type.objects.filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="core", target="accounts")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("accounts", "0003_alter_auditevent_kind"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                    migrations.CreateModel(
                        name='AuditEvent',
                        fields=[
                            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                            ('at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='when')),
                            ('kind', models.CharField(db_index=True, max_length=40, verbose_name='event')),
                            ('email', models.CharField(blank=True, max_length=254, verbose_name='email address given')),
                            ('ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP address')),
                            ('detail', models.CharField(blank=True, max_length=255, verbose_name='detail')),
                            ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                            ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                        ],
                        options={
                            'verbose_name': 'audit event',
                            'verbose_name_plural': 'audit events',
                            'db_table': 'accounts_auditevent',
                            'ordering': ['-at'],
                        },
                    ),
                    migrations.CreateModel(
                        name='OutgoingEmail',
                        fields=[
                            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                            ('to', models.EmailField(max_length=254, verbose_name='to')),
                            ('subject', models.CharField(max_length=255, verbose_name='subject')),
                            ('body_text', models.TextField(blank=True, verbose_name='text')),
                            ('body_html', models.TextField(blank=True, verbose_name='HTML')),
                            ('kind', models.CharField(max_length=64, verbose_name='kind')),
                            ('reference', models.CharField(blank=True, db_index=True, max_length=100, verbose_name='reference')),
                            ('status', models.CharField(choices=[('pending', 'pending'), ('sent', 'sent'), ('failed', 'failed')], default='pending', max_length=16, verbose_name='status')),
                            ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                            ('next_attempt_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='next attempt')),
                            ('last_error', models.CharField(blank=True, max_length=255, verbose_name='last error')),
                            ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                            ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent')),
                        ],
                        options={
                            'verbose_name': 'outgoing email',
                            'verbose_name_plural': 'outgoing emails',
                            'db_table': 'accounts_outgoingemail',
                            'indexes': [models.Index(condition=models.Q(('status', 'pending')), fields=['next_attempt_at'], name='accounts_outbox_pending')],
                        },
                    ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
