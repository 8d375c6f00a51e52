"""A stand-in for Twilio's Messages API on 127.0.0.1, so the real twilio client can be tested without Twilio."""

import base64
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")
FIELDS = ("To", "From", "Body", "MessagingServiceSid")


class TwilioStandin:
    """What the fixture yields: `base_url`, the `requests` it received, and a `mode` switch."""

    def __init__(self):
        self.requests: list[dict] = []
        self.mode = "ok"  # "ok" | "error500" | "slow"
        self.slow_seconds = 3.0
        self.released = threading.Event()  # set at teardown so a "slow" answer stops waiting
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _message_resource(account: str, form: dict) -> dict:
    sid = "SM" + secrets.token_hex(16)
    now = "Mon, 01 Jan 2024 12:00:00 +0000"
    return {
        "account_sid": account,
        "api_version": "2010-04-01",
        "body": form.get("Body"),
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": form.get("From"),
        "messaging_service_sid": form.get("MessagingServiceSid"),
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json"},
        "to": form.get("To"),
        "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
    }


def _handler_for(standin: TwilioStandin):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # keep the test output quiet
            pass

        def _answer(self, status: int, payload: dict):
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def do_POST(self):  # noqa: N802 - http.server's hook name
            match = MESSAGES_PATH.match(self.path)
            if not match:
                return self._answer(404, {"code": 20404, "message": "Not found", "status": 404})
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            auth_sid = None
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                auth_sid = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
            standin.requests.append(
                {"path": self.path, "account_sid": auth_sid, **{name: form.get(name) for name in FIELDS}}
            )
            if standin.mode == "slow":
                standin.released.wait(standin.slow_seconds)
            if standin.mode == "error500":
                return self._answer(
                    500, {"code": 20500, "message": "Internal Server Error", "more_info": "", "status": 500}
                )
            return self._answer(201, _message_resource(match["account"], form))

    return Handler


@pytest.fixture
def twilio_api():
    """A running stand-in of Twilio's Messages API; point TwilioGateway at `.base_url`."""
    standin = TwilioStandin()
    standin.start()
    try:
        yield standin
    finally:
        standin.stop()
