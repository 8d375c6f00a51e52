"""deploy/: what compose and nginx must keep (rotation, limits, grace periods, readiness, one HSTS header, the
default server, the 413 page, the unavailable page); nginx -t on the rendered template and the pages through nginx
where nginx is installed."""

import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from django.utils import translation
from django.utils.translation import gettext

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
TEMPLATE = (DEPLOY / "nginx" / "portal.conf.template").read_text()
SNIPPETS = {p.name: p.read_text() for p in (DEPLOY / "nginx" / "snippets").glob("*.conf")}


def _seconds(duration: str) -> int:
    return sum(
        int(n) * {"s": 1, "m": 60, "h": 3600}[unit] for n, unit in re.findall(r"(\d+)([smh])", duration)
    )


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_compose_every_service_rotates_its_log_and_has_limits(name):
    service = SERVICES[name]
    assert service["logging"] == {"driver": "json-file", "options": {"max-size": "10m", "max-file": "5"}}
    limits = service["deploy"]["resources"]["limits"]
    assert limits["memory"] and float(limits["cpus"]) > 0


def test_compose_grace_periods_outlast_the_work_finished_on_sigterm():
    from django.conf import settings

    # gunicorn's graceful time-out (gunicorn.conf.py default), and a mail's SMTP steps at EMAIL_TIMEOUT each.
    assert _seconds(SERVICES["portal"]["stop_grace_period"]) > 30
    assert _seconds(SERVICES["worker"]["stop_grace_period"]) >= 4 * settings.EMAIL_TIMEOUT
    for name in ("migrate", "portal", "worker", "scheduler"):
        assert SERVICES[name]["init"] is True, name  # PID 1 would ignore SIGTERM without a handler


def test_compose_readiness_gates_nginx_and_the_database_password_never_enters_a_url():
    portal = SERVICES["portal"]
    assert "/healthz/ready/" in " ".join(portal["healthcheck"]["test"])
    assert SERVICES["nginx"]["depends_on"]["portal"] == {"condition": "service_healthy"}
    env = portal["environment"]
    assert env["DATABASE_URL"] == ""  # a DATABASE_URL copied from .env.example must not win over the parts
    assert env["DATABASE_PASSWORD"].startswith("${POSTGRES_PASSWORD")
    assert not any("POSTGRES_PASSWORD" in v and "://" in v for v in env.values())


def test_compose_redis_keeps_the_sessions_across_a_restart():
    command = SERVICES["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert "redisdata:/data" in SERVICES["redis"]["volumes"]


def test_nginx_hsts_comes_from_one_setting_and_once():
    assert "max-age=${PORTAL_HSTS_SECONDS}" in TEMPLATE
    for name, text in SNIPPETS.items():
        assert "max-age=" not in text, name  # only the template's map says it
    assert "proxy_hide_header Strict-Transport-Security;" in SNIPPETS["portal-proxy.conf"]
    assert SERVICES["nginx"]["environment"]["PORTAL_HSTS_SECONDS"] == "${SECURE_HSTS_SECONDS:-31536000}"


def test_nginx_retries_only_idempotent_requests_and_answers_unknown_hosts_with_nothing():
    assert "proxy_next_upstream error timeout http_502 http_503;" in TEMPLATE
    assert "non_idempotent" not in TEMPLATE.replace('"non_idempotent"', "")
    default = re.search(r"server \{[^}]*default_server[^}]*\}", TEMPLATE).group(0)
    assert "return 444;" in default and "ssl_reject_handshake on;" in default
    assert "error_page 413 /upload-too-large/;" in TEMPLATE


def test_nginx_unavailable_page_says_what_the_portal_s_503_page_says():
    page = (ROOT / "static" / "unavailable.html").read_text()
    for language in ("nl", "en"):
        with translation.override(language):
            for msgid in (
                "Not available for a moment",
                "The portal is not available for a moment. Please try again in a few minutes.",
            ):
                assert gettext(msgid) in page, (language, msgid)


def render(values: dict) -> str:
    """As the nginx image does: ${NAME} for each NAME given (nginx's own $variables stay)."""
    return re.sub(r"\$\{([A-Z0-9_]+)\}", lambda m: values.get(m.group(1), m.group(0)), TEMPLATE)


def test_compose_backup_profile_dumps_with_the_tested_script_and_nginx_mounts_the_maintenance_flag():
    backup = SERVICES["backup"]
    assert backup["profiles"] == ["backup"]
    assert backup["image"] == SERVICES["db"]["image"]  # pg_dump of the server's own major version
    assert "../scripts/backup.sh:/usr/local/bin/backup.sh:ro" in backup["volumes"]
    assert SERVICES["backup-documents"]["profiles"] == ["backup"]
    assert "./nginx/maintenance:/etc/nginx/maintenance:ro" in SERVICES["nginx"]["volumes"]
    assert (
        "if (-f /etc/nginx/maintenance/on) {" in TEMPLATE
        and "error_page 503 /static/unavailable.html;" in TEMPLATE
    )


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_rendered_template(tmp_path):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=portal.test",
         "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True,
        capture_output=True,
    )  # fmt: skip
    shutil.copytree(DEPLOY / "nginx" / "snippets", tmp_path / "snippets")
    conf = render(
        {
            "PORTAL_SERVER_NAME": "portal.test",
            "PORTAL_UPSTREAM_SERVERS": "server 127.0.0.1:9 max_fails=1 fail_timeout=10s;",
            "PORTAL_RESOLVER": "127.0.0.1",
            "PORTAL_HSTS_SECONDS": "31536000",
            "NGINX_MAX_BODY_MB": "21",
            "DOCUMENTS_S3_ENDPOINT_URL": "https://s3.example.nl",
            "PORTAL_STATIC_DIR": str(tmp_path / "static"),
            "TLS_CERTIFICATE": str(tmp_path / "cert.pem"),
            "TLS_CERTIFICATE_KEY": str(tmp_path / "key.pem"),
        }
    )
    assert not [line for line in conf.splitlines() if "${" in line and not line.lstrip().startswith("#")]
    (tmp_path / "portal.conf").write_text(conf.replace("/var/log/nginx/", f"{tmp_path}/"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}}\n"
        "http { include /etc/nginx/mime.types; include portal.conf; }\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------------------- nginx in front of the portal
