"""The site while its database or Redis is down: gunicorn (DEBUG off) against
our own PostgreSQL and Redis, stopped and started under it."""

import concurrent.futures
import json
import re
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest

from tests.helpers import wait_until

from .conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.slow

PUBLIC_PAGES = [
    "/", "/news/", "/news/2020/", "/news/category/update/", "/news/feed/", "/sitemap.xml",
]


def is_clean_503(response):
    text = response.content.decode()
    return (
        response.status == 503
        and "Sorry, the service is unavailable" in text
        and "Traceback" not in text
        and "OperationalError" not in text
    )


class Browser:
    """Cookies and CSRF tokens across requests to one Site, as a browser keeps them."""

    def __init__(self, site):
        self.site = site
        self.cookies = {}

    def request(self, method, path, data=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.site.port}{path}"
        headers["Host"] = "127.0.0.1"
        response = self.site.request(method, path, body=body, headers=headers)
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response

    def csrf_token(self, path):
        text = self.request("GET", path).content.decode()
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)

    def log_in(self):
        token = self.csrf_token("/admin/login/")
        response = self.request(
            "POST",
            "/admin/login/?next=/admin/",
            {"csrfmiddlewaretoken": token, "username": "admin", "password": ADMIN_PASSWORD},
        )
        assert response.status == 302, response.content[:500]


def test_postgresql_stopped_answers_a_clean_503_quickly_and_recovers(
    site_database, postgres_server, start_site
):
    site = start_site(DATABASE_URL=site_database, PAGE_CACHE_TIMEOUT=0, CONN_MAX_AGE=60)
    pid = site.process.pid
    visitor = Browser(site)
    for path in PUBLIC_PAGES:
        assert site.request("GET", path).status == 200, path
    token = visitor.csrf_token("/newsletter/")  # a form opened before the outage
    staff = Browser(site)
    staff.log_in()

    postgres_server.stop("fast")
    try:
        # A public page the caches can make without the database (the home
        # page's list is a cached fragment) is still served; any other page is
        # a clean 503.
        for path in PUBLIC_PAGES:
            response = visitor.request("GET", path)
            assert response.status == 200 or is_clean_503(response), (path, response.status)
            assert response.seconds < 5, (path, response.seconds)
        for path in ["/news/2020/not-seen-before/", "/newsletter/", "/admin/",
                     "/admin/news/newsitem/"]:
            browser = staff if path.startswith("/admin/") else visitor
            response = browser.request("GET", path)
            assert is_clean_503(response), (path, response.status, response.content[:300])
            assert response.seconds < 5, (path, response.seconds)
            assert response.headers["Retry-After"]
        # A sign-up sent during the outage is refused plainly, and so not half-kept.
        response = visitor.request(
            "POST",
            "/newsletter/",
            {"csrfmiddlewaretoken": token, "email": "outage@example.com", "frequency": "weekly"},
        )
        assert is_clean_503(response), (response.status, response.content[:300])
        health = site.request("GET", "/healthz/")
        assert health.status == 503
        assert json.loads(health.content)["database"] == "error"
    finally:
        postgres_server.start()

    # The same gunicorn, with no restart, serves again as soon as PostgreSQL is back.
    wait_until(lambda: site.request("GET", "/healthz/").status == 200, 15, "healthz after restart")
    for path in PUBLIC_PAGES:
        assert site.request("GET", path).status == 200, path
    assert staff.request("GET", "/admin/news/newsitem/").status == 200
    assert site.process.pid == pid and site.process.poll() is None
    response = visitor.request(
        "POST",
        "/newsletter/",
        {"csrfmiddlewaretoken": token, "email": "after@example.com", "frequency": "weekly"},
    )
    assert response.status in (200, 302, 400), response.status  # the form answers again
    started = time.monotonic()
    assert site.request("GET", "/news/2020/").status == 200
    assert time.monotonic() - started < 5


def item_ids(staff):
    text = staff.request("GET", "/admin/news/newsitem/").content.decode()
    return re.findall(r'name="_selected_action" value="(\d+)"', text)


def run_admin_action(staff, action, pk):
    token = staff.csrf_token("/admin/news/newsitem/")
    return staff.request(
        "POST",
        "/admin/news/newsitem/",
        {"csrfmiddlewaretoken": token, "action": action, "_selected_action": pk, "index": 0},
    )


def admin_round(staff, site, pk, seconds=5):
    """What an editor does: open the list, unpublish an item and publish it again."""
    for action in ("unpublish", "publish"):
        response = run_admin_action(staff, action, pk)
        assert response.status == 302, (action, response.status, response.content[:300])
        assert response.seconds < seconds, (action, response.seconds)
    assert staff.request("GET", f"/admin/news/newsitem/{pk}/change/").status == 200


def redis_health(site):
    response = site.request("GET", "/healthz/")
    return response.status, json.loads(response.content).get("redis"), response.seconds


def break_redis(redis_server, fault):
    {"stopped": redis_server.stop, "frozen": redis_server.freeze, "full": redis_server.fill}[
        fault
    ]()


def mend_redis(redis_server, fault):
    if fault == "stopped":
        redis_server.start()
    elif fault == "frozen":
        redis_server.thaw()
    else:
        redis_server.client().config_set("maxmemory", "0")


