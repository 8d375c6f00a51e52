"""Send the mails waiting in the outbox and run the registered worker jobs (core.worker: the dossier exports);
with --loop, keep doing so (the production worker), until SIGTERM or SIGINT."""

import signal
import threading
from pathlib import Path

from django.core.management.base import BaseCommand

from core import worker
from core.mailer import mail_send_pending


class Command(BaseCommand):
    help = "Send pending notification mails from the outbox (retrying failed ones when they are due)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running, polling the outbox.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between polls with --loop.")
        parser.add_argument("--batch", type=int, default=200, help="Most mails sent in one poll.")
        parser.add_argument(
            "--heartbeat",
            default="",
            help="File touched after every poll that reached the database (the worker's container health check).",
        )

    def handle(self, *args, loop=False, interval=2.0, batch=200, heartbeat="", **options):
        stop = threading.Event()
        if loop:
            # A deploy stops the worker with SIGTERM: the mail being sent is finished and marked sent, then the
            # worker exits, so the next one never sends it again. The handler only sets the flag; an SMTP reply
            # being awaited is awaited on (Python retries the interrupted call).
            previous = {
                sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)
            }
        total = 0
        try:
            while not stop.is_set():
                sent = mail_send_pending(limit=batch, should_stop=stop.is_set)
                total += sent
                jobs = 0 if stop.is_set() else worker.run_jobs()
                if heartbeat:
                    Path(heartbeat).touch()
                if sent == batch or jobs:
                    continue
                if not loop:
                    break
                stop.wait(interval)
        finally:
            if loop:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
        self.stdout.write(f"sent {total}" + (" (stopped)" if stop.is_set() else ""))
