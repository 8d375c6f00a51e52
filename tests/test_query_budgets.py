"""Query budgets of the pages an employee walks after a mail link: login page, password step, token step, dossier
page, document page and its file. A new query on one of these paths fails here, so it is a choice, not an accident.

Counted: the portal's own queries. Not counted: the database session engine's (`make run` without Redis; in
production sessions live in Redis) and the savepoints that atomic() makes inside the test's own transaction (a
transaction of its own outside tests).
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import totp_code
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

_NOT_COUNTED = re.compile(r'"accounts_session"|^(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b')


class Budget:
    def __init__(self):
        self.queries: list[str] = []

    def __call__(self, request, limit: int):
        with CaptureQueriesContext(connection) as ctx:
            response = request()
        self.queries = [q["sql"] for q in ctx.captured_queries if not _NOT_COUNTED.search(q["sql"])]
        assert len(self.queries) <= limit, "\n".join(
            [f"{len(self.queries)} queries, budget {limit}:", *self.queries]
        )
        return response


@pytest.fixture
def budget():
    return Budget()


def _document_of(user):
    made = DocumentFactory(employee=user)
    return made["document"] if isinstance(made, dict) else made


def test_the_mail_link_journey_stays_within_its_query_budget(client, enrolled_user, password, budget):
    document = _document_of(enrolled_user)
    assert budget(lambda: client.get("/accounts/login/"), 0).status_code == 200
    # the account by email; last_login (Django's receiver); the login event
    answer = budget(
        lambda: client.post("/accounts/login/", {"username": enrolled_user.email, "password": password}), 3
    )
    assert answer.status_code == 302
    client.get(answer["Location"])
    # the user; which device is the method; the device locked; its use; the event
    assert budget(lambda: client.post("/twofactor/verify/", {"token": totp_code()}), 5).status_code == 302
    # the user and the session's device (every verified request), then the page's own reads and its access-log row;
    # a second view takes the body from the cache
    assert budget(lambda: client.get("/dossier/"), 8).status_code == 200
    assert budget(lambda: client.get("/dossier/"), 3).status_code == 200
    # the document with its sender and contacts; the actor's employer; the access-log row; the read receipt and
    # the employee's page counter (first opening only); its responses, appointments and trajects
    assert budget(lambda: client.get(f"/dossier/documents/{document.pk}/"), 10).status_code == 200
    assert budget(lambda: client.get(f"/dossier/documents/{document.pk}/"), 8).status_code == 200
    # the document; the actor's employer; the access-log row
    file = budget(lambda: client.get(f"/dossier/documents/{document.pk}/file/"), 5)
    assert file.status_code == 200 and b"".join(file.streaming_content)
