"""Mail back end for `make run`: every message is written as one .eml file under var/mail/ and printed."""

import sys
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class FileAndConsoleBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            raw = message.message().as_bytes(linesep="\n")
            name = f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
            (folder / name).write_bytes(raw)
            sys.stdout.write(f"--- mail written to {folder / name}\n")
            sys.stdout.write(message.message().as_string() + "\n")
            sys.stdout.flush()
        return len(email_messages)
