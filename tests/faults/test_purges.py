"""A purge is never lost: the broker and the page cache (Redis) stopped while
a Publisher saves, behind Varnish, with a real worker and beat. The purge is
owed in PostgreSQL and delivered once Redis is back.

Needs PostgreSQL's server binaries, redis-server and Varnish: skipped on a
laptop without them, failed in CI."""

import re
import time
from pathlib import Path

import pytest

from tests.helpers import free_port, require, wait_until
from tests.varnish.conftest import VARNISHD, Varnish, fetch, xkey_installed

from .test_outages import Browser, run_admin_action

pytestmark = pytest.mark.slow


@pytest.fixture
def varnish_port(tmp_path):
    require(Path(VARNISHD).exists() and xkey_installed(),
            "needs Varnish: apt-get install varnish varnish-modules")
    return free_port()


def test_redis_stopped_during_a_save_the_page_is_fresh_soon_after_it_returns(
    site_database, redis_server, start_site, start_worker, varnish_port, tmp_path
):
    env = {
        "DATABASE_URL": site_database,
        "REDIS_URL": redis_server.url(0),
        "FRONTEND_CACHE_URLS": f"http://127.0.0.1:{varnish_port}",
        "PURGE_RETRY_SECONDS": 1,
        "CONN_MAX_AGE": 0,
    }
    site = start_site(**env)
    cache = Varnish(tmp_path / "varnish", site.port, port=varnish_port)
    try:
        start_worker(beat=True, **env)
        staff = Browser(site)
        staff.log_in()
        listing = site.request("GET", "/news/2020/").content.decode()
        pk, path, title = re.search(
            r'id="news-item-(\d+)"><a href="([^"]+)">([^<]+)</a>', listing
        ).groups()
        for url in (path, "/news/2020/", "/privacy/"):
            fetch(cache.url + url)
            assert fetch(cache.url + url)[1]["x-cache"] == "HIT", url

        redis_server.stop()
        response = run_admin_action(staff, "unpublish", pk)
        assert response.status == 302, response.content[:300]
        assert site.request("GET", path).status == 404  # the database has it
        time.sleep(3)  # beat tries every second: nothing can be delivered
        assert title.encode() in fetch(cache.url + "/news/2020/")[2], "purged without Redis?"

        redis_server.start()
        returned = time.monotonic()
        wait_until(lambda: title.encode() not in fetch(cache.url + "/news/2020/")[2], 15,
                   "the year page without the unpublished item")
        wait_until(lambda: fetch(cache.url + path)[0] == 404, 5, "the item's page gone")
        assert time.monotonic() - returned < 15
        # What the save did not change stayed in the cache throughout.
        assert fetch(cache.url + "/privacy/")[1]["x-cache"] == "HIT"
        assert run_admin_action(staff, "publish", pk).status == 302  # as other tests found it
    finally:
        cache.stop()

