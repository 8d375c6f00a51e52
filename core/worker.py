"""The worker's other jobs: `send_notifications --loop` runs each registered job after every outbox poll.

One worker process for all background work (the mail outbox, the dossier exports): nothing more to deploy,
and several workers may run side by side because every job claims its rows with SKIP LOCKED. core cannot import
the apps above it, so they register their jobs here from their AppConfig.ready(). A job does a small unit of work
(one export at most) and returns how many things it did, so mails never wait long behind it.
"""

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

_JOBS: dict[str, Callable[[], int]] = {}


def register(name: str, job: Callable[[], int]) -> None:
    _JOBS[name] = job


def run_jobs() -> int:
    """Run every registered job once; a failing job is logged and never stops the mail worker."""
    done = 0
    for name, job in _JOBS.items():
        try:
            done += job()
        except Exception:  # noqa: BLE001 - the next poll tries again; the mail outbox keeps going
            logger.exception("Worker job %s failed", name)
    return done
