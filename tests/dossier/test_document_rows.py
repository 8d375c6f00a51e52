"""The document list on "Mijn eigen dossier": each row's link, escaped title, "new" badge while unread, translated
category label, local date (dd-mm-jjjj) and size, in Dutch and English."""

import datetime
import re

import pytest
from django.utils import timezone

from dossier.models import Document
from tests.factories import document_for

pytestmark = pytest.mark.django_db


def rows(html: str) -> list[str]:
    return re.findall(r'<li class="document[^"]*">.*?</li>', html, flags=re.S)


@pytest.mark.parametrize(
    ("language", "label", "new"), [("nl", "Plan van aanpak", "nieuw"), ("en", "Plan of action", "new")]
)
def test_each_row_shows_the_document_as_the_template_renders_it(world, client_for, language, label, new):
    document = document_for(world.a, title='<script>alert("x")</script> & zo', category="plan_van_aanpak")
    # 23:30 UTC on 28 March is 29 March in Amsterdam; 1.5 MB as Django's filesizeformat writes it
    Document.objects.filter(pk=document.pk).update(
        uploaded_at=datetime.datetime(2026, 3, 28, 23, 30, tzinfo=datetime.UTC), size=1_572_864
    )
    client = client_for(world.a)
    client.cookies["django_language"] = language
    [row] = rows(client.get("/dossier/").content.decode())
    assert row == (
        '<li class="document unread">\n'
        f'      <a href="/dossier/documents/{document.pk}/">'
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; zo</a>\n"
        f'      <span class="badge">{new}</span>\n'
        f'      <span class="meta"><span class="category-label">{label}</span> · 29-03-2026 · '
        f"{'1,5' if language == 'nl' else '1.5'}\xa0MB</span>\n    </li>"
    )


def test_a_read_document_has_no_badge_and_the_newest_comes_first(world, client_for):
    older = document_for(world.a, title="Oud", category="overig")
    document_for(world.a, title="Nieuw", category="coaching")
    Document.objects.filter(pk=older.pk).update(
        first_opened_at=timezone.now(), uploaded_at=timezone.now() - datetime.timedelta(days=1)
    )
    first, second = rows(client_for(world.a).get("/dossier/").content.decode())
    assert ">Nieuw</a>" in first and 'class="badge"' in first and 'class="document unread"' in first
    assert ">Oud</a>" in second and 'class="badge"' not in second and 'class="document"' in second
    assert '<span class="category-label">Overig</span>' in second


def test_no_documents_is_no_list(world, client_for):
    html = client_for(world.a).get("/dossier/").content.decode()
    assert rows(html) == [] and '<ul class="documents">' not in html
    assert "Er staan nog geen documenten in uw dossier" in html
