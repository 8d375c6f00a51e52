"""gunicorn.conf.py: every setting from the environment, and no password-reset link in the access log."""

import json
import os
import runpy
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "gunicorn.conf.py"
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _print_config(env: dict, tmp_path) -> dict:
    """gunicorn's own view of the file: `gunicorn --print-config`, as the image would start it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN", "FORWARDED"))}
    clean.update(
        {"DEBUG": "1", "VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "portal.settings.base", **env}
    )
    result = subprocess.run(
        [str(GUNICORN), "--print-config", "portal.wsgi:application"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return {
        name.strip(): value.strip()
        for name, _, value in (line.partition("=") for line in result.stdout.splitlines())
        if value
    }


def test_gunicorn_defaults_listen_on_loopback_and_trust_only_loopback(tmp_path):
    config = _print_config({}, tmp_path)
    assert config["bind"] == "['127.0.0.1:8000']"
    assert config["workers"] == str(2 * len(os.sched_getaffinity(0)) + 1)  # gunicorn's (2 x cores) + 1
    assert config["timeout"] == "30"
    assert config["forwarded_allow_ips"] == "['127.0.0.1', '::1']"
    assert config["secure_scheme_headers"] == "{'X-FORWARDED-PROTO': 'https'}"
    assert config["accesslog"] == "-"
    assert config["logger_class"] == "<RedactingLogger()>"


def test_gunicorn_settings_come_from_the_environment(tmp_path):
    config = _print_config(
        {
            "GUNICORN_BIND": "0.0.0.0:9000",
            "GUNICORN_WORKERS": "5",
            "GUNICORN_THREADS": "4",
            "GUNICORN_TIMEOUT": "90",
            "GUNICORN_GRACEFUL_TIMEOUT": "20",
            "GUNICORN_KEEPALIVE": "15",
            "FORWARDED_ALLOW_IPS": "172.28.0.10,10.1.0.0/16",
        },
        tmp_path,
    )
    assert config["bind"] == "['0.0.0.0:9000']"
    assert (config["workers"], config["threads"], config["timeout"]) == ("5", "4", "90")
    assert (config["graceful_timeout"], config["keepalive"]) == ("20", "15")
    assert config["forwarded_allow_ips"] == "['172.28.0.10', '10.1.0.0/16']"


def _access_line(path: str, referer: str = "-") -> str:
    namespace = runpy.run_path(str(CONF))
    cfg = Config()
    cfg.set("access_log_format", namespace["access_log_format"])
    logger = namespace["RedactingLogger"](cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path.split("?")[0],
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "172.28.0.10",
        "HTTP_REFERER": referer,
    }
    atoms = logger.atoms(
        SimpleNamespace(status="302 Found", sent=0, headers=[]),
        SimpleNamespace(headers=[]),
        environ,
        timedelta(milliseconds=12),
    )
    # As gunicorn formats the line: through its atoms wrapper (an atom the response lacks prints "-").
    line = namespace["access_log_format"] % logger.atoms_wrapper_class(atoms)
    return line + " " + atoms["U"] + " " + atoms["f"]


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/reset/MTI/cfx1ab-0123456789abcdef0123456789abcdef/",
        "/accounts/reset/MTI/cfx1ab-0123456789abcdef0123456789abcdef/?x=1",
        "/accounts/reset/MTI/set-password/",
    ],
)
def test_the_access_log_never_holds_a_reset_link(path):
    line = _access_line(path, referer=f"https://portal.example.nl{path}")
    assert "0123456789abcdef" not in line and "MTI" not in line
    assert line.count("/accounts/reset/[redacted]") == 3


@pytest.mark.parametrize("kind", ["activate", "contact-change"])
def test_the_access_log_never_holds_an_invitation_or_confirmation_token(kind):
    path = f"/accounts/{kind}/MTI/cfx1ab-0123456789abcdef0123456789abcdef/?next=/dossier/"
    line = _access_line(path, referer=f"https://portal.example.nl{path}")
    assert "0123456789abcdef" not in line and "MTI" not in line
    assert line.count(f"/accounts/{kind}/[redacted]") == 3


def test_other_paths_are_logged_as_they_are():
    line = _access_line("/dossier/documents/5d3c/?download=1")
    assert '"GET /dossier/documents/5d3c/?download=1 HTTP/1.1" 302' in line


def _json_logger(monkeypatch, capsys):
    """gunicorn.conf.py's logger as a production server makes it: LOG_FORMAT=json, access log on stdout."""
    monkeypatch.setenv("LOG_FORMAT", "json")
    namespace = runpy.run_path(str(CONF))
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", namespace["access_log_format"])
    capsys.readouterr()
    return namespace["RedactingLogger"](cfg)


def test_the_access_log_is_json_with_the_request_id_and_no_address_or_token(monkeypatch, capsys):
    logger = _json_logger(monkeypatch, capsys)
    path = "/accounts/activate/MTI/cfx1ab-0123456789abcdef/"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/accounts/password-reset/?email=anna%40example.nl",
        "PATH_INFO": "/accounts/password-reset/",
        "QUERY_STRING": "email=anna%40example.nl",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "172.28.0.10",
        "HTTP_REFERER": f"https://portal.example.nl{path}",
        "HTTP_USER_AGENT": 'Firefox "128"',
    }
    response = SimpleNamespace(
        status="200 OK", sent=512, headers=[("X-Request-ID", "0123456789abcdef0123456789abcdef")]
    )
    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=12))
    logger.error("worker for anna@example.nl")
    access, error = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert (
        access["logger"] == "gunicorn.access" and access["request_id"] == "0123456789abcdef0123456789abcdef"
    )
    assert (access["method"], access["status"], access["bytes"], access["duration_ms"]) == (
        "GET",
        200,
        512,
        12,
    )
    assert access["path"] == "/accounts/password-reset/?email=[email]"
    assert access["referer"] == "https://portal.example.nl/accounts/activate/[redacted]"
    assert access["user_agent"] == 'Firefox "128"'
    assert "anna" not in json.dumps(access) and "0123456789abcdef/" not in json.dumps(access)
    assert error["logger"] == "gunicorn.error" and error["message"] == "worker for [email]"


def test_the_text_access_line_carries_the_request_id_too():
    namespace = runpy.run_path(str(CONF))
    assert namespace["access_log_format"].endswith("%({x-request-id}o)s")


def test_gunicorn_empties_the_metrics_folder_at_start_and_marks_stopped_workers_dead(monkeypatch, tmp_path):
    namespace = runpy.run_path(str(CONF))
    folder = tmp_path / "prometheus"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    namespace["on_starting"](None)
    assert folder.is_dir()
    (folder / "counter_41.db").write_bytes(b"old run")
    (folder / "gauge_livesum_42.db").write_bytes(b"live")
    (folder / "gauge_livesum_43.db").write_bytes(b"live")
    namespace["child_exit"](None, SimpleNamespace(pid=42))
    assert sorted(p.name for p in folder.iterdir()) == ["counter_41.db", "gauge_livesum_43.db"]
    namespace["on_starting"](None)
    assert list(folder.iterdir()) == []
