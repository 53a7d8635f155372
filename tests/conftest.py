"""Fixtures every app's tests share. Plain functions are in tests/helpers.py."""

import asyncio
import datetime
import email
import email.policy
import logging
import threading

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPProtocol
from django.core.cache import caches
from django.test import override_settings
from django.utils import timezone

from editorial.scheduling import forget_next_due
from news.models import Category, NewsItem
from newsletter.models import Subscriber
from portal_site.celery import app as celery_app
from tests.helpers import free_port, london, require


def pytest_addoption(parser):
    parser.addoption(
        "--now",
        metavar="ISO-8601",
        help="run the tests as if the clock said this (e.g. 2026-12-31T23:59:30+00:00); "
        "every clock of the test process moves there and ticks on (make test-clock)",
    )


def pytest_configure(config):
    now = config.getoption("--now")
    if now:
        import time_machine

        moment = datetime.datetime.fromisoformat(now)
        if moment.tzinfo is None:
            raise pytest.UsageError("--now needs a time zone offset, e.g. +00:00")
        config._clock = time_machine.travel(moment, tick=True)
        config._clock.start()


def pytest_unconfigure(config):
    clock = getattr(config, "_clock", None)
    if clock is not None:
        clock.stop()


def pytest_report_header(config):
    if config.getoption("--now"):
        return f"clock moved to {config.getoption('--now')} (ticking)"
    return None


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Django's advice for tests: a fast hasher. PBKDF2 stays available for
    the users a test hands to a server process running the real settings."""
    with override_settings(
        PASSWORD_HASHERS=[
            "django.contrib.auth.hashers.MD5PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        ]
    ):
        yield


@pytest.fixture(autouse=True)
def _isolated_cache_and_media(settings, tmp_path):
    """Each test starts with empty caches and its own media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    caches["default"].clear()
    forget_next_due()  # what this process remembers of the cache, too
    yield
    caches["default"].clear()


@pytest.fixture
def clock_cache(settings):
    """The cache in this process's memory, so that its entries expire by the
    test's clock (time_machine), as Redis's expire by Redis's own."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def unreachable_redis(settings):
    """The site's cache pointed at a Redis that is not there (a closed port)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache_backends.FailOpenRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }


@pytest.fixture(autouse=True)
def eager_tasks():
    """Tasks run in the test's own process unless a test starts a real worker."""
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


@pytest.fixture
def unambiguous_local_time():
    """For tests whose admin forms post local times near "now": the clock at
    10:00 on an ordinary Wednesday (ticking). In the hour the clocks go back
    every local time occurs twice, and Django's form fields refuse them."""
    import time_machine

    with time_machine.travel(london(2026, 11, 18, 10, 0), tick=True):
        yield


@pytest.fixture
def redis_url(settings):
    """The Redis URL of the run; the test is skipped (failed in CI) without one."""
    require(settings.REDIS_URL, "needs Redis: set REDIS_URL (bash .ci/run does)")
    return settings.REDIS_URL


# ------------------------------------------------------------------ content


@pytest.fixture
def categories(db):
    """The seed page's two categories: [Update, Management info]."""
    return [
        Category.objects.get_or_create(slug="update", defaults={"name": "Update", "order": 1})[0],
        Category.objects.get_or_create(
            slug="management-info", defaults={"name": "Management info", "order": 2}
        )[0],
    ]


@pytest.fixture
def category(db):
    return Category.objects.get_or_create(slug="update", defaults={"name": "Update", "order": 1})[
        0
    ]


@pytest.fixture
def make_item(db, category):
    """Create a news item; published a day ago and dated in 2020 unless told otherwise."""
    counter = iter(range(1, 1_000_000))

    def make_item(**fields):
        n = next(counter)
        values = {
            "title": f"Item {n}",
            "category": category,
            "date": datetime.date(2020, 6, 1),
            "summary": f"Summary of item {n}.",
            "body": f"<p>Body of item {n}.</p>",
            "status": NewsItem.Status.PUBLISHED,
            "published_at": timezone.now() - datetime.timedelta(days=1),
        }
        values.update(fields)
        return NewsItem.objects.create(**values)

    return make_item


@pytest.fixture
def make_subscriber(categories):
    """Create a subscriber, confirmed a month ago, weekly, every topic unless told otherwise."""
    counter = iter(range(1, 1_000_000))

    def make_subscriber(topics=(), **fields):
        n = next(counter)
        values = {
            "email": f"reader{n}@example.com",
            "status": Subscriber.Status.CONFIRMED,
            "frequency": "weekly",
            "confirmed_at": timezone.now() - datetime.timedelta(days=30),
            "digested_until": timezone.now() - datetime.timedelta(days=30),
        }
        values.update(fields)
        subscriber = Subscriber.objects.create(**values)
        subscriber.topics.set(topics)
        return subscriber

    return make_subscriber


# --------------------------------------------------------------------- SMTP

# aiosmtpd logs every SMTP command at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class RecordingHandler:
    """Keeps every accepted message. Recipients whose local part starts with
    "temp" get a 451 (twice), those starting with "perm" a 550."""

    def __init__(self, delay=0):
        self.delay = delay  # seconds per message, to slow a test sender down
        self.messages = []
        self.lock = threading.Lock()
        self.temp_failures = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local.startswith("perm"):
            return "550 5.1.1 No such mailbox"
        if local.startswith("temp"):
            count = self.temp_failures.get(address, 0)
            if count < 2:
                self.temp_failures[address] = count + 1
                return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.messages.append((envelope.rcpt_tos[:], envelope.content))
        return "250 Message accepted"

    def parsed(self):
        with self.lock:
            copies = list(self.messages)
        return [
            (rcpt, email.message_from_bytes(content, policy=email.policy.default))
            for rcpt, content in copies
        ]


class QuietController(Controller):
    def factory(self):
        return SMTPProtocol(self.handler, enable_SMTPUTF8=True, data_size_limit=None)


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; Django's default mailer points at it."""
    handler = RecordingHandler()
    controller = QuietController(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 10},
        }
    }
    handler.port = controller.port
    yield handler
    controller.stop()
