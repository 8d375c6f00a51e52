"""The insider's sweep: every staff role opens every Web Portaal URL of every registered model (list, add,
change, history, delete of a row it may not see) and posts an empty add form. Nothing answers 500, nothing out of
scope answers 200, and the database holds no new row afterwards (besides the logs that record the attempts)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from core.models import AuditEvent
from dossier.models import AccessLog

pytestmark = pytest.mark.django_db

ROLES = ("hr_x", "case_manager", "medical")
LOGS = (AuditEvent, AccessLog)


def _models():
    return list(admin.site._registry)


def _counts():
    return {model: model._default_manager.count() for model in admin.site._registry if model not in LOGS}


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_url_of_every_model_for_every_role(world, client_for, role):
    from tests.factories import document_for

    document_for(world.c, title="Plan Cor")  # a row of employer Y, outside HR of X's scope
    client = client_for(getattr(world, role))
    for model in _models():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = client.get(reverse(f"admin:{info[0]}_{info[1]}_changelist"))
        assert changelist.status_code in (200, 403), (model, changelist.status_code)
        add = client.get(reverse(f"admin:{info[0]}_{info[1]}_add"))
        assert add.status_code in (200, 403), (model, add.status_code)
        before = _counts()
        posted = client.post(reverse(f"admin:{info[0]}_{info[1]}_add"), {})
        assert posted.status_code in (200, 403), (model, posted.status_code)  # an empty form saves nothing
        assert _counts() == before, model
        scope = admin.site._registry[model].get_queryset(_request(client, getattr(world, role)))
        outside = model._default_manager.exclude(pk__in=scope.values("pk")).first()
        if outside is None:
            continue
        for name in ("change", "history", "delete"):
            url = reverse(f"admin:{info[0]}_{info[1]}_{name}", args=[outside.pk])
            response = client.get(url)
            assert response.status_code in (403, 404), (model, name, response.status_code)
            response = client.post(url, {"post": "yes"})
            assert response.status_code in (403, 404), (model, name, response.status_code)
        assert model._default_manager.filter(pk=outside.pk).exists()


def _request(client, user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.mark.parametrize("role", ROLES)
def test_the_import_pages_with_empty_posts_save_nothing(world, client_for, role):
    """Issue 11: the import page and its confirmation, posted empty or half by every staff role: no 500, no row."""
    client = client_for(getattr(world, role))
    before = _counts()
    for url, data in (
        ("/admin/accounts/user/import/", {}),
        ("/admin/accounts/user/import/", {"employer": "x", "format": "9"}),
        ("/admin/accounts/user/process_import/", {}),
        ("/admin/accounts/user/process_import/", {"import_file_name": "../../etc/passwd", "format": "0"}),
    ):
        response = client.post(url, data)
        assert response.status_code in (200, 403), (url, response.status_code)
    assert _counts() == before
