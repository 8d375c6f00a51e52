"""`bench_users`: load-test employees with a known password and TOTP secret, refused with DEBUG off."""

import time

import pyotp
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from core.models import OutgoingEmail
from devtools.management.commands.bench_users import (
    BENCH_PASSWORD,
    bench_clear,
    bench_file_name,
    bench_secret,
)
from dossier.models import AccessLog, Document, Employer, Employment, documents_storage

pytestmark = pytest.mark.django_db


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def test_bench_users_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("bench_users", "--count", "2")
    assert User.objects.count() == 0
    assert Document.objects.count() == 0


def test_bench_users_creates_users_devices_employments_and_documents(debug_on, capsys):
    call_command("bench_users", "--count", "3", "--documents", "4")
    users = User.objects.filter(email__endswith="@bench.test").order_by("email")
    assert [u.email for u in users] == ["bench0@bench.test", "bench1@bench.test", "bench2@bench.test"]
    assert all(u.check_password(BENCH_PASSWORD) for u in users)
    assert len({u.password for u in users}) == 1  # hashed once
    assert TOTPDevice.objects.filter(user__in=users, confirmed=True).count() == 3
    assert Employment.objects.filter(user__in=users).values("employer").distinct().count() == 1
    assert Document.objects.count() == 12
    assert Document.objects.values("file").distinct().count() == 1  # one shared file
    document = Document.objects.first()
    assert document.content_type == "application/pdf"
    assert document.file.name == bench_file_name("bench")
    stored = documents_storage().open(document.file.name).read()
    assert stored.startswith(b"%PDF") and len(stored) == document.size
    assert OutgoingEmail.objects.count() == 0  # no notification queued
    out = capsys.readouterr().out
    assert BENCH_PASSWORD in out and bench_secret("bench", 0) in out


def test_bench_secret_codes_verify_against_the_created_device(debug_on):
    call_command("bench_users", "--count", "2", "--documents", "0", "--prefix", "load")
    for i in range(2):
        device = TOTPDevice.objects.get(user__email=f"load{i}@bench.test")
        assert device.verify_token(pyotp.TOTP(bench_secret("load", i)).now())
    other = TOTPDevice.objects.get(user__email="load1@bench.test")
    assert not other.verify_token(pyotp.TOTP(bench_secret("load", 0)).at(time.time() + 30))
    assert bench_secret("load", 0) != bench_secret("load", 1) != bench_secret("bench", 1)


def test_bench_users_refuses_to_run_twice_without_clear(debug_on):
    call_command("bench_users", "--count", "2", "--documents", "1")
    with pytest.raises(CommandError, match="--clear"):
        call_command("bench_users", "--count", "2", "--documents", "1")
    assert User.objects.count() == 2


def test_bench_users_clear_replaces_earlier_bench_users_only(debug_on, enrolled_user):
    call_command("bench_users", "--count", "4", "--documents", "2")
    bench = User.objects.get(email="bench3@bench.test")
    AccessLog.objects.create(
        actor=bench, actor_name="Bench 3", actor_role="employee", subject=bench, action="view_dossier"
    )
    call_command("bench_users", "--count", "2", "--documents", "3", "--clear")
    assert set(User.objects.filter(email__endswith="@bench.test").values_list("email", flat=True)) == {
        "bench0@bench.test",
        "bench1@bench.test",
    }
    assert Document.objects.count() == 6
    assert TOTPDevice.objects.filter(user__email__endswith="@bench.test").count() == 2
    assert Employment.objects.filter(user__email__endswith="@bench.test").count() == 2
    assert Employer.objects.filter(name__startswith="Bench B.V.").count() == 1
    assert User.objects.filter(pk=enrolled_user.pk).exists()  # a real employee is never touched
    assert TOTPDevice.objects.filter(user=enrolled_user).exists()


def test_bench_users_clear_removes_the_shared_file_when_nothing_is_left(debug_on):
    call_command("bench_users", "--count", "1", "--documents", "1", "--prefix", "gone")
    assert documents_storage().exists(bench_file_name("gone"))
    assert bench_clear(prefix="gone") == 1
    assert not documents_storage().exists(bench_file_name("gone"))
    assert not User.objects.filter(email__endswith="@bench.test").exists()
    assert not Employer.objects.filter(name__contains="gone").exists()
