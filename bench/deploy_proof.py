#!/usr/bin/env python3
# ruff: noqa: S103, S108, S110, S603, S607, S608, SIM105, SIM115 - a local bench script: loopback commands, /tmp
"""Issue 15's proof: two app servers behind the shipped nginx configuration, over HTTPS, sharing only PostgreSQL,
Redis and an S3-compatible object store. Not part of `make test`.

    .venv/bin/python bench/deploy_proof.py            # needs root for apt (nginx) when nginx is missing

What runs, all on 127.0.0.1: moto's S3 server (documents through django-storages S3 + boto3), PostgreSQL database
portal_deploy_proof (dropped at the end), Redis db 11 (flushed), an aiosmtpd SMTP server that records every mail,
two gunicorn servers (gunicorn.conf.py, DEBUG=0, each its own VAR_DIR and STATIC_ROOT copy), one mail worker per
server, and Debian's nginx with deploy/nginx/portal.conf.template rendered as the nginx image would render it
and a throwaway self-signed certificate. Deviations from the template, printed: the listen ports (free high ports
instead of 80/443) and the log/temp paths (a temporary folder).

The client goes through nginx only: the first administrator's set-password link (manage.py create_admin), login and
TOTP for employee and administrator, the dossier, an admin upload of a 15 MB PDF, view and download, logout. Checks
are printed as ok/FAILED with the figures; the last lines are a Markdown block for bench/RESULTS.md. Exit 0 when
every check passed, 1 otherwise. Every process started here is stopped by its PID on exit.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
PY = str(VENV / "python")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DB = "portal_deploy_proof"
REDIS = "redis://127.0.0.1:6379/11"
HOST = "portal.bench.test"
PASSWORD = "bench-wachtwoord-2026"  # bench_users' password
ADMIN_PASSWORD = "beheer-" + secrets.token_urlsafe(12)
UPLOAD_MB = 15
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PROCS: list[subprocess.Popen] = []
RESULTS: list[tuple[str, bool, str]] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check(name: str, ok: bool, detail: str = "") -> bool:
    RESULTS.append((name, bool(ok), detail))
    print(f"  {'ok    ' if ok else 'FAILED'} {name}" + (f"  ({detail})" if detail else ""), flush=True)
    return ok


def start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    PROCS.append(proc)
    return proc


def stop_all() -> None:
    for proc in reversed(PROCS):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for proc in PROCS:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_port(port: int, what: str, timeout: float = 60) -> None:
    end = time.time() + timeout
    while time.time() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"{what} did not listen on {port}")


def ensure_nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found:
        return found
    print("== installing nginx (Debian package, service start suppressed)", flush=True)
    policy = Path("/usr/sbin/policy-rc.d")
    made = not policy.exists()
    if made:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "nginx"], check=True, env=env, stdout=subprocess.DEVNULL
        )
    finally:
        if made:
            policy.unlink()
    return shutil.which("nginx") or "/usr/sbin/nginx"


def render_template(text: str, values: dict) -> str:
    """As the nginx image does (envsubst of the defined variables only): ${NAME} for NAME in values."""
    return re.sub(r"\$\{([A-Z0-9_]+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


# ------------------------------------------------------------------------------------------------ HTTP client
class LoopbackHTTPS(http.client.HTTPSConnection):
    """TLS to 127.0.0.1 with the portal's host name for SNI and the certificate check (no DNS entry needed)."""

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class Client:
    """HTTPS to nginx (the self-signed certificate is trusted, the name checked) or plain HTTP to one app server."""

    def __init__(self, port: int, cafile: str | None = None, direct: bool = False):
        self.port, self.direct, self.jar = port, direct, {}
        self.ctx = ssl.create_default_context(cafile=cafile) if cafile else None
        self.set_cookies: list[str] = []

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        if self.direct:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        else:
            conn = LoopbackHTTPS(HOST, self.port, timeout=120, context=self.ctx)
        hdrs = {"Host": f"{HOST}:{self.port}" if not self.direct else HOST, "User-Agent": "deploy-proof"}
        if self.direct:
            hdrs["X-Forwarded-Proto"] = (
                "https"  # as nginx would send it (127.0.0.1 is a trusted proxy address)
            )
        if self.jar:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        hdrs.update(headers or {})
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                self.set_cookies.append(value)
                key, _, rest = value.partition("=")
                val = rest.split(";", 1)[0]
                if val == '""' or "max-age=0" in value.lower():
                    self.jar.pop(key, None)
                else:
                    self.jar[key] = val
        conn.close()
        return resp.status, resp, data

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, fields: dict, **kw):
        body = urllib.parse.urlencode(fields).encode()
        referer = f"https://{HOST}:{self.port}{path}"
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": referer}
        return self.request("POST", path, body=body, headers=headers, **kw)

    def post_multipart(self, path: str, fields: dict, file_field: str, filename: str, content: bytes):
        boundary = "----proof" + secrets.token_hex(8)
        parts = []
        for k, v in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
            "Content-Type: application/pdf\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Referer": f"https://{HOST}:{self.port}{path}",
        }
        return self.request("POST", path, body=b"".join(parts), headers=headers)

    def csrf(self, path: str) -> str:
        status, _, data = self.get(path)
        match = CSRF_RE.search(data.decode("utf-8", "replace"))
        if not match:
            raise SystemExit(f"no CSRF token on {path} ({status})")
        return match.group(1)