def redis_site(start_site, site_database, redis_server):
    """The site as docker-compose runs it: the cache in Redis database 1, the broker in 0."""
    return start_site(
        DATABASE_URL=site_database,
        REDIS_URL=redis_server.url(1),
        CELERY_BROKER_URL=redis_server.url(0),
    )


@pytest.mark.parametrize("fault", ["stopped", "frozen", "full"])
def test_redis_fault_makes_healthz_503_at_once_and_it_recovers(
    fault, site_database, redis_server, start_site
):
    site = redis_site(start_site, site_database, redis_server)
    assert redis_health(site)[:2] == (200, "ok")
    break_redis(redis_server, fault)
    try:
        for _ in range(3):  # the same pooled connection, again and again
            status, redis, seconds = redis_health(site)
            assert (status, redis) == (503, "error") and seconds < 4, (status, redis, seconds)
    finally:
        mend_redis(redis_server, fault)
    # Back without restarting anything.
    wait_until(lambda: redis_health(site)[:2] == (200, "ok"), 10, "healthz after Redis returned")


@pytest.mark.parametrize(
    "fault",
    [
        "stopped",
        "frozen",
        "full",
    ],
)
def test_redis_fault_leaves_admin_usable(fault, site_database, redis_server, start_site):
    site = redis_site(start_site, site_database, redis_server)
    staff = Browser(site)
    staff.log_in()
    pk = item_ids(staff)[0]
    admin_round(staff, site, pk)
    break_redis(redis_server, fault)
    try:
        admin_round(staff, site, pk)
    finally:
        mend_redis(redis_server, fault)
    admin_round(staff, site, pk)


@pytest.mark.parametrize("fault", ["stopped", "frozen", "full"])
def test_redis_fault_keeps_public_pages_served_from_the_database(
    fault, site_database, redis_server, start_site
):
    """The page cache fails open: pages render from the database, quickly, and
    are cached again once Redis is back, with no restart."""
    site = redis_site(start_site, site_database, redis_server)
    for path in PUBLIC_PAGES:
        site.request("GET", path)  # in the page cache now
    assert site.request("GET", "/news/2020/").getheader("X-Page-Cache") == "hit"
    pid = site.process.pid
    break_redis(redis_server, fault)
    try:
        for _ in range(2):
            for path in PUBLIC_PAGES:
                response = site.request("GET", path)
                assert response.status == 200, (fault, path, response.status)
                assert response.seconds < 2, (fault, path, response.seconds)
                assert "public" in response.getheader("Cache-Control")
    finally:
        mend_redis(redis_server, fault)
    if fault == "stopped":
        redis_server.client(1).flushdb()  # a Redis that restarted empty
    wait_until(
        lambda: site.request("GET", "/news/2020/").getheader("X-Page-Cache") == "hit",
        15, "the page cache after Redis returned",
    )
    assert site.process.pid == pid


def test_postgresql_frozen_answers_a_clean_503_within_5s_and_recovers(
    site_database, postgres_server, start_site
):
    """A SIGSTOPped PostgreSQL keeps its connections open and its kernel ACKs
    every packet: only the client's own limits end the wait (common.database)."""
    site = start_site(DATABASE_URL=site_database, PAGE_CACHE_TIMEOUT=0, CONN_MAX_AGE=60)
    pid = site.process.pid
    for _ in range(3):  # every gunicorn worker holds an open connection now
        for path in PUBLIC_PAGES:
            assert site.request("GET", path).status == 200, path

    postgres_server.freeze()
    try:
        statuses = []
        for path in [*PUBLIC_PAGES, "/news/2020/not-seen-before/", "/newsletter/", "/news/2019/"]:
            response = site.request("GET", path)
            assert response.status == 200 or is_clean_503(response), (path, response.status)
            assert response.seconds < 5, (path, response.seconds)
            statuses.append((response.status, round(response.seconds, 1)))
        assert [status for status, _ in statuses].count(503) >= 6, statuses
        print("frozen:", statuses)
        # Many at once: no queue builds up behind the frozen server. A page
        # whose every part is in Redis may still be served (the next scheduled
        # change is read from the database only when Redis's copy has expired).
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(lambda _: site.request("GET", "/news/2020/"), range(16)))
        assert all(
            (r.status == 200 or is_clean_503(r)) and r.seconds < 5 for r in responses
        ), [
            (r.status, round(r.seconds, 1)) for r in responses
        ]
        probe = site.request("GET", "/healthz/?check=database")
        assert probe.status == 503 and probe.seconds < 5
    finally:
        postgres_server.thaw()

    # The same gunicorn, with no restart, serves again within seconds: each
    # worker tries the database again DATABASE_RETRY_AFTER_SECONDS (5) after
    # its last timeout.
    started = time.monotonic()

    def every_page_served():
        return all(site.request("GET", path).status == 200 for path in PUBLIC_PAGES * 2)

    wait_until(every_page_served, 15, "pages after thaw")
    recovery = time.monotonic() - started
    print(f"every page served {recovery:.1f}s after the thaw")
    assert site.process.pid == pid and site.process.poll() is None
    assert recovery < 10, recovery
