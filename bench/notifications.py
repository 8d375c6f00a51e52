#!/usr/bin/env python3
# ruff: noqa: S108, S110, S603, S608, SIM115 - a local bench script: fixed loopback commands, /tmp work folders
"""Floor: 10,000 pending notification mails sent by `manage.py send_notifications` to a local SMTP server
(aiosmtpd) against a plain smtplib loop over one connection (goal <= 2x); then two workers at once on PostgreSQL
(goal: every mail exactly once).

    .venv/bin/python bench/notifications.py               # PostgreSQL, throwaway database ours_bench_mail
    .venv/bin/python bench/notifications.py --mails 10000

The SMTP server is aiosmtpd in its own process; it writes each recipient to a file, so duplicates and losses are
counted. The outbox rows are real "document ready" mails (text + HTML, rendered once by core.mailer.mail_render)
to distinct addresses. The floor builds the same message (text + HTML alternative, Date and Message-ID) with the
stdlib and sends it over one smtplib connection; it reads the rows untimed, so it has no database work at all,
while send_notifications locks (SKIP LOCKED), sends and marks each batch of 200. The worker's time is given with and
without its start-up (a `send_notifications` with nothing pending). The last lines are the ratios. Exit 0.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent)
)  # the project root: bench.lib, devtools, the portal

from bench.lib import inproc  # noqa: E402
from bench.lib.env import PY, ROOT  # noqa: E402
from bench.lib.machine import machine  # noqa: E402
from bench.lib.server import free_port, stop_process, tempdir  # noqa: E402

DB_NAME = "ours_bench_mail"
SMTP_SERVER = r"""
import signal, sys
from aiosmtpd.controller import Controller

class Recorder:
    def __init__(self, f):
        self.f = f
    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            self.f.write(rcpt + "\n")
        return "250 OK"

