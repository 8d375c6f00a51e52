"""The employee's dossier page, rendered once per change and kept in the shared cache (issue 18).

What is kept: the HTML of the whole page (the layout around the actions, appointments, documents, contacts and
details) of one employee, for one language, category filter, page number and idle-dialog kind, with the values that
belong to one request left open as *slots* (`SLOTS`: the CSRF token, the page's own address, the idle countdown and
any one-time messages). Each view fills the slots with its own values (`fill`), so nothing of one request reaches
another: a slot is a marker derived from SECRET_KEY, which no document title or name can contain. The key holds the
employee's id and the page is built from their own rows only, so no page is ever shown to anyone else. The
access-log row is written on every view, kept page or not (dossier.views).

When it is renewed: every write that changes what the body shows replaces the employee's *generation token* once
its transaction has committed (`changed()`: the receivers below call it, and so does code that writes with
QuerySet.update(), which sends no signal).
A reader takes the token *before* it reads the database and stores the body under that token, so a body built from
rows older than a commit carries an old token and is never served again. A body also carries a deadline (the start
of the first upcoming appointment it lists, which then leaves the list) and lives at most MAX_AGE.

Where it is on: only with a cache that every worker and server share (Redis; DOSSIER_PAGE_CACHE, on when REDIS_URL
is set). With a per-process memory cache one worker could keep serving a body that another worker's write made
stale. If the cache fails, the body is built from the database as before and the error is logged.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from functools import cache as once
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils.crypto import salted_hmac
from django.utils.html import conditional_escape

from dossier.conf import app_settings
from dossier.models import Appointment, Document, Employer, Employment, Response, Traject

logger = logging.getLogger(__name__)

MAX_AGE = 10 * 60  # seconds; a safety net, the token does the real work
TOKEN_TTL = 7 * 24 * 3600


@once
def _release() -> str:
    """The templates and catalogues this process renders with: a deploy that changes them starts new bodies."""
    digest = hashlib.sha256()
    roots = [Path(d) for t in settings.TEMPLATES for d in t.get("DIRS", ())] + [Path(p) for p in settings.LOCALE_PATHS]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in (".html", ".mo") and path.is_file():
                digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def _token_key(user_id: int) -> str:
    return f"dossier.page:token:{user_id}"


def _body_key(user_id: int, variant: str) -> str:
    return f"dossier.page:body:{_release()}:{user_id}:{variant}"


def changed(*user_ids) -> None:
    """These employees' page bodies are out of date: new tokens now, and again once the transaction commits.

    The renewal after the commit is the one that counts: a reader between now and the commit still reads the old
    rows and may keep them under the token set now. The renewal now serves readers inside this transaction (its own
    request, and tests, whose transactions never commit)."""
    ids = {int(i) for i in user_ids if i}
    if not ids or not app_settings.PAGE_CACHE:
        return

    def renew():
        try:
            cache.set_many({_token_key(i): secrets.token_hex(8) for i in ids}, TOKEN_TTL)
        except Exception:  # noqa: BLE001 - the bodies expire within MAX_AGE; say so loudly
            logger.exception("Dossier page cache: could not renew the tokens of %s", sorted(ids))

    renew()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(renew)


def body(*, user_id: int, variant: str, build: Callable[[], tuple[dict, float | None]]) -> dict:
    """The kept body, or build() -> (body, valid until as epoch seconds or None), kept for next time."""
    if not app_settings.PAGE_CACHE:
        return build()[0]
    token_key, body_key = _token_key(user_id), _body_key(user_id, variant)
    try:
        values = cache.get_many([token_key, body_key])
        token, kept = values.get(token_key), values.get(body_key)
        if token is not None and kept is not None and kept[0] == token and kept[1] > time.time():
            return kept[2]
        if token is None:
            token = secrets.token_hex(8)
            if not cache.add(token_key, token, TOKEN_TTL):
                token = cache.get(token_key)
    except Exception:  # noqa: BLE001
        logger.exception("Dossier page cache unavailable; building the page from the database")
        return build()[0]
    value, valid_until = build()  # the database is read after the token: see the module's docstring
    now = time.time()
    deadline = min(valid_until or now + MAX_AGE, now + MAX_AGE)
    if token is not None and deadline > now + 1:
        try:
            cache.set(body_key, (token, deadline, value), int(deadline - now))
        except Exception:  # noqa: BLE001
            logger.exception("Dossier page cache: could not keep the body")
    return value


# ------------------------------------------------------------------------------- the request's own values
SLOTS = ("csrf_token", "current_path", "idle_expires_in", "messages_html")


@once
def markers() -> dict[str, str]:
    """Each slot's marker in a kept page: the same in every process (they share the cache), and unguessable, so no
    data on the page can contain one."""
    return {name: "slot" + salted_hmac("dossier.page_cache.slot", name).hexdigest()[:32] for name in SLOTS}


def fill(html: str, *, csrf_token: str, current_path: str, idle_expires_in: int, messages_html: str) -> str:
    """The kept page with this request's values in its slots, escaped as the template would have (messages_html
    is HTML the messages template rendered)."""
    values = {
        "csrf_token": conditional_escape(csrf_token),
        "current_path": conditional_escape(current_path),
        "idle_expires_in": str(int(idle_expires_in)),
        "messages_html": messages_html,
    }
    for name, marker in markers().items():
        html = html.replace(marker, values[name])
    return html


# ------------------------------------------------------------------------------------ what changes a body
def _employee_of_row(sender, instance, **kwargs) -> None:
    changed(getattr(instance, "employee_id", None))


def _employee_of_response(sender, instance, **kwargs) -> None:
    employee_id = Document.objects.filter(pk=instance.document_id).values_list("employee_id", flat=True).first()
    changed(employee_id)


def _employment(sender, instance, **kwargs) -> None:
    changed(instance.user_id)


def _employer(sender, instance, **kwargs) -> None:
    changed(*Employment.objects.filter(employer=instance).values_list("user_id", flat=True))


def _user(sender, instance, update_fields=None, **kwargs) -> None:
    """The employee's own details; a staff member's name and email are contact details on their employees' pages.
    A save of last_login alone (every login) changes nothing shown."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    ids = [instance.pk]
    if instance.is_staff:
        contact = Q(case_manager=instance) | Q(company_doctor=instance)
        ids += Traject.objects.filter(contact).values_list("employee_id", flat=True)
    changed(*ids)


def connect() -> None:
    """Called once from DossierConfig.ready()."""
    from django.contrib.auth import get_user_model

    for model in (Document, Appointment, Traject):
        post_save.connect(_employee_of_row, sender=model, dispatch_uid=f"page_cache.{model.__name__}.save")
        post_delete.connect(_employee_of_row, sender=model, dispatch_uid=f"page_cache.{model.__name__}.delete")
    post_save.connect(_employee_of_response, sender=Response, dispatch_uid="page_cache.Response.save")
    post_delete.connect(_employee_of_response, sender=Response, dispatch_uid="page_cache.Response.delete")
    post_save.connect(_employment, sender=Employment, dispatch_uid="page_cache.Employment.save")
    post_delete.connect(_employment, sender=Employment, dispatch_uid="page_cache.Employment.delete")
    post_save.connect(_employer, sender=Employer, dispatch_uid="page_cache.Employer.save")
    post_save.connect(_user, sender=get_user_model(), dispatch_uid="page_cache.User.save")
