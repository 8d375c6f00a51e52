"""Reuse the dossier fixtures (two employers, staff, verified clients)."""

from tests.dossier.conftest import client_for, documents_dir, world  # noqa: F401
