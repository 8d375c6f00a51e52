"""The employee's dossier page: its body rendered once per change and kept in the shared cache, its frame once per
process (issue 18).

What is kept: the HTML of the page's main part (actions, appointments, documents, contacts, details) of one
employee, for one language, category filter and page number. The key holds the employee's id and the body is built
from their own rows only, so no body is ever shown to anyone else. The access-log row is written on every view,
kept body or not (dossier.views).

The frame (the layout around the body) holds nothing of anyone: it is rendered once per process, language and kind
of idle dialog, without the request or the user, with the values of one request left open as *slots* (`SLOTS`: the
CSRF token, the page's own address, the idle countdown, any one-time messages, and the body). Each view fills the
slots with its own values (`fill`). A slot is a marker derived from SECRET_KEY, which no document title or name can
contain.

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
import re
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
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.crypto import salted_hmac
from django.utils.html import conditional_escape
from django.utils.translation import get_language

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
SLOTS = ("csrf_token", "current_path", "idle_expires_in", "messages_html", "body")


@once
def markers() -> dict[str, str]:
    """Each slot's marker in the frame: unguessable (an HMAC under SECRET_KEY), so no data can contain one."""
    return {name: "slot" + salted_hmac("dossier.page_cache.slot", name).hexdigest()[:32] for name in SLOTS}


class _Someone:
    """Whom the frame is rendered for: logged in and verified, with nothing of their own. A value of the user's
    that a template change puts into the layout renders empty here, so it shows up as a difference in the
    character-for-character test (tests/dossier/test_page_cache.py), never as one person's data in another's
    page."""

    is_authenticated = True
    is_anonymous = False

    def is_verified(self) -> bool:
        return True


_frames: dict = {}


def frame(template_name: str, *, extendable: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The page around the body, the same for every employee: rendered once per process, language and kind of idle
    dialog, without a request and without the user, with every per-request value (and the body) as a slot.
    Returned split at the slots: (texts, slot names), texts one longer than names."""
    from accounts.context_processors import contact_details
    from accounts.idle import WARN_BEFORE

    key = (template_name, get_language(), get_script_prefix(), extendable)
    found = _frames.get(key)
    if found is None:
        context = {
            "user": _Someone(),
            "PORTAL_NAME": settings.PORTAL_NAME,
            **contact_details(),
            "idle_dialog": True,
            "idle_extendable": extendable,
            "idle_warn_before": WARN_BEFORE,
            **markers(),
        }
        html = render_to_string(template_name, context)
        names = {marker: name for name, marker in markers().items()}
        pieces = re.split("(" + "|".join(names) + ")", html)
        found = (tuple(pieces[0::2]), tuple(names[m] for m in pieces[1::2]))
        if not settings.DEBUG:  # with DEBUG the templates may change while the process runs
            _frames[key] = found
    return found


def fill(frame: tuple, *, body: str, csrf_token: str, current_path: str, idle_expires_in: int,
         messages_html: str) -> str:  # fmt: skip
    """The page: the frame with this request's values in its slots, escaped as the template would have (body and
    messages_html are HTML that our templates rendered)."""
    values = {
        "body": body,
        "csrf_token": conditional_escape(csrf_token),
        "current_path": conditional_escape(current_path),
        "idle_expires_in": str(int(idle_expires_in)),
        "messages_html": messages_html,
    }
    texts, names = frame
    out = [texts[0]]
    for name, text in zip(names, texts[1:], strict=True):
        out.append(values[name])
        out.append(text)
    return "".join(out)


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
