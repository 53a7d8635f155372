"""Real components for fault tests, each started by the test in its own process
on a free loopback port, so that a test may stop, freeze or fill it without
touching the shared PostgreSQL (5432) and Redis (6379) of the run.

* redis_server: a redis-server (stop/start on the same port, freeze, fill).
* postgres_server: a PostgreSQL cluster from initdb (one per session).
* smtp_server: an aiosmtpd server that can refuse, slow down or drop.
* start_site: gunicorn serving the site (DEBUG off) with the environment given.
* start_worker: a Celery worker, with beat if asked, with the environment given.

Components missing from a machine skip the test (fail it in CI), through require().
"""

import asyncio
import http.client
import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPProtocol

from deploy.components import (
    PostgresServer,
    RedisServer,
    postgres_bindir,
    stop_process,
    wait_until,
)
from tests.helpers import free_port, require

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

logging.getLogger("mail.log").setLevel(logging.WARNING)


# ------------------------------------------------------------------- Redis


@pytest.fixture
def redis_server(tmp_path):
    """A Redis server of this test's own, stopped at the end."""
    require(shutil.which("redis-server"), "needs redis-server (apt-get install redis-server)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.thaw()
    server.stop()


# -------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL cluster for the session; tests that stop it start it again."""
    bindir = postgres_bindir()
    require(bindir, "needs PostgreSQL's server binaries (apt-get install postgresql)")
    # initdb refuses to run as root: as root the cluster is the postgres user's.
    require(
        os.geteuid() != 0 or shutil.which("runuser"),
        "needs runuser (util-linux) to run PostgreSQL as the postgres user",
    )
    directory = tempfile.mkdtemp(prefix="faults-pg-")
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    server = PostgresServer(bindir, directory)
    server.init()
    server.start()
    yield server
    server.stop("immediate")
    shutil.rmtree(directory, ignore_errors=True)


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=300,
    )


# --------------------------------------------------------------------- SMTP


class FaultySMTPHandler:
    """Keeps every message it accepts (a 250 after DATA), and misbehaves on demand:

    * refuse: every MAIL FROM gets "421 try later" (nothing accepted);
    * delay: seconds to wait before answering each RCPT TO (slow server);
    * drop_at: message counts at which the next MAIL FROM drops the connection
      without a word (each once), as a server that crashes mid-digest.
    """

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        self.refuse = False
        self.delay = 0
        self.drop_at = set()
        self.sessions = []  # the moment each connection was made
        self.dropped = 0
        self.refused = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.refuse:
            self.refused += 1
            return "421 4.3.2 Service not available, try again later"
        if len(self.messages) in self.drop_at:
            self.drop_at.discard(len(self.messages))
            self.dropped += 1
            server.transport.abort()  # the connection is gone, mid-digest
            return "421 never seen"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.delay:
            await asyncio.sleep(self.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((tuple(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def recipients(self):
        with self.lock:
            return [rcpt for rcpts, _ in self.messages for rcpt in rcpts]


class FaultySMTP(SMTPProtocol):
    def connection_made(self, transport):
        self.event_handler.sessions.append(time.monotonic())
        super().connection_made(transport)


class SMTPController(Controller):
    def factory(self):
        return FaultySMTP(self.handler, enable_SMTPUTF8=True, data_size_limit=None)


@pytest.fixture
def smtp_server():
    """An SMTP server on loopback: .handler misbehaves on demand; .stop() and
    .start() close and reopen its port (connections refused meanwhile)."""
    handler = FaultySMTPHandler()
    controller = SMTPController(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    try:
        controller.stop()
    except AssertionError:  # already stopped by the test
        pass


# -------------------------------------------------------- the site, workers


def site_environment(**values):
    """The environment of a production-like process (DEBUG off) of this checkout."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_HOST"}
        and not key.startswith("PYTEST")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal_site.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="http://127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
    )
    env.update({key: str(value) for key, value in values.items() if value is not None})
    return env


class Site:
    """gunicorn serving the site on a loopback port."""

    def __init__(self, env, directory, workers=2):
        self.port = free_port()
        self.log_path = directory / f"gunicorn-{self.port}.log"
        self.log_file = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "portal_site.wsgi",
                "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(workers),
                "--timeout", "60",
                "--graceful-timeout", "5",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        # 200, or a redirect to HTTPS (SECURE_SSL_REDIRECT): it answers.
        wait_until(lambda: self.request("HEAD", "/robots.txt").status in (200, 301), 30,
                   "gunicorn")

    def log(self):
        return self.log_path.read_text(errors="replace")

    def request(self, method, path, body=None, headers=None, timeout=20):
        """(status, headers, body, seconds) of one request on a new connection."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        started = time.monotonic()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            response.content = response.read()
            response.seconds = time.monotonic() - started
            return response
        finally:
            connection.close()

    def stop(self):
        stop_process(self.process)
        self.log_file.close()


@pytest.fixture(scope="session")
def collected_static():
    """DEBUG off serves hashed static files: collect them once per session."""
    manage(site_environment(), "collectstatic", "--no-input", "-v", "0")


@pytest.fixture
def start_site(collected_static, tmp_path):
    sites = []

    def start(**env):
        site = Site(site_environment(**env), tmp_path)
        sites.append(site)
        return site

    yield start
    for site in sites:
        site.stop()


class Worker:
    """A Celery worker process (prefork, one child), with an embedded beat if asked."""

    def __init__(self, env, directory, beat=False):
        command = [
            str(BIN / "celery"), "-A", "portal_site", "worker",
            "--pool=prefork", "--concurrency=1", "--without-gossip", "--without-mingle",
            "--loglevel=WARNING", f"--hostname=faults-{secrets.token_hex(4)}@%h",
        ]
        if beat:
            command += ["--beat", f"--schedule={directory / 'beat-schedule'}"]
        self.log = open(directory / "worker.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, start_new_session=True,
            stdout=self.log, stderr=subprocess.STDOUT,
        )

    def stop(self):
        stop_process(self.process)
        self.log.close()


@pytest.fixture
def start_worker(tmp_path):
    workers = []

    def start(beat=False, **env):
        worker = Worker(site_environment(**env), tmp_path, beat=beat)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


ADMIN_PASSWORD = "fault-test-admin-password"


@pytest.fixture(scope="session")
def site_database(postgres_server):
    """A database on our own PostgreSQL, migrated, with the demo content and an
    admin account (admin / ADMIN_PASSWORD): what a deployed site has."""
    postgres_server.create_database("site")
    env = site_environment(
        DATABASE_URL=postgres_server.url("site"),
        DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
    )
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "load_demo_content")
    manage(env, "createsuperuser", "--no-input", "--username", "admin", "--email", "a@example.org")
    return postgres_server.url("site")
