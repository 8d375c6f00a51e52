"""The dossier page's document rows, formatted in Python (dossier.views.document_rows, issue 18), are exactly what
the template loop they replaced rendered: escaping, the unread badge, category, local date and size, NL and EN."""

import datetime

import pytest
from django.template import engines
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone, translation

from dossier.models import Document
from dossier.views import document_rows
from tests.factories import document_for

pytestmark = pytest.mark.django_db

# The loop as it stood in templates/dossier/_home_body.html, over the dicts the view made for it.
_LOOP = """{% load i18n %}{% translate "new" as new %}{% for row in rows %}
    <li class="document{% if row.unread %} unread{% endif %}">
      <a href="{{ row.url }}">{{ row.title }}</a>
      {% if row.unread %}<span class="badge">{{ new }}</span>{% endif %}
      <span class="meta"><span class="category-label">{{ row.category }}</span> · {{ row.date }} · {{ row.size }}</span>
    </li>{% endfor %}"""


def _as_the_template_did(documents) -> str:
    rows = [
        {
            "url": reverse("dossier:document", kwargs={"pk": d.pk}),
            "title": d.title,
            "unread": d.first_opened_at is None,
            "category": d.get_category_display(),
            "date": timezone.localtime(d.uploaded_at).strftime("%d-%m-%Y"),
            "size": filesizeformat(d.size),
        }
        for d in documents
    ]
    return engines["django"].from_string(_LOOP).render({"rows": rows})


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_rows_are_what_the_template_loop_rendered(user_factory, language):
    employee = user_factory()
    titles = ['<script>alert("x")</script>', "Tom & Jerry's \"plan\"", "Verzuim­melding 12 ½", "a" * 200]
    for i, title in enumerate(titles):
        document_for(employee, title=title, category=Document.Category.values[i % len(Document.Category.values)])
    documents = list(Document.objects.filter(employee=employee).order_by("pk"))
    documents[1].first_opened_at = timezone.now()  # read: no badge
    documents[2].uploaded_at = datetime.datetime(2026, 3, 28, 23, 30, tzinfo=datetime.UTC)  # the next day here
    documents[3].size = 1_536_000
    with translation.override(language):
        html = document_rows(documents)
        assert html == _as_the_template_did(documents)
    assert "<script>" not in html and "&lt;script&gt;" in html and "29-03-2026" in html
    assert html.count('<span class="badge">') == 3


def test_no_documents_is_no_rows():
    assert document_rows([]) == ""
