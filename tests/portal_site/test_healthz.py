import socket

import pytest
from django.db import OperationalError

from portal_site import views

pytestmark = pytest.mark.django_db


def closed_port():
    """A loopback port nothing listens on (the kernel just gave it out and took it back)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class UnreachableDatabase:
    """Stands in for django.db.connection when the server is down."""

    def cursor(self):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')


def test_healthy(client, settings):
    response = client.get("/healthz/")
    assert response.status_code == 200
    expected = {"status": "ok", "database": "ok"}
    if settings.REDIS_URL:  # CI: Redis is configured and must answer
        expected["redis"] = "ok"
    assert response.json() == expected
    assert "no-cache" in response["Cache-Control"]


def test_database_unreachable(client, monkeypatch):
    monkeypatch.setattr(views, "connection", UnreachableDatabase())
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"] == "error"


def test_redis_unreachable(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "redis": "error"}


def test_redis_answering(client, redis_url):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json()["redis"] == "ok"


def test_head_is_answered_and_post_refused(client):
    assert client.head("/healthz/").status_code == 200
    assert client.post("/healthz/").status_code == 405


def test_the_shared_caches_probe_asks_about_the_database_alone(client, settings):
    """Pages need the database, not Redis (the cache fails open): Varnish's probe
    (?check=database) keeps a replica in service while Redis is down."""
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = client.get("/healthz/?check=database")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_the_probe_fails_with_the_database(client, monkeypatch):
    monkeypatch.setattr(views, "connection", UnreachableDatabase())
    response = client.get("/healthz/?check=database")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "error"}