f = open(sys.argv[2], "a", buffering=1)
c = Controller(Recorder(f), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
c.stop()
f.close()
"""


def received(path: Path, prefix: str) -> collections.Counter:
    return collections.Counter(
        line.strip() for line in path.read_text().splitlines() if line.startswith(prefix)
    )


def wait_for(path: Path, prefix: str, n: int, timeout: float = 30) -> None:
    """aiosmtpd writes a line per mail as it acknowledges it; allow the last lines to land."""
    end = time.time() + timeout
    while time.time() < end and sum(received(path, prefix).values()) < n:
        time.sleep(0.05)


def enqueue(prefix: str, n: int) -> None:
    from accounts.models import User
    from core.mailer import mail_render
    from core.models import OutgoingEmail

    user = User(email="x@bench.test", first_name="Bench", last_name="Mail")
    subject, text, html = mail_render(
        template="dossier/email/document_ready",
        context={"user": user, "link": "http://127.0.0.1/accounts/login/?next=/dossier/documents/x/"},
        language="nl",
    )
    OutgoingEmail.objects.bulk_create(
        [
            OutgoingEmail(
                to=f"{prefix}{i}@bench.test",
                subject=subject,
                body_text=text,
                body_html=html,
                kind="document_ready",
            )
            for i in range(n)
        ],
        batch_size=2000,
    )


def floor(port: int, prefix: str, rows: list[tuple[str, str, str, str]], sender: str) -> float:
    t0 = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for to, subject, text, html in rows:
            msg = EmailMessage()
            msg["Subject"] = subject
            msg["From"] = sender
            msg["To"] = prefix + to.split("@", 1)[0][1:] + "@bench.test"
            msg["Date"] = formatdate(localtime=True)
            msg["Message-ID"] = make_msgid(domain="bench.test")
            msg.set_content(text)
            msg.add_alternative(html, subtype="html")
            smtp.send_message(msg)
    return time.perf_counter() - t0


def run_workers(env: dict, k: int) -> tuple[float, list[str]]:
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(
            [PY, "manage.py", "send_notifications"],
            cwd=ROOT,
            env=dict(os.environ, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(k)
    ]
    outs = [p.communicate()[0].strip() for p in procs]
    return time.perf_counter() - t0, outs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mails", type=int, default=10_000)
    args = ap.parse_args()
    print(f"notifications  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  {machine()}")
    port = free_port()
    sink_dir = tempdir("mail-sink-")
    sink = Path(sink_dir) / "received.txt"
    sink.touch()
    server = subprocess.Popen(
        [PY, "-c", SMTP_SERVER, str(port), str(sink)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout.readline().strip() == "ready"
        with inproc.portal(
            db="pg",
            db_name=DB_NAME,
            var_prefix="mail-var-",
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(port),
            EMAIL_USE_TLS="0",
            EMAIL_USE_SSL="0",
        ) as env:
            measure(env, port, sink, args.mails)
    finally:
        stop_process(server, timeout=10)
        shutil.rmtree(sink_dir, ignore_errors=True)
    return 0


def measure(env: dict, port: int, sink: Path, n: int) -> None:
    """send_notifications against the smtplib floor, then two workers at once; prints the figures and ratios."""
    from django.conf import settings
    from django.db import connections

    from core.models import OutgoingEmail

    # start-up cost of the command alone (nothing pending)
    t0 = time.perf_counter()
    inproc.manage(env, "send_notifications", capture_output=True)
    startup = time.perf_counter() - t0

    enqueue("s", n)
    rows = list(
        OutgoingEmail.objects.filter(to__startswith="s").values_list(
            "to", "subject", "body_text", "body_html"
        )
    )
    connections.close_all()
    f1 = floor(port, "f", rows, settings.DEFAULT_FROM_EMAIL)
    wait_for(sink, "f", n)

    one_s, out1 = run_workers(env, 1)
    wait_for(sink, "s", n)
    f2 = floor(port, "g", rows, settings.DEFAULT_FROM_EMAIL)
    wait_for(sink, "g", n)
    floor_s = (f1 + f2) / 2

    enqueue("d", n)
    connections.close_all()
    two_s, out2 = run_workers(env, 2)
    wait_for(sink, "d", n)

    got_s, got_d = received(sink, "s"), received(sink, "d")
    pending = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING).count()
    dup_d = sum(1 for c in got_d.values() if c > 1)
    dup_s = sum(1 for c in got_s.values() if c > 1)
    connections.close_all()

    print(
        f"{n} mails (text + HTML, {len(rows[0][2]) + len(rows[0][3])} body characters each), "
        f"aiosmtpd on 127.0.0.1:{port}, PostgreSQL {DB_NAME}"
    )
    print(f"  smtplib loop, one connection:      {f1:.2f} s and {f2:.2f} s -> {n / floor_s:.0f} mails/s")
    print(
        f"  send_notifications, 1 worker:      {one_s:.2f} s wall ({out1}), of which start-up {startup:.2f} s "
        f"-> {n / one_s:.0f} mails/s; received {sum(got_s.values())}, distinct {len(got_s)}, twice {dup_s}"
    )
    print(
        f"  send_notifications, 2 workers:     {two_s:.2f} s wall ({out2}); received {sum(got_d.values())}, "
        f"distinct {len(got_d)}, twice {dup_d}; rows still pending {pending}"
    )
    print()
    r1 = one_s / floor_s
    r1x = (one_s - startup) / floor_s
    ok_once = dup_d == 0 and len(got_d) == n and pending == 0
    print(
        f"send_notifications/smtplib time ratio = {r1:.2f}x with start-up, {r1x:.2f}x without "
        f"(goal <= 2x: {'met' if r1 <= 2 else ('met without start-up' if r1x <= 2 else 'NOT met')})"
    )
    print(
        f"two workers at once on PostgreSQL: {len(got_d)}/{n} delivered, {dup_d} twice, "
        f"time ratio to one worker {two_s / one_s:.2f}x (goal no mail twice: {'met' if ok_once else 'NOT met'})"
    )


if __name__ == "__main__":
    sys.exit(main())
