"""Property tests (hypothesis) of the dossier pages: document paths and query parameters.

Whatever is typed, the answer is never a 500 (strategies and oracles: tests/property_support.py).
"""

import html
import re
from urllib.parse import quote

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.factories import UserFactory, document_for
from tests.property_support import (
    ANY_TEXT,
    NEXTS,
    QUERY_PAGES,
    _uuid_variants,
    assert_local,
    fast,
    fresh_client,
    snapshot,
)

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------------------------- documents
@pytest.fixture
def documents(enrolled_user):
    other = UserFactory(email="ander@example.nl")
    return document_for(enrolled_user, title="Eigen plan"), document_for(other, title="Niet van jou")


@fast(80)
@given(data=st.data())
def test_document_any_path_is_404_unless_it_is_the_own_document(verified_client, documents, data):
    own, others = documents
    text = data.draw(
        st.one_of(
            st.sampled_from(_uuid_variants(own.pk) + _uuid_variants(others.pk)),
            st.uuids().map(str),
            st.text(min_size=1, max_size=60),
            st.sampled_from(["..", ".", "%", "%2e%2e", "\x00", "\\", "💩", "../../admin", "a" * 5_000]),
        ),
        label="text",
    )
    raw = data.draw(st.booleans(), label="raw")  # raw: slashes stay path separators
    path = "/dossier/documents/" + quote(text, safe="/" if raw else "") + "/"
    before = snapshot()
    response = verified_client.get(path)
    if text == str(own.pk):
        assert response.status_code == 200
        return
    assert response.status_code == 404, (path, response.status_code)
    body = response.content.decode()
    assert '<html lang="nl"' in body and "Pagina niet gevonden" in body
    assert snapshot() == before


@fast(40)
@given(
    page=st.sampled_from(QUERY_PAGES),
    name=st.sampled_from(["page", "reason", "next", "download"]),
    value=st.one_of(
        st.sampled_from(["0", "-1", "1e9", "last", "99999999999999999999", "nan"]), NEXTS, ANY_TEXT
    ),
)
def test_query_parameters_any_value(verified_client, page, name, value):
    client = verified_client if page.startswith("/dossier/") else fresh_client()
    response = client.get(page, {name: value})
    event(f"status {response.status_code}")
    assert response.status_code == 200, response.status_code
    body = response.content.decode()
    assert '<html lang="nl"' in body
    for hidden in re.findall(r'name="next" value="([^"]*)"', body):
        assert_local(html.unescape(hidden))
