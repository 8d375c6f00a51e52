"""documents_sweep after a database restore: the uploads made after the dump have no row any more, and the sweep
keeps them (a hold in the store) instead of deleting them as a crash's leftovers, also after new uploads."""

import os
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from dossier.management.commands.documents_sweep import HOLD
from dossier.models import Document, documents_storage
from tests.factories import document_for

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


@pytest.fixture
def store(settings, tmp_path):
    """A documents folder of this test's own (the run's shared one holds other tests' files)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "documents"},
        },
    }
    return tmp_path / "documents"


def _file(store, name: str, *, age: float):
    stored = documents_storage().save(name, ContentFile(b"%PDF-1.4 x"))
    os.utime(store / stored, (time.time() - age, time.time() - age))
    return stored


def _document(employee, *, age: float) -> Document:
    document = document_for(employee)
    Document.objects.filter(pk=document.pk).update(uploaded_at=timezone.now() - timedelta(seconds=age))
    os.utime(documents_storage().path(document.file.name), (time.time() - age, time.time() - age))
    return document


def _sweep(capsys, *args) -> tuple[str, str]:
    call_command("documents_sweep", *args)
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_sweep_a_crash_leftover_older_than_the_newest_document_is_removed(world, store, capsys):
    _document(world.a, age=2 * 3600)
    leftover = _file(store, f"{world.a.pk}/leftover", age=3 * 3600)  # stored, then the request failed
    out, err = _sweep(capsys)
    assert not (store / leftover).exists()
    assert "removed 1 unreferenced file(s)" in out and not err
    assert not (store / HOLD).exists()


def test_sweep_after_a_restore_keeps_the_lost_uploads_and_holds_even_after_new_uploads(world, store, capsys):
    kept = _document(world.a, age=3 * DAY)  # the newest document in the dump
    lost = _file(store, f"{world.a.pk}/after-the-dump", age=DAY)  # uploaded after the dump: its row is gone
    leftover = _file(store, f"{world.a.pk}/leftover", age=4 * DAY)  # an old crash leftover
    out, err = _sweep(capsys)
    assert "removed 0 unreferenced file(s)" in out
    assert err.startswith("HOLD: 2 unreferenced document file(s) kept")
    assert (store / lost).exists() and (store / leftover).exists() and (store / kept.file.name).exists()
    assert (store / HOLD).exists()
    # The portal is in use again: the newest document is now newer than the lost upload. The hold still holds.
    _document(world.a, age=2 * 3600)
    out, err = _sweep(capsys)
    assert "removed 0 unreferenced file(s)" in out and err.startswith("HOLD")
    assert (store / lost).exists()


def test_sweep_dry_run_lists_what_a_restore_left_and_writes_no_hold(world, store, capsys):
    _document(world.a, age=3 * DAY)
    lost = _file(store, f"{world.a.pk}/after-the-dump", age=DAY)
    out, err = _sweep(capsys, "--dry-run")
    assert f"would keep {lost}" in out and "would remove 0 unreferenced file(s)" in out
    assert err.startswith("HOLD: 1 unreferenced document file(s) kept")
    assert (store / lost).exists() and not (store / HOLD).exists()


def test_sweep_while_held_removes_stray_exports_and_after_release_the_rest(world, store, capsys):
    _document(world.a, age=3 * DAY)
    lost = _file(store, f"{world.a.pk}/after-the-dump", age=DAY)
    export = _file(store, "exports/stray.zip", age=DAY)
    _sweep(capsys)
    assert not (store / export).exists()  # a dossier export is no dossier content: its 24 hours are long over
    assert (store / lost).exists()
    out, _ = _sweep(capsys, "--release-hold")
    assert "hold released" in out and not (store / HOLD).exists()
    _document(world.a, age=2 * 3600)  # the operator put back what mattered; the rest is a leftover now
    out, err = _sweep(capsys)
    assert not (store / lost).exists()
    assert "removed 1 unreferenced file(s)" in out and not err


def test_sweep_an_empty_database_over_a_full_store_deletes_nothing(store, capsys, world):
    """A restore of the wrong (empty) dump: not one file is taken for a leftover."""
    Document.objects.all().delete()
    orphan = _file(store, "7/anything", age=DAY)
    out, err = _sweep(capsys)
    assert (store / orphan).exists() and err.startswith("HOLD")
