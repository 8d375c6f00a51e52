"""The load bench's lockout check: does the per-account login limit hold across gunicorn's workers?"""

from __future__ import annotations

import collections
import contextlib
import re
import threading
import time
from http.client import HTTPException
from pathlib import Path

from bench.lib.client import ALERT_RE, CSRF_RE, Http, Resp
from devtools.bench_identity import BENCH_PASSWORD


def lockout_check(http: Http, email: str, access_log: Path) -> dict:
    """Six wrong passwords, two at a time (so both sync workers serve some), then the right one."""
    jar: dict = {}
    page = http.request("GET", "/accounts/login/", jar=jar, tag="lockout-page")
    csrf = CSRF_RE.search(page.text())
    if page.status != 200 or not csrf:
        return {"ok": False, "reason": f"login page answered {page.status}"}
    token = csrf.group(1)
    wrong_statuses = []

    def attempt(password: str, tag: str) -> Resp:
        fields = {"username": email, "password": password, "csrfmiddlewaretoken": token}
        return http.request("POST", "/accounts/login/", jar=dict(jar), fields=fields, tag=tag)

    for pair in range(3):
        results = [None, None]

        def send(k, pair=pair, results=results):
            # A failed attempt is not counted; the split over the workers below shows what arrived.
            with contextlib.suppress(OSError, HTTPException):
                results[k] = attempt(f"wrong-password-{pair}-{k}", f"lockout-wrong-{2 * pair + k}")

        threads = [threading.Thread(target=send, args=(k,)) for k in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wrong_statuses += [r.status for r in results if r is not None]
    right = attempt(BENCH_PASSWORD, "lockout-right")
    time.sleep(0.5)  # let the workers write their access log lines
    served_by = collections.Counter(
        line.split()[0]
        for line in access_log.read_text().splitlines()
        if len(line.split()) >= 4 and line.split()[3].startswith("lockout-wrong-")
    )
    logged_in = right.status == 302 and (right.headers.get("Location") or "").startswith("/twofactor/")
    alert = ALERT_RE.search(right.text())
    message = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", alert.group(1))).strip() if alert else ""
    both_workers = len(served_by) >= 2
    refused = not logged_in and right.status < 500
    if logged_in:
        reason = (
            "the right password still logged in after six wrong ones: no per-account limit across workers"
        )
    elif not refused:
        reason = f"the right password got {right.status}"
    elif not both_workers:
        reason = "inconclusive: the wrong passwords were all served by one worker"
    else:
        reason = "the right password was refused"
    return {
        "ok": refused and both_workers,
        "reason": reason,
        "wrong_statuses": wrong_statuses,
        "served_by": dict(served_by),
        "right_status": right.status,
        "right_location": right.headers.get("Location") or "",
        "right_message": message[:200],
    }
