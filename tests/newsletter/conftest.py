import asyncio
import datetime
import email
import email.policy
import logging
import re
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPProtocol
from django.utils import timezone

from news.models import Category, NewsItem
from newsletter.models import Subscriber
from portal_site.celery import app as celery_app


@pytest.fixture(autouse=True)
def eager_tasks():
    """Tasks run in the test's own process unless a test starts a real worker."""
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


@pytest.fixture
def categories(db):
    return [
        Category.objects.get_or_create(slug="update", defaults={"name": "Update", "order": 1})[0],
        Category.objects.get_or_create(
            slug="management-info", defaults={"name": "Management info", "order": 2}
        )[0],
    ]


@pytest.fixture
def make_item(categories):
    counter = iter(range(1, 1_000_000))

    def make_item(category=None, **fields):
        n = next(counter)
        values = {
            "title": f"News item {n}",
            "category": category or categories[0],
            "date": datetime.date(2026, 11, 2),
            "summary": f"Summary of news item {n}.",
            "status": NewsItem.Status.PUBLISHED,
            "published_at": timezone.now() - datetime.timedelta(minutes=10),
        }
        values.update(fields)
        return NewsItem.objects.create(**values)

    return make_item


@pytest.fixture
def make_subscriber(categories):
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


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def links(text):
    return re.findall(r"https?://[^\s\"<>]+", text)


def path_of(url, settings):
    assert url.startswith(settings.SITE_URL), url
    return url[len(settings.SITE_URL) :]
