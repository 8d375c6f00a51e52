"""The body of the employee's "Mijn eigen dossier" page (dossier/_home_body.html), kept in the cache.

The key holds the employee's id and `data_generation`, a counter on their user row that every write changing the page
raises in its own transaction (`changed()`; the receivers below call it, and so does code writing with
QuerySet.update(), which sends no signal). request.user carries the counter, so reading it costs nothing, and once a
change has committed no request finds the body from before it. A body ends at the start of the first appointment it
lists (which then leaves the list) and after MAX_AGE at the latest. Keys exist only for pages that exist (a known
category, a page number the paginator has); KEY_PREFIX keeps deployments apart. If the cache fails, the page is
built from the database.
"""

import hashlib
import logging
import time
from functools import cache as once
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import F, Q
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils.translation import get_language

from dossier.conf import app_settings
from dossier.models import Appointment, Document, Employer, Employment, Response, Traject

logger = logging.getLogger(__name__)
MAX_AGE = 10 * 60  # seconds; a safety net, the counter does the real work


@once
def _release() -> str:
    """The templates and catalogues this process renders with: a deploy that changes them starts new bodies."""
    digest = hashlib.sha256()
    roots = [Path(d) for t in settings.TEMPLATES for d in t.get("DIRS", ())] + [
        Path(p) for p in settings.LOCALE_PATHS
    ]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in (".html", ".mo") and path.is_file():
                digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def _key(user, category: str, number: int) -> str:
    return f"dossier.page:{user.pk}:{user.data_generation}:{get_language()}:{category}:{number}:{_release()}"


def body(*, user, category: str, number: int, build) -> dict:
    """The kept body of this page, or build() -> (body, the page shown, valid until as epoch seconds or None), kept
    under the page it showed: a number past the end shows the last page and makes no key of its own."""
    if not app_settings.PAGE_CACHE or not isinstance(user.data_generation, int):  # an unsaved F(): no key
        return build()[0]
    try:
        kept = cache.get(_key(user, category, number))
    except Exception:  # noqa: BLE001 - the page still works, only slower; say so loudly
        logger.exception("Dossier page cache unavailable; building the page from the database")
        return build()[0]
    # The deadline travels with the body and is checked here: the cache's own expiry runs on the server's clock.
    if kept is not None and kept[0] > time.time():
        return kept[1]
    value, page, valid_until = build()
    now = time.time()
    deadline = min(valid_until or now + MAX_AGE, now + MAX_AGE)
    seconds = int(deadline - now)
    if (
        category in ("", *Document.Category.values)
        and page.number in page.paginator.page_range
        and seconds > 0
    ):
        try:
            cache.set(_key(user, category, page.number), (deadline, value), seconds)
        except Exception:  # noqa: BLE001
            logger.exception("Dossier page cache: could not keep the body")
    return value


def changed(*users) -> None:
    """These employees' pages are out of date: their counters go up in the caller's transaction (cache on or off), so
    the change and the new keys commit or roll back together. Pass ids, or user objects: those also get the new
    value, so a request that changed its own page and then shows it builds it afresh."""
    _raise(get_user_model().objects.filter(pk__in={getattr(u, "pk", u) for u in users} - {None}))
    for user in users:
        if isinstance(user, get_user_model()):
            user.refresh_from_db(fields=["data_generation"])


def _raise(users) -> None:
    users.update(data_generation=F("data_generation") + 1)


# ------------------------------------------------------------------------------------ what changes a body
_OWNER = {Document: "employee_id", Appointment: "employee_id", Traject: "employee_id", Employment: "user_id"}
_NOT_SHOWN = {"last_login", "password", "session_generation", "data_generation", "invited_at", "language"}


def _stored_owner(sender, instance, raw=False, **kwargs) -> None:
    """Before the write, whose page the stored row is on: a row moved to another employee leaves the old page."""
    if not raw and instance.pk is not None:
        rows = sender.objects.filter(pk=instance.pk).values_list(_OWNER[sender], flat=True)
        instance.page_cache_stored_owner = rows.first()


def _owner(sender, instance, raw=False, **kwargs) -> None:
    if (
        not raw
    ):  # after the write: a reader in between sees the old counter, so keeps nothing under the new one
        changed(getattr(instance, "page_cache_stored_owner", None), getattr(instance, _OWNER[sender]))


def _response(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        _raise(get_user_model().objects.filter(documents=instance.document_id))


def _employer(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        _raise(get_user_model().objects.filter(employment__employer=instance))


def _user_before(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """A full save of a stored row writes every column: it keeps the stored counter, never an older copy's (which
    would bring the bodies kept under that older value back into use). An INSERT takes no F()."""
    if (
        not raw
        and update_fields is None
        and instance.pk is not None
        and sender.objects.filter(pk=instance.pk).exists()
    ):
        instance.data_generation = F("data_generation")


def _user(sender, instance, raw=False, created=False, update_fields=None, **kwargs) -> None:
    """The employee's own details; a staff member's name and email are contact details on their employees' pages
    (on deletion their trajects lose them without a signal). A save of fields no page shows changes nothing."""
    if raw or created or (update_fields is not None and set(update_fields) <= _NOT_SHOWN):
        return
    contact = Traject.objects.filter(Q(case_manager=instance.pk) | Q(company_doctor=instance.pk))
    _raise(get_user_model().objects.filter(Q(pk=instance.pk) | Q(pk__in=contact.values("employee_id"))))
    if kwargs["signal"] is post_save:
        instance.refresh_from_db(fields=["data_generation"])


def connect() -> None:
    """Called once from DossierConfig.ready()."""
    for model in _OWNER:
        for signal, receiver in (
            (pre_save, _stored_owner),
            (pre_delete, _stored_owner),
            (post_save, _owner),
            (post_delete, _owner),
        ):
            signal.connect(
                receiver, sender=model, dispatch_uid=f"page_cache.{model.__name__}.{receiver.__name__}"
            )
    for signal in (post_save, post_delete):
        signal.connect(_response, sender=Response, dispatch_uid="page_cache.Response")
    post_save.connect(_employer, sender=Employer, dispatch_uid="page_cache.Employer")
    pre_save.connect(_user_before, sender=get_user_model(), dispatch_uid="page_cache.User.before")
    post_save.connect(_user, sender=get_user_model(), dispatch_uid="page_cache.User.save")
    pre_delete.connect(_user, sender=get_user_model(), dispatch_uid="page_cache.User.delete")