NGINX_READY = shutil.which("nginx") and shutil.which("curl") and shutil.which("openssl")


@pytest.fixture
def nginx_front(tmp_path):
    """The rendered template served by nginx on loopback ports, in front of the given upstream address."""
    started = []

    def start(upstream: str) -> dict:
        work = tmp_path / f"nginx-{len(started)}"
        work.mkdir()
        work.chmod(0o755)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=portal.test",
             "-addext", "subjectAltName=DNS:portal.test", "-keyout", str(work / "key.pem"),
             "-out", str(work / "cert.pem")],
            check=True,
            capture_output=True,
        )  # fmt: skip
        shutil.copytree(DEPLOY / "nginx" / "snippets", work / "snippets")
        shutil.copytree(ROOT / "static", work / "static")
        from tests.conftest import free_port

        ports = {"https": free_port(), "http": free_port()}
        conf = render(
            {
                "PORTAL_SERVER_NAME": "portal.test",
                "PORTAL_UPSTREAM_SERVERS": f"server {upstream} max_fails=1 fail_timeout=10s;",
                "PORTAL_RESOLVER": "127.0.0.1",
                "PORTAL_HSTS_SECONDS": "31536000",
                "NGINX_MAX_BODY_MB": "2",
                "DOCUMENTS_S3_ENDPOINT_URL": "http://127.0.0.1:9",
                "PORTAL_STATIC_DIR": str(work / "static"),
                "TLS_CERTIFICATE": str(work / "cert.pem"),
                "TLS_CERTIFICATE_KEY": str(work / "key.pem"),
            }
        )
        # As bench/deploy_proof.py: loopback ports instead of 80/443, logs in the work folder.
        conf = conf.replace("listen 443 ssl", f"listen {ports['https']} ssl").replace(
            "listen [::]:443 ssl", "#"
        )
        conf = re.sub(r"listen 80( default_server)?;", rf"listen {ports['http']}\1;", conf)
        conf = re.sub(r"listen \[::\]:80( default_server)?;", "#", conf)
        conf = conf.replace("/etc/nginx/maintenance/", f"{work}/maintenance/")
        (work / "maintenance").mkdir()
        (work / "portal.conf").write_text(conf.replace("/var/log/nginx/", f"{work}/"))
        temp = " ".join(
            f"{name}_temp_path {work}/{name};"
            for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (work / "nginx.conf").write_text(
            f"user root; worker_processes 1; pid {work}/nginx.pid; error_log {work}/error.log;\n"
            f"events {{}} http {{ include /etc/nginx/mime.types; {temp} include portal.conf; }}\n"
        )
        process = subprocess.Popen(
            ["nginx", "-p", str(work), "-c", str(work / "nginx.conf"), "-g", "daemon off;"]
        )
        started.append(process)
        _wait_for_port(ports["https"])
        return {**ports, "maintenance_flag": work / "maintenance" / "on"}

    yield start
    for process in started:
        process.send_signal(signal.SIGQUIT)
        process.wait(10)


def _wait_for_port(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nginx did not listen on {port}")


def _curl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["curl", "-sk", "--max-time", "20", "-D", "-", *args], capture_output=True, text=True, timeout=30
    )


def _header_counts(text: str) -> dict:
    names = [
        line.split(":", 1)[0].lower() for line in text.splitlines() if ":" in line and not line[0].isspace()
    ]
    return {name: names.count(name) for name in names}


@pytest.mark.skipif(not NGINX_READY, reason="needs nginx, curl and openssl")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("protocol", ["--http1.1", "--http2"])
def test_nginx_an_upload_over_its_limit_gets_the_portal_s_own_page(
    nginx_front, live_server, settings, tmp_path, protocol
):
    settings.ALLOWED_HOSTS = ["portal.test"]
    ports = nginx_front(live_server.url.removeprefix("http://"))
    body = tmp_path / "large.pdf"
    body.write_bytes(b"%PDF-1.4\n" + b"0" * 3 * 1024 * 1024)  # over NGINX_MAX_BODY_MB (2)
    url = f"https://portal.test:{ports['https']}/admin/dossier/document/add/"
    resolve = f"portal.test:{ports['https']}:127.0.0.1"
    answer = _curl(protocol, "--resolve", resolve, "-H", "Accept-Language: nl", "-F", f"upload=@{body}", url)
    assert re.match(r"HTTP/[\d.]+ 413", answer.stdout), answer.stdout[:200]
    assert "<h1>Bestand te groot</h1>" in answer.stdout
    assert "Dit bestand is te groot. Het maximum is 20,0\xa0MB." in answer.stdout
    assert _header_counts(answer.stdout)["strict-transport-security"] == 1
    page = _curl(protocol, "--resolve", resolve, f"https://portal.test:{ports['https']}/accounts/login/")
    counts = _header_counts(page.stdout)
    for header in (
        "strict-transport-security",
        "x-frame-options",
        "x-content-type-options",
        "referrer-policy",
    ):
        assert counts.get(header) == 1, (header, page.stdout[:2000])


@pytest.mark.skipif(not NGINX_READY, reason="needs nginx, curl and openssl")
def test_nginx_answers_an_unknown_host_with_nothing_and_a_dead_upstream_with_its_page(nginx_front):
    from tests.conftest import free_port

    ports = nginx_front(f"127.0.0.1:{free_port()}")  # no app server answers
    assert _curl(f"http://127.0.0.1:{ports['http']}/").returncode == 52  # empty reply: 444
    assert _curl("-H", "Host: other.example", f"http://127.0.0.1:{ports['http']}/").returncode == 52
    assert (
        _curl(f"https://127.0.0.1:{ports['https']}/").returncode == 35
    )  # handshake refused: no certificate shown
    down = _curl(
        "--resolve", f"portal.test:{ports['https']}:127.0.0.1", f"https://portal.test:{ports['https']}/"
    )
    assert re.match(r"HTTP/[\d.]+ 502", down.stdout)
    assert (
        "Het portaal is even niet bereikbaar." in down.stdout and "The portal is not available" in down.stdout
    )


@pytest.mark.skipif(not NGINX_READY, reason="needs nginx, curl and openssl")
def test_nginx_maintenance_flag_answers_503_with_the_page_until_it_is_removed(nginx_front):
    from tests.conftest import free_port

    ports = nginx_front(f"127.0.0.1:{free_port()}")
    resolve = f"portal.test:{ports['https']}:127.0.0.1"
    ports["maintenance_flag"].touch()
    during = _curl("--resolve", resolve, f"https://portal.test:{ports['https']}/accounts/login/")
    assert re.match(r"HTTP/[\d.]+ 503", during.stdout), during.stdout[:200]
    assert "Het portaal is even niet bereikbaar." in during.stdout
    # No reload: the next request goes to the app server again (here none answers: nginx's 502 page).
    ports["maintenance_flag"].unlink()
    after = _curl("--resolve", resolve, f"https://portal.test:{ports['https']}/accounts/login/")
    assert re.match(r"HTTP/[\d.]+ 502", after.stdout), after.stdout[:200]
