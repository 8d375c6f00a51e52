"""Send the mails waiting in the outbox and run the registered worker jobs (core.worker: the dossier exports);
with --loop, keep doing so (the production worker)."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand

from core import worker
from core.mailer import mail_send_pending


class Command(BaseCommand):
    help = "Send pending notification mails from the outbox (retrying failed ones when they are due)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running, polling the outbox.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between polls with --loop.")
        parser.add_argument("--batch", type=int, default=200, help="Mails per transaction.")
        parser.add_argument(
            "--heartbeat",
            default="",
            help="File touched after every poll that reached the database (the worker's container health check).",
        )

    def handle(self, *args, loop=False, interval=2.0, batch=200, heartbeat="", **options):
        total = 0
        while True:
            sent = mail_send_pending(limit=batch)
            jobs = worker.run_jobs()
            if heartbeat:
                Path(heartbeat).touch()
            total += sent
            if sent == batch or jobs:
                continue
            if not loop:
                break
            time.sleep(interval)
        self.stdout.write(f"sent {total}")
