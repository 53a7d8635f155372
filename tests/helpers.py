"""Functions the tests of every app share (fixtures live in tests/conftest.py)."""

import datetime
import os
import xml.etree.ElementTree as ET
from unittest import mock
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

# Shared with make run-production, which starts real servers the same way.
from deploy.components import free_port, wait_until  # noqa: F401


def require(available, reason):
    """Skip a test whose real component is missing on a developer's machine;
    in CI (CI=true) a missing component is a failure, never a skip."""
    if available:
        return
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)


def london(*args):
    """An aware datetime in the site's time zone: london(2026, 12, 2, 8, 0)."""
    return timezone.make_aware(datetime.datetime(*args))


def at(moment):
    """Pin "now" for the code under test (django.utils.timezone.now, which
    localdate() and localtime() read too): `with at(london(2026, 12, 2, 8)):`."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def member_of(group_name, name=None, email=False):
    """A staff user in one of the editorial roles' groups."""
    name = name or group_name.lower()
    user = User.objects.create_user(
        name, email=f"{name}@example.org" if email else "", password="pw", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group_name))
    return user


SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def sitemap_entries(client):
    """{address: lastmod (text) or None} of every page in the sitemap: the
    index at /sitemap.xml, then each section it lists."""
    index = ET.fromstring(client.get("/sitemap.xml").content)
    entries = {}
    for location in index.findall("s:sitemap/s:loc", SITEMAP_NS):
        address = urlsplit(location.text)
        response = client.get(address.path, dict(parse_qsl(address.query)))
        assert response.status_code == 200, location.text
        for url in ET.fromstring(response.content).findall("s:url", SITEMAP_NS):
            lastmod = url.find("s:lastmod", SITEMAP_NS)
            entries[url.find("s:loc", SITEMAP_NS).text] = None if lastmod is None else lastmod.text
    return entries
