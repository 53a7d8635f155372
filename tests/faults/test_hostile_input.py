"""A hostile-input pass over every URL pattern and every public form.

The resolver is walked, so a pattern added later is attacked too. Each pattern
gets hostile values in each of its path parameters and in the query string,
and every HTTP method (unknown ones included); each public form gets oversized,
wrong-typed, missing and repeated fields. Whatever it is sent, the site must
answer below 500, and a request it refuses must leave stored data as it was.

Run with -s to see the counts (requests sent, 5xx answers).
"""

import datetime
import hashlib
import io
import logging
import re
from urllib.parse import quote

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from newsletter import tokens

pytestmark = pytest.mark.django_db

# Path and query values, written as they travel (percent-encoded where needed).
HOSTILE = {
    "huge": "99999999999999999999",
    "bigint+1": "9223372036854775808",
    "negative": "-1",
    "zero": "0",
    "float": "1e308",
    "nul": "%00",
    "nul-inside": "a%00b",
    "crlf": "%0D%0ASet-Cookie:%20x=1",
    "control": "%01%02%1B%7F",
    "long": "a" * 10_000,
    "long-unicode": quote("é" * 3_000),
    "binary": "".join(f"%{byte:02X}" for byte in range(256)),
    "bad-percent": "%zz%",
    "truncated-utf8": "%E0%A4%A",
    "overlong-utf8": "%C0%AF",
    "lone-surrogate": "%ED%A0%80",
    "traversal": "..%2F..%2Fetc%2Fpasswd",
    "markup": quote("<script>alert(1)</script>"),
    "sql": quote("' OR 1=1 --"),
    "format": "%25s%25n%7B0%7D",
}
# The query parameters the site's own views read (admin's are in STAFF_QUERY_NAMES).
QUERY_NAMES = ["page", "q", "next", "source"]
METHODS = ["HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "BREW"]
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")
# The superuser walk leaves these out: they would end its session.
ENDS_SESSION = ("admin/logout/",)


def routes(patterns=None, prefix=""):
    """Every URL pattern as one route string ("news/<int:year>/<slug:slug>/")."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for pattern in patterns:
        route = prefix + str(pattern.pattern).lstrip("^").removesuffix("$").removesuffix(r"\Z")
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def fill(route, values, **override):
    """The path of `route` with each parameter replaced by its value."""

    def value(match):
        name = match.group(1) or match.group(2)
        return override.get(name, values(route, name))

    return "/" + PARAMETER.sub(value, route).replace("\\", "")


def parameters(route):
    return [a or b for a, b in PARAMETER.findall(route)]


def snapshot():
    """A digest of every stored row (sessions aside: logging in makes one)."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        if model._meta.db_table == "django_session":
            continue
        for row in model._base_manager.order_by("pk").values_list():
            digest.update(repr(row).encode())
    return digest.hexdigest()


class Tally:
    def __init__(self):
        self.requests = 0
        self.server_errors = []
        self.changed_on_refusal = []
        # The snapshot after the last checked request, which is the next one's
        # "before" as long as no unchecked request came in between (it halves
        # the snapshots, most of this suite's time).
        self.stored = None

    def send(self, client, method, path, check_data=False, **kwargs):
        before = (self.stored or snapshot()) if check_data else None
        response = client.generic(method, path, **kwargs)
        self.requests += 1
        if response.status_code >= 500:
            self.server_errors.append(f"{method} {path[:120]} -> {response.status_code}")
        self.stored = snapshot() if check_data else None
        if check_data and response.status_code >= 400 and self.stored != before:
            self.changed_on_refusal.append(f"{method} {path[:120]} -> {response.status_code}")
        return response

    def send_each_checked(self, client, requests):
        """Send (method, path) requests, each held to leaving data as it was
        if refused. A snapshot costs more than a request, so: one before and
        one after them all; only if data changed are they rolled back and
        sent again one by one, to find which request changed it."""
        before = self.stored or snapshot()
        savepoint = transaction.savepoint_create()
        for method, path in requests:
            self.send(client, method, path)
        after = snapshot()
        if after == before:
            transaction.savepoint_commit(savepoint)
            self.stored = after
            return
        transaction.savepoint_rollback(savepoint)
        self.stored = None
        for method, path in requests:
            self.send(client, method, path, check_data=True)

    def report(self, what):
        print(f"\n{what}: {self.requests} requests, {len(self.server_errors)} answered 5xx")
        assert not self.server_errors, "\n".join(self.server_errors[:40])
        assert not self.changed_on_refusal, "\n".join(self.changed_on_refusal[:40])


@pytest.fixture
def content(make_item, make_subscriber, categories):
    item = make_item(title="Insurer Index v232", date=datetime.date(2020, 9, 14))
    subscriber = make_subscriber()
    pending = make_subscriber(status="pending", confirmed_at=None)
    return {
        "item": item,
        "category": categories[0],
        "manage": tokens.make_token(subscriber, tokens.MANAGE),
        "confirm": tokens.make_token(pending, tokens.CONFIRM),
    }


@pytest.fixture
def sample(content):
    """A plausible value for each path parameter, so that the rest of the path resolves."""

    def values(route, name):
        if name == "slug":
            return content["category"].slug if "category" in route else content["item"].slug
        if name == "token":
            return content["confirm"] if "confirm" in route else content["manage"]
        return {
            "year": "2020",
            "object_id": str(content["item"].pk),
            "content_type_id": "1",
            "app_label": "news",
            "path": "editor/none.png",
            "url": "missing/",
        }.get(name, "1")

    return values


@pytest.fixture(autouse=True)
def quiet_request_log():
    """Thousands of refusals would each be logged (with 10,000-character paths)."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def hostile_client(user=None):
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def walk(client, tally, routes_to_walk, sample, values, query_names, data_kept_by_gets):
    for route in routes_to_walk:
        before = snapshot()
        for name in parameters(route):
            for value in values:
                tally.send(client, "GET", fill(route, sample, **{name: value}))
        path = fill(route, sample)
        for name in query_names:
            for value in values:
                tally.send(client, "GET", f"{path}?{name}={value}")
        for query in ["%zz=1", "page=1&page=2&page=x", "=", "&&&", "a" * 10_000]:
            tally.send(client, "GET", f"{path}?{query}")
        if data_kept_by_gets:
            assert snapshot() == before, f"GET requests to {route} changed stored data"
        tally.send_each_checked(client, [(method, path) for method in METHODS])


@pytest.mark.slow
def test_every_url_pattern_survives_hostile_paths_queries_and_methods(sample):
    every = list(routes())
    assert len(every) > 40, every  # the site's and admin's patterns, not a few
    tally = Tally()
    walk(hostile_client(), tally, every, sample, HOSTILE.values(), QUERY_NAMES, True)
    tally.report(f"hostile input, anonymous, {len(every)} URL patterns")


# Admin pages cost ~30 ms each: staff get the sharpest few values.
STAFF_VALUES = [HOSTILE[name] for name in (
    "huge", "negative", "nul", "long", "binary", "bad-percent",
)]
STAFF_QUERY_NAMES = ["o", "p", "q", "_changelist_filters"]


@pytest.mark.slow
def test_every_admin_pattern_survives_hostile_input_from_staff(sample):
    """As a superuser, so that the admin's own views (not its log-in redirect) get
    the input. Viewing admin pages may create defaults (digest schedules), so only
    refused requests are held to leaving data as it was."""
    staff_routes = [
        route for route in routes()
        if route.startswith(("admin/", "ckeditor5/")) and route not in ENDS_SESSION
    ]
    tally = Tally()
    client = hostile_client(User.objects.create_superuser("admin", password="pw"))
    walk(client, tally, staff_routes, sample, STAFF_VALUES, STAFF_QUERY_NAMES, False)
    tally.report(f"hostile input, staff, {len(staff_routes)} admin URL patterns")


# ------------------------------------------------------------------ forms

FORM = re.compile(r'<form[^>]*method="post"[^>]*>(.*?)</form>', re.S | re.I)
FIELD = re.compile(r'<(?:input|select|textarea|button)[^>]*\bname="([^"]+)"[^>]*>', re.I)


def form_fields(html):
    """The names of the fields of every POST form on a page, in order."""
    names = []
    for form in FORM.findall(html):
        names += [name for name in FIELD.findall(form) if name not in names]
    return names


def hostile_bodies(fields):
    """(description, POST data) pairs: oversized, wrong-typed, missing and repeated fields."""
    yield "nothing at all", {}
    for name in fields:
        yield f"{name} 100,000 characters", {**dict.fromkeys(fields, "x"), name: "x" * 100_000}
        yield f"{name} 900 kB", {**dict.fromkeys(fields, "1"), name: "9" * 900_000}
        yield f"{name} only", {name: "1"}
        yield f"{name} missing", {f: "1" for f in fields if f != name}
        for label, value in [
            ("NUL", "a\x00b"), ("control", "\x01\x1b\x7f"), ("CRLF", "a\r\nBcc: x@y.z"),
            ("huge number", "99999999999999999999"), ("negative", "-1"),
            ("unicode", "é" * 300), ("surrogate-ish", "\udcff"), ("markup", "<b>x</b>"),
        ]:
            yield f"{name} {label}", {**dict.fromkeys(fields, "1"), name: value}
        yield f"{name} repeated", {**dict.fromkeys(fields, "1"), name: ["1", "2", "abc"]}
        yield f"{name} 1,000 times", {**dict.fromkeys(fields, "1"), name: ["1"] * 1000}
    yield "every field repeated", {name: ["a", "b"] for name in fields}
    yield "unknown fields", {f"extra{n}": "x" for n in range(2000)}


def public_forms(content):
    return [
        "/newsletter/",
        f"/newsletter/confirm/{content['confirm']}/",
        f"/newsletter/preferences/{content['manage']}/",
        f"/newsletter/unsubscribe/{content['manage']}/",
        "/cookies/",
        "/admin/login/",
    ]


@pytest.mark.slow
def test_every_public_form_survives_hostile_fields(content):
    tally = Tally()
    client = hostile_client()
    forms = public_forms(content)
    for url in forms:
        fields = form_fields(client.get(url).text)
        assert fields, f"no form found on {url}"
        fields = [name for name in fields if name != "csrfmiddlewaretoken"]
        for _description, data in hostile_bodies(fields):
            tally.send(client, "POST", url, check_data=True, data=data)
            tally.send(client, "POST", url, check_data=True, data=data,
                       content_type="application/json")
        # A file where the form expects text, and a body that is not a form at all.
        tally.send(client, "POST", url, check_data=True,
                   data={name: io.BytesIO(b"\x89PNG" * 1000) for name in fields})
        tally.send(client, "POST", url, check_data=True, data=bytes(range(256)) * 100,
                   content_type="multipart/form-data; boundary=--nothing")
        tally.send(client, "POST", url, check_data=True, data="%zz=%E0%A4%A&a=%00",
                   content_type="application/x-www-form-urlencoded")
    for query in ["x" * 10_000, "%00", "a%00b", "%E0%A4%A", "<script>", "' OR 1=1 --"]:
        tally.send(client, "GET", f"/news/search/?q={query}")
    tally.report(f"hostile form fields, {len(forms)} public forms")


# ------------------------------------------------------------------ admin lookups

def changelist_attacks():
    """(changelist URL, query) for every admin list's date drill-down and filters."""
    from django.contrib import admin

    for model in apps.get_models():
        if not admin.site.is_registered(model):
            continue
        model_admin = admin.site.get_model_admin(model)
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        if model_admin.date_hierarchy:
            part = model_admin.date_hierarchy
            yield url, f"{part}__year={HOSTILE['huge']}"
            yield url, f"{part}__year=2020&{part}__month={HOSTILE['nul']}"
            yield url, f"{part}__year=-1"
        for name in model_admin.list_filter:
            if isinstance(name, str):
                yield url, f"{name}__exact={HOSTILE['nul']}"
                yield url, f"{name}={HOSTILE['nul-inside']}"


def test_bad_filter_values_get_a_4xx_from_every_admin_list():
    """?date__year=99999999999999999999 and ?status__exact=%00 were 500s."""
    client = hostile_client(User.objects.create_superuser("admin", password="pw"))
    attacks = list(changelist_attacks())
    assert len(attacks) > 20, attacks
    answers = {f"{url}?{query}": client.get(f"{url}?{query}").status_code
               for url, query in attacks}
    assert {answer for answer in answers.values() if not 400 <= answer < 500} == set(), answers
    # A plausible filter still works.
    plausible = "/admin/news/newsitem/?date__year=2020&status__exact=published"
    assert client.get(plausible).status_code == 200


def test_a_forged_formset_size_is_refused_at_once(make_item):
    """documents-TOTAL_FORMS=3000 held a worker for 30 s building forms."""
    import time

    from tests.editorial.conftest import change_data
    from tests.helpers import member_of

    item = make_item(status="draft")
    client = hostile_client(member_of("Editors"))
    before = snapshot()
    started = time.monotonic()
    response = client.post(f"/admin/news/newsitem/{item.pk}/change/", change_data(
        item, **{"documents-TOTAL_FORMS": "3000"}))
    assert response.status_code == 400
    assert time.monotonic() - started < 2
    assert snapshot() == before
    # The honest form still saves.
    response = client.post(f"/admin/news/newsitem/{item.pk}/change/", change_data(item))
    assert response.status_code == 302