def login(client: Client, email: str, password: str, secret: str) -> bool:
    import pyotp

    token = client.csrf("/accounts/login/")
    s1, r1, _ = client.post(
        "/accounts/login/",
        {"username": email, "password": password, "next": "/dossier/", "csrfmiddlewaretoken": token},
    )
    if s1 != 302:
        return False
    client.get(r1.getheader("Location"))
    token = client.csrf("/twofactor/verify/")
    s2, r2, _ = client.post(
        "/twofactor/verify/", {"token": pyotp.TOTP(secret).now(), "csrfmiddlewaretoken": token}
    )
    return s2 == 302


# ------------------------------------------------------------------------------------------------ main
def main() -> int:
    nginx_bin = ensure_nginx()
    work = Path(tempfile.mkdtemp(prefix="deploy-proof-"))
    os.chmod(work, 0o755)
    ports = {
        "s3": free_port(),
        "smtp": free_port(),
        "a": free_port(),
        "b": free_port(),
        "https": free_port(),
        "http": free_port(),
    }
    print(f"== work folder {work}, ports {ports}", flush=True)

    # ---- shared services: PostgreSQL database, Redis db, S3 (moto), SMTP (aiosmtpd, records every mail)
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    subprocess.run(["redis-cli", "-n", "11", "flushdb"], check=True, stdout=subprocess.DEVNULL)
    start(
        [str(VENV / "moto_server"), "-H", "127.0.0.1", "-p", str(ports["s3"])],
        dict(os.environ),
        work / "moto.log",
    )
    mail_dir = work / "mail"
    mail_dir.mkdir()
    smtp_code = (
        "import sys, time, uuid, pathlib\n"
        "from aiosmtpd.controller import Controller\n"
        "class H:\n"
        "    async def handle_DATA(self, server, session, envelope):\n"
        "        pathlib.Path(sys.argv[2], uuid.uuid4().hex + '.eml').write_bytes(envelope.original_content)\n"
        "        return '250 OK'\n"
        "c = Controller(H(), hostname='127.0.0.1', port=int(sys.argv[1])); c.start()\n"
        "while True: time.sleep(3600)\n"
    )
    start([PY, "-c", smtp_code, str(ports["smtp"]), str(mail_dir)], dict(os.environ), work / "smtp.log")
    wait_port(ports["s3"], "moto")
    wait_port(ports["smtp"], "aiosmtpd")
    import boto3

    boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{ports['s3']}",
        region_name="eu-west-1",
        aws_access_key_id="proof",
        aws_secret_access_key="proof",
    ).create_bucket(Bucket="portal-documents", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})

    # ---- the production environment, shared by both servers except VAR_DIR, STATIC_ROOT, bind and logs
    base_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DEBUG", "RECAPTCHA", "TWILIO"))
    }
    base_env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings.base",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": HOST,
            "SITE_URL": f"https://{HOST}:{ports['https']}",
            "DEFAULT_FROM_EMAIL": "Verzuimportaal <noreply@bench.test>",
            "RECAPTCHA_PUBLIC_KEY": "proof",
            "RECAPTCHA_PRIVATE_KEY": "proof",
            "SMS_GATEWAY": "twilio",
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": "proof",
            "TWILIO_FROM_NUMBER": "+3197010000000",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
            "REDIS_URL": REDIS,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(ports["smtp"]),
            "MAIL_DELIVERY": "worker",
            "DOCUMENTS_S3_BUCKET": "portal-documents",
            "DOCUMENTS_S3_ENDPOINT_URL": f"http://127.0.0.1:{ports['s3']}",
            "DOCUMENTS_S3_REGION": "eu-west-1",
            "DOCUMENTS_S3_ACCESS_KEY_ID": "proof",
            "DOCUMENTS_S3_SECRET_ACCESS_KEY": "proof",
            "MAX_UPLOAD_MB": "20",
            "DOCUMENT_SENDFILE": "nginx",
            "DOCUMENT_ACCEL_PREFIX": "/protected-documents/",
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            "TRUSTED_PROXY_COUNT": "1",
            "GUNICORN_WORKERS": "2",
        }
    )
    servers = {}
    for name in ("a", "b"):
        var = work / f"server-{name}"
        (var / "var").mkdir(parents=True)
        servers[name] = {
            **base_env,
            "VAR_DIR": str(var / "var"),
            "STATIC_ROOT": str(var / "static"),
            "GUNICORN_BIND": f"127.0.0.1:{ports[name]}",
            "GUNICORN_ACCESS_LOG": str(var / "access.log"),
        }

    def manage(env: dict, *args: str) -> str:
        result = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
        if result.returncode:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr[-3000:]}")
        return result.stdout

    print(
        "== collectstatic (each server its own copy), migrate, bench users, first administrator", flush=True
    )
    for env in servers.values():
        manage(env, "collectstatic", "--noinput", "-v", "0")
    a_env = servers["a"]
    manage(a_env, "migrate", "--noinput", "-v", "0")
    manage({**a_env, "DEBUG": "1"}, "bench_users", "--count", "3", "--documents", "0", "--prefix", "proof")
    admin_out = manage(
        a_env, "create_admin", "--email", "beheer@bench.test", "--first-name", "Anna", "--last-name", "Beheer"
    )
    link = re.search(r"https://\S+/accounts/reset/\S+", admin_out).group(0)

    # ---- two servers, a mail worker each, nginx in front
    for name, env in servers.items():
        start(
            [str(VENV / "gunicorn"), "portal.wsgi:application"], env, work / f"server-{name}" / "gunicorn.log"
        )
        start(
            [
                PY,
                "manage.py",
                "send_notifications",
                "--loop",
                "--interval",
                "0.5",
                "--heartbeat",
                str(work / f"server-{name}" / "heartbeat"),
            ],
            env,
            work / f"server-{name}" / "worker.log",
        )
    for name in servers:
        wait_port(ports[name], f"gunicorn {name}")

    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={HOST}",
            "-addext",
            f"subjectAltName=DNS:{HOST}",
            "-keyout",
            str(work / "key.pem"),
            "-out",
            str(work / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    nginx_dir = work / "nginx"
    shutil.copytree(ROOT / "deploy" / "nginx" / "snippets", nginx_dir / "snippets")
    static_copy = work / "static"
    shutil.copytree(servers["a"]["STATIC_ROOT"], static_copy)
    template = (ROOT / "deploy" / "nginx" / "portal.conf.template").read_text()
    conf = render_template(
        template,
        {
            "PORTAL_SERVER_NAME": HOST,
            "PORTAL_UPSTREAM_SERVERS": f"server 127.0.0.1:{ports['a']}; server 127.0.0.1:{ports['b']};",
            # Addresses only here, nothing to look up; nginx still needs a resolver line.
            "PORTAL_RESOLVER": "127.0.0.1",
            "PORTAL_HSTS_SECONDS": "31536000",
            "NGINX_MAX_BODY_MB": str(int(base_env["MAX_UPLOAD_MB"]) + 1),
            "DOCUMENTS_S3_ENDPOINT_URL": base_env["DOCUMENTS_S3_ENDPOINT_URL"],
            "PORTAL_STATIC_DIR": str(static_copy),
            "TLS_CERTIFICATE": str(work / "cert.pem"),
            "TLS_CERTIFICATE_KEY": str(work / "key.pem"),
        },
    )
    # Deviations: high ports instead of 80/443, logs in the work folder.
    conf = conf.replace("listen 443 ssl", f"listen {ports['https']} ssl").replace("listen [::]:443 ssl", "#")
    conf = conf.replace("listen 80;", f"listen {ports['http']};").replace("listen [::]:80;", "#")
    conf = conf.replace("listen 80 default_server;", f"listen {ports['http']} default_server;")
    conf = conf.replace("listen [::]:80 default_server;", "#")
    conf = conf.replace("/var/log/nginx/access.log", str(work / "nginx-access.log"))
    (nginx_dir / "portal.conf").write_text(conf)
    (nginx_dir / "nginx.conf").write_text(f"""
worker_processes 2;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {work}/nginx-body;
    proxy_temp_path {work}/nginx-proxy;
    fastcgi_temp_path {work}/nginx-fcgi;
    uwsgi_temp_path {work}/nginx-uwsgi;
    scgi_temp_path {work}/nginx-scgi;
    include portal.conf;
}}
""")
    test = subprocess.run(
        [nginx_bin, "-t", "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    version = subprocess.run([nginx_bin, "-v"], capture_output=True, text=True).stderr.strip()
    check(
        "nginx -t accepts the shipped configuration",
        test.returncode == 0,
        version if test.returncode == 0 else test.stderr[-300:].replace("\n", " "),
    )
    start(
        [nginx_bin, "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf"), "-g", "daemon off;"],
        dict(os.environ),
        work / "nginx.out",
    )
    wait_port(ports["https"], "nginx")
    time.sleep(1)

    cafile = str(work / "cert.pem")
    try:
        run_checks(ports, cafile, link, servers, work)
    finally:
        print_results(work, ports, version)
    return 0 if all(ok for _, ok, _ in RESULTS) else 1


def run_checks(ports: dict, cafile: str, link: str, servers: dict, work: Path) -> None:
    import django

    os.environ.update({**servers["a"], "DJANGO_SETTINGS_MODULE": "portal.settings.base"})
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from core.models import OutgoingEmail
    from devtools.bench_identity import bench_secret
    from dossier.models import Document

    print("== checks", flush=True)
    https = ports["https"]
    # Plain HTTP moves to HTTPS.
    conn = http.client.HTTPConnection("127.0.0.1", ports["http"], timeout=10)
    conn.request("GET", "/dossier/", headers={"Host": HOST})
    resp = conn.getresponse()
    check(
        "http:// answers 301 to https://",
        resp.status == 301 and resp.getheader("Location", "").startswith(f"https://{HOST}"),
        f"{resp.status} {resp.getheader('Location')}",
    )

    # First administrator: the printed link, through nginx, sets the password.
    admin_client = Client(https, cafile)
    path = urllib.parse.urlsplit(link).path
    status, resp, _ = admin_client.get(path)
    set_password = resp.getheader("Location") or ""
    token = admin_client.csrf(set_password)
    status2, resp2, _ = admin_client.post(
        set_password,
        {"new_password1": ADMIN_PASSWORD, "new_password2": ADMIN_PASSWORD, "csrfmiddlewaretoken": token},
    )
    check(
        "create_admin link sets the administrator's password over HTTPS",
        status == 302 and set_password.endswith("/set-password/") and status2 == 302,
        f"{status} -> {set_password.rsplit('/', 2)[-2]}/, {status2}",
    )
    admin = User.objects.get(email="beheer@bench.test")
    # Shortcut (documented): the administrator's authenticator app is put in the database instead of enrolled.
    admin_device = TOTPDevice.objects.create(user=admin, name="app", confirmed=True)
    import base64

    admin_secret = base64.b32encode(bytes.fromhex(admin_device.key)).decode()

    # Employee: login and TOTP through nginx, the dossier.
    emp_client = Client(https, cafile)
    employee_email = "proof0@bench.test"
    check(
        "employee login + TOTP through nginx",
        login(emp_client, employee_email, PASSWORD, bench_secret("proof", 0)),
    )
    status, _, _ = emp_client.get("/dossier/")
    check("employee dossier page", status == 200, str(status))
    cookie_flags = [c for c in emp_client.set_cookies if c.startswith(("sessionid=", "csrftoken="))]
    check(
        "session and CSRF cookies are Secure and HttpOnly",
        cookie_flags and all("Secure" in c and "HttpOnly" in c for c in cookie_flags),
        f"{len(cookie_flags)} Set-Cookie",
    )
    # The same session on each app server directly (as nginx would forward it).
    direct = []
    for name in ("a", "b"):
        c = Client(ports[name], direct=True)
        c.jar = dict(emp_client.jar)
        direct.append(c.get("/dossier/")[0])
    check(
        "the session is valid on both servers", direct == [200, 200], f"server a {direct[0]}, b {direct[1]}"
    )

    # Administrator: login + TOTP, upload a 15 MB PDF through the Web Portaal.
    check(
        "administrator login + TOTP through nginx",
        login(admin_client, "beheer@bench.test", ADMIN_PASSWORD, admin_secret),
    )
    content = b"%PDF-1.4\n" + os.urandom(UPLOAD_MB * 1024 * 1024 - 20) + b"\n%%EOF\n"
    employee = User.objects.get(email=employee_email)
    token = admin_client.csrf("/admin/dossier/document/add/")
    t0 = time.perf_counter()
    status, resp, body = admin_client.post_multipart(
        "/admin/dossier/document/add/",
        {
            "csrfmiddlewaretoken": token,
            "employee": str(employee.pk),
            "traject": "",
            "category": "overig",
            "title": "Probleemanalyse (bench)",
            "_save": "Opslaan",
        },
        "upload",
        "probleemanalyse.pdf",
        content,
    )
    upload_s = time.perf_counter() - t0
    document = Document.objects.filter(employee=employee).order_by("-uploaded_at").first()
    check(
        f"admin upload of {UPLOAD_MB} MB through nginx",
        status == 302 and document is not None,
        f"{status} in {upload_s:.2f} s"
        + ("" if status == 302 else " " + body[:300].decode("utf-8", "replace")),
    )
    if document is None:
        return
    check(
        "stored in S3 (moto), not on a server's disk",
        document.file.storage.__class__.__name__ == "S3Storage"
        and not any(Path(env["VAR_DIR"], "documents").exists() for env in servers.values()),
        document.file.name,
    )

    # Employee: view and download, through nginx's internal location from S3.
    digest = hashlib.sha256(content).hexdigest()
    header_rows = []
    for label, query in (("view", ""), ("download", "?download=1")):
        t0 = time.perf_counter()
        status, resp, body = emp_client.get(f"/dossier/documents/{document.pk}/file/{query}")
        seconds = time.perf_counter() - t0
        headers = resp.getheaders()
        names = Counter(n.lower() for n, _ in headers)
        h = {n.lower(): v for n, v in headers}
        wanted = {
            "200": status == 200,
            "same bytes": hashlib.sha256(body).hexdigest() == digest,
            "nosniff": h.get("x-content-type-options") == "nosniff",
            "sandbox CSP": h.get("content-security-policy", "").startswith("sandbox"),
            "no-store": "no-store" in h.get("cache-control", ""),
            "HSTS once": h.get("strict-transport-security", "").startswith("max-age=")
            and names["strict-transport-security"] == 1,
            "CORP": h.get("cross-origin-resource-policy") == "same-origin",
            # the document page frames the file: its own origin may, nobody else (one header, not DENY beside it)
            "X-Frame-Options": h.get("x-frame-options") == "SAMEORIGIN" and names["x-frame-options"] == 1,
            "frame-ancestors 'self'": "frame-ancestors 'self'" in h.get("content-security-policy", ""),
            "one Content-Disposition": names["content-disposition"] == 1,
            "no X-Accel-Redirect": "x-accel-redirect" not in names,
        }
        missing = [k for k, v in wanted.items() if not v]
        ok = not missing
        amz = sorted(n for n in names if n.startswith("x-amz"))
        header_rows.append((label, status, len(body), seconds, h))
        check(
            f"document {label}: 200, same bytes, nosniff, sandbox CSP, no-store, HSTS, CORP, one disposition",
            ok,
            f"{len(body) / 1e6:.1f} MB in {seconds:.2f} s; Content-Disposition: {h.get('content-disposition')}"
            + (f"; store headers left: {amz}" if amz else "")
            + ("" if ok else f"; MISSING {missing}; headers {json.dumps(h)}"),
        )
    from dossier.models import AccessLog

    logged = AccessLog.objects.filter(document=document).count()
    check("an access-log row for each document response", logged == 2, f"{logged} rows")

    # Login limit across both servers: wrong passwords alternate between the servers (round-robin).
    victim = "proof1@bench.test"
    attacker = Client(https, cafile)
    statuses = []
    for _ in range(8):
        token = attacker.csrf("/accounts/login/")
        statuses.append(
            attacker.post(
                "/accounts/login/",
                {"username": victim, "password": "wrong-password-123", "csrfmiddlewaretoken": token},
            )[0]
        )
    token = attacker.csrf("/accounts/login/")
    right = attacker.post(
        "/accounts/login/", {"username": victim, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    evaluated = sum(1 for s in statuses if s == 200)
    check(
        "login limit holds across both servers (5 wrong passwords evaluated, then 429, right one refused)",
        evaluated == 5 and statuses[5:] == [429, 429, 429] and right[0] == 429,
        f"statuses {statuses}, right password {right[0]}",
    )

    # OTP limit across both servers: django-otp's back-off lives in the database row, shared by both.
    otp_client = Client(https, cafile)
    token = otp_client.csrf("/accounts/login/")
    otp_client.post(
        "/accounts/login/",
        {
            "username": "proof2@bench.test",
            "password": PASSWORD,
            "next": "/dossier/",
            "csrfmiddlewaretoken": token,
        },
    )
    otp_client.get("/twofactor/?next=/dossier/")
    otp_statuses = []
    for _ in range(6):
        token = otp_client.csrf("/twofactor/verify/")
        otp_statuses.append(
            otp_client.post("/twofactor/verify/", {"token": "000000", "csrfmiddlewaretoken": token})[0]
        )
    import pyotp

    token = otp_client.csrf("/twofactor/verify/")
    good = otp_client.post(
        "/twofactor/verify/",
        {"token": pyotp.TOTP(bench_secret("proof", 2)).now(), "csrfmiddlewaretoken": token},
    )[0]
    device = TOTPDevice.objects.get(user__email="proof2@bench.test")
    guesses = device.throttling_failure_count
    check(
        "OTP limit holds across both servers (back-off in the shared database row; right code refused meanwhile)",
        good != 302 and guesses <= 2,
        f"6 wrong codes in a row: statuses {otp_statuses}, codes actually checked {guesses}; "
        f"then the right code: {good}",
    )

    # Logout.
    token = emp_client.csrf("/dossier/")
    status, resp, _ = emp_client.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
    after = emp_client.get("/dossier/")[0]
    check(
        "logout ends the session", status == 302 and after == 302, f"logout {status}, then /dossier/ {after}"
    )

    # A reset link's path through nginx: neither nginx's nor gunicorn's access log keeps it.
    Client(https, cafile).get("/accounts/reset/MTIz/proof-0123456789abcdeftoken/")

    # Mail: every outbox row sent once, by one of the two workers.
    deadline = time.time() + 30
    while time.time() < deadline and OutgoingEmail.objects.exclude(status="sent").exists():
        time.sleep(0.5)
    time.sleep(2)
    rows = OutgoingEmail.objects.count()
    sent = OutgoingEmail.objects.filter(status="sent").count()
    mails = [p.read_bytes() for p in (work / "mail").glob("*.eml")]
    ids = Counter(re.search(rb"(?im)^Message-ID:\s*(\S+)", m).group(1) for m in mails)
    notification = [m for m in mails if f"document:{document.pk}".encode() in m or b"proof0@bench.test" in m]
    check(
        "each mail sent once (outbox rows = SMTP messages, no Message-ID twice)",
        rows == sent == len(mails) and max(ids.values(), default=1) == 1,
        f"{rows} outbox rows, {sent} sent, {len(mails)} received, {len(notification)} to the employee",
    )

    time.sleep(1)  # nginx and gunicorn flush their access logs
    nginx_log = (work / "nginx-access.log").read_text()
    gunicorn_logs = "".join((work / f"server-{n}" / "access.log").read_text() for n in ("a", "b"))
    statuses = Counter(int(m) for m in re.findall(r'" (\d{3}) ', nginx_log))
    check(
        "no 5xx in nginx's access log",
        not any(s >= 500 for s in statuses),
        ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())),
    )
    upstreams = Counter(re.findall(r"upstream=127\.0\.0\.1:(\d+)", nginx_log))
    per_server = {name: upstreams.get(str(ports[name]), 0) for name in ("a", "b")}
    check(
        "round-robin: both servers served requests",
        all(per_server.values()),
        f"server a {per_server['a']}, server b {per_server['b']} requests",
    )
    leaked = [
        name
        for name, text in (("nginx", nginx_log), ("gunicorn", gunicorn_logs))
        if "0123456789abcdeftoken" in text or "/set-password" in text and "MTIz" in text
    ]
    check(
        "no reset token in nginx's or gunicorn's access log",
        not leaked and "[redacted]" in nginx_log,
        f"redacted lines nginx {nginx_log.count('[redacted]')}, gunicorn {gunicorn_logs.count('[redacted]')}",
    )
    check(
        "each mail worker's heartbeat is fresh",
        all(time.time() - os.path.getmtime(work / f"server-{n}" / "heartbeat") < 10 for n in ("a", "b")),
    )
    for name in ("a", "b"):
        c = Client(ports[name], direct=True)
        check(
            f"server {name} /healthz/ (database, cache, manifest, S3, mail)",
            c.get("/healthz/")[1].status == 200,
        )
    RUN["upload_s"], RUN["rows"] = upload_s, header_rows


RUN: dict = {}


def print_results(work: Path, ports: dict, version: str) -> None:
    passed = sum(ok for _, ok, _ in RESULTS)
    print(f"\n== {passed}/{len(RESULTS)} checks passed; logs in {work}\n")
    print("| check | result | figures |\n|---|---|---|")
    for name, ok, detail in RESULTS:
        print(f"| {name} | {'ok' if ok else '**FAILED**'} | {detail.replace('|', '/')} |")
    print(f"\nnginx: {version}; python {sys.version.split()[0]}")


if __name__ == "__main__":
    code = 1
    try:
        code = main()
    finally:
        stop_all()
        try:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
            subprocess.run(["redis-cli", "-n", "11", "flushdb"], stdout=subprocess.DEVNULL)
        except Exception as exc:  # noqa: BLE001 - clean-up only
            print(f"clean-up: {exc}")
    sys.exit(code)
