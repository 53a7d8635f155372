"""The production topology, driven as visitors, staff and an operator would:
make run-production started once for the session (tests/production/conftest.py).
The tests run in this file's order; each leaves the topology whole."""

import collections
import json
import os
import re
import signal
import subprocess
import time

import pytest

from tests.helpers import wait_until

from .conftest import Staff, item_admin_path

pytestmark = pytest.mark.slow

PDF = b"%PDF-1.4\n% a document uploaded through one replica\n" + os.urandom(2000).hex().encode()


def title_of(response):
    match = re.search(r"<h1[^>]*>(.*?)</h1>", response.text, re.S)
    return match.group(1).strip() if match else None


def demo_items(production, count):
    """(slug, url) of `count` published demo items of the same category."""
    out = production.shell(
        "import json\nfrom news.models import NewsItem\n"
        "items = NewsItem.objects.published().filter(category__slug='update').order_by('pk')\n"
        f"print(json.dumps([[i.slug, i.get_absolute_url()] for i in items[:{count}]]))"
    )
    return json.loads(out.strip().splitlines()[-1])


def cached_in_both(production, path):
    """Ask both Varnish nodes twice: the second answer must come from the cache."""
    for node in production.topology["varnish"]:
        production.behind(node["url"], "GET", path)
        response = production.behind(node["url"], "GET", path)
        assert response.status == 200, (path, response.status)
        assert response.getheader("X-Cache") == "HIT", (node, path)


def test_pages_are_served_over_https_with_a_certificate_for_the_site(production):
    for path in ["/", "/news/", "/news/2020/", "/news/category/update/", "/news/feed/",
                 "/robots.txt", "/maintenance/"]:
        response = production.https("GET", path)
        assert response.status == 200, (path, response.status, response.text[:300])
        assert "max-age=31536000" in response.getheader("Strict-Transport-Security", "")
    again = production.https("GET", "/news/2020/")
    assert again.getheader("X-Cache") == "HIT"
    assert "public" in again.getheader("Cache-Control")
    # Production, as shipped: DEBUG off and the HTTPS redirect on.
    assert production.env["DEBUG"] == "0" and production.env["SECURE_SSL_REDIRECT"] == "1"
    assert "Traceback" not in production.https("GET", "/no-such-page/").text


def test_plain_http_is_redirected_at_the_edge(production):
    response = production.http("GET", "/news/2020/?page=2")
    assert response.status == 301
    assert response.getheader("Location") == f"{production.origin}/news/2020/?page=2"
    assert response.getheader("X-Cache") is None  # answered by HAProxy, no cache involved


def test_a_plain_http_answer_behind_the_edge_never_reaches_https_visitors(production):
    """Someone reaching a Varnish node over plain HTTP (no X-Forwarded-Proto) gets
    the site's redirect; it must never be served to an HTTPS visitor."""
    path = "/news/category/management-info/"
    for node in production.topology["varnish"]:
        for _ in range(2):
            plain = production.behind(node["url"], "GET", path, {"X-Forwarded-Proto": None})
            assert plain.status == 301, (node, plain.status)
    for _ in range(3):
        assert production.https("GET", path).status == 200
    for node in production.topology["varnish"]:
        assert production.behind(node["url"], "GET", path).status == 200


def test_the_edge_refuses_purges_and_the_site_sees_the_real_client(production):
    for method in ("BAN", "PURGE"):
        assert production.https(method, "/").status == 405
    # A forged X-Forwarded-For is not believed: TRUSTED_PROXY_COUNT=2 (HAProxy,
    # Varnish) finds the address HAProxy saw. A failed log-in records it (axes).
    form = production.https("GET", "/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    cookie = form.getheader("Set-Cookie").split(";")[0]
    response = production.https(
        "POST", "/admin/login/",
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
         "Origin": production.origin, "Referer": production.origin + "/admin/login/",
         "X-Forwarded-For": "203.0.113.7"},
        f"csrfmiddlewaretoken={token}&username=nobody-{time.time_ns()}&password=wrong",
    )
    assert response.status == 200 and "Please enter the correct" in response.text
    addresses = production.shell(
        "from axes.models import AccessAttempt\n"
        "print(sorted(set(AccessAttempt.objects.values_list('ip_address', flat=True))))"
    )
    assert "'127.0.0.1'" in addresses and "203.0.113.7" not in addresses


def test_a_publishers_save_shows_through_both_caches_within_2s_and_nothing_else_is_purged(
    production,
):
    (slug, url), (_, other_url) = demo_items(production, 2)
    unrelated = [other_url, "/news/category/management-info/", "/privacy/", "/maintenance/"]
    related = [url, "/news/2020/", "/", "/news/feed/"]
    for path in related + unrelated:
        cached_in_both(production, path)

    staff = Staff(production, production.topology["web"][0]["url"])
    new_title = f"Insurer Index re-issued {time.time_ns()}"
    path = item_admin_path(production, slug)
    saving = time.monotonic()
    staff.change(path, {"title": new_title})
    saved = time.monotonic()
    print(f"the save took {saved - saving:.2f}s")

    def fresh_everywhere():
        return all(
            new_title in production.behind(node["url"], "GET", path).text
            for node in production.topology["varnish"] for path in related
        )

    wait_until(fresh_everywhere, 10, "the new title through both caches")
    seconds = time.monotonic() - saved
    assert seconds < 2, f"the new title showed after {seconds:.1f}s"
    for node in production.topology["varnish"]:
        for path in unrelated:
            response = production.behind(node["url"], "GET", path)
            assert response.getheader("X-Cache") == "HIT", (node["url"], path)


def test_a_document_uploaded_through_one_replica_downloads_through_the_other(production):
    (slug, _), = demo_items(production, 1)
    first, second = production.topology["web"]
    staff = Staff(production, first["url"])
    path = item_admin_path(production, slug)
    form = staff.form(path)
    row = dict(form.fields)["documents-INITIAL_FORMS"]
    staff.change(path, {f"documents-{row}-title": "Replica test report"},
                 files=[(f"documents-{row}-file", "report.pdf", PDF)])
    url = production.shell(
        "from news.models import Document\n"
        "print(Document.objects.get(title='Replica test report').get_absolute_url())"
    ).strip()
    response = production.behind(second["url"], "GET", url)
    assert response.status == 200, response.status
    assert response.content == PDF
    assert production.https("GET", url).content == PDF
    # Stored in the bucket, not on either replica's disk.
    name = production.shell(
        "from news.models import Document\n"
        "print(Document.objects.get(title='Replica test report').file.name)"
    ).strip()
    assert not (production.run_dir / "media").exists()
    assert name.startswith("documents/")


def test_postgresql_frozen_gives_a_503_within_5s_while_the_caches_serve_what_they_hold(
    production,
):
    cached = "/news/2020/"
    production.https("GET", cached)
    assert production.https("GET", cached).getheader("X-Cache") == "HIT"
    postmaster = production.topology["postgres"]["pid"]
    children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True,
                              text=True).stdout.split()
    processes = [postmaster, *map(int, children)]
    for pid in processes:
        os.kill(pid, signal.SIGSTOP)
    try:
        answers = []
        for n in range(6):
            response = production.https("GET", f"/news/search/?q=frozen{n}")
            answers.append((response.status, round(response.seconds, 1)))
            assert response.status == 503 and response.seconds < 5, answers
            held = production.https("GET", cached)
            assert held.status == 200 and held.seconds < 1, (held.status, held.seconds)
        print("frozen: uncached pages", answers)
    finally:
        for pid in processes:
            os.kill(pid, signal.SIGCONT)
    # Every process tries the database again within DATABASE_RETRY_AFTER_SECONDS
    # (5) of its last timeout, and the caches' probes find it answering.
    thawed = time.monotonic()

    def served_again():
        through_caches = all(
            production.https("GET", f"/news/search/?q=thawed{n}").status == 200
            for n in range(8)
        )
        by_every_replica = all(
            production.behind(web["url"], "GET", f"/news/search/?q=replica{n}").status == 200
            for web in production.topology["web"] for n in range(6)
        )
        return through_caches and by_every_replica

    wait_until(served_again, 20, "pages after the thaw")
    print(f"pages again {time.monotonic() - thawed:.1f}s after the thaw")
    # A gunicorn worker that the requests above did not reach may still be in
    # its 5 s pause; by then it has tried again too, and serves (the next test
    # logs in through one of them).
    time.sleep(max(0.0, thawed + 6 - time.monotonic()))
    assert all(
        production.behind(web["url"], "GET", f"/news/search/?q=later{n}").status == 200
        for web in production.topology["web"] for n in range(12)
    )


def test_redis_stopped_during_a_save_the_purge_is_delivered_once_it_returns(production):
    (slug, url), = demo_items(production, 3)[2:]
    for node in production.topology["varnish"]:
        production.behind(node["url"], "GET", url)
    staff = Staff(production, production.topology["web"][1]["url"])
    production.hold("redis")
    production.kill("redis", sig=signal.SIGTERM)
    redis_port = int(production.topology["redis"]["url"].rsplit(":", 1)[1].split("/")[0])
    wait_until(lambda: subprocess.run(["redis-cli", "-p", str(redis_port), "ping"],
                                      capture_output=True).returncode != 0, 10, "Redis down")
    new_title = f"Saved while Redis was down {time.time_ns()}"
    try:
        staff.change(item_admin_path(production, slug), {"title": new_title})
        time.sleep(2)
    finally:
        production.release("redis")
    wait_until(lambda: subprocess.run(["redis-cli", "-p", str(redis_port), "ping"],
                                      capture_output=True).stdout.strip() == b"PONG",
               20, "Redis back")
    back = time.monotonic()

    def fresh_everywhere():
        return all(new_title in production.behind(node["url"], "GET", url).text
                   for node in production.topology["varnish"])

    wait_until(fresh_everywhere, 30, "the purge after Redis returned")
    print(f"fresh in both caches {time.monotonic() - back:.1f}s after Redis returned")


SUBSCRIBERS = 40


def active_beat(production):
    """The beat holding the schedule's lock: its log says it acquired the lock
    after it last started."""
    for index in (0, 1):
        log = production.log(f"beat-{index + 1}")
        if "beat: Acquired lock" in log.rsplit("beat: Starting...", 1)[-1]:
            return index
    return None


def test_one_of_each_part_lost_the_site_serves_and_the_digest_goes_once(production):
    production.smtp.messages.clear()
    production.smtp.delay = 0.05  # a mail server that takes its time: the digest lasts seconds
    pages = ["/", "/news/2020/", "/news/category/update/", "/news/search/?q=index",
             "/privacy/", "/news/feed/atom/"]

    def site_serves(rounds=3):
        for n in range(rounds):
            for path in pages + [f"/news/search/?q=lost{n}{time.time_ns()}"]:
                response = production.https("GET", path)
                assert response.status == 200, (path, response.status,
                                                response.getheader("X-Cache"), response.text[:300])

    # A web replica and a cache node go, and stay down while the site is used.
    for part, name in [("web", "web-1"), ("varnish", "varnish-1")]:
        production.hold(name)
        production.kill(part, 0)
    try:
        time.sleep(0.5)
        site_serves()
    finally:
        production.release("web-1")
        production.release("varnish-1")

    # The active beat goes; the other takes the schedule over, and with it the
    # sweeps that give a lost worker's deliveries to the other.
    beat = active_beat(production)
    assert beat is not None
    production.hold(f"beat-{beat + 1}")
    production.kill("beat", beat)
    production.shell(
        "import datetime\nfrom django.utils import timezone\n"
        "from news.models import Category, NewsItem\nfrom newsletter.models import Subscriber\n"
        "long_ago = timezone.now() - datetime.timedelta(days=30)\n"
        "Subscriber.objects.bulk_create(Subscriber(email=f'reader{n:03d}@example.com',"
        " status=Subscriber.Status.CONFIRMED, frequency='immediate', confirmed_at=long_ago,"
        f" digested_until=long_ago) for n in range({SUBSCRIBERS}))\n"
        "NewsItem.objects.create(title='Lost parts digest item', slug='lost-parts-digest-item',"
        " category=Category.objects.get(slug='update'), date=timezone.localdate(),"
        " summary='An item for the digest.', status=NewsItem.Status.PUBLISHED,"
        " published_at=timezone.now() - datetime.timedelta(minutes=10))\n"
    )
    # What an operator types to send it now, rather than wait for the next
    # five-minute batch (beat may well send it first: each subscriber still
    # gets it once).
    production.manage("send_digests", "--frequency", "immediate")
    # Once deliveries start, one worker goes.
    wait_until(lambda: len(production.smtp.messages) >= 3, 90, "the digest starting")
    production.kill("worker", 0)
    site_serves(rounds=1)
    production.release(f"beat-{beat + 1}")

    def everyone_has_it():
        return len(set(production.smtp.recipients())) == SUBSCRIBERS

    wait_until(everyone_has_it, 120, "the digest for every subscriber")
    time.sleep(5)  # beats and sweeps go on: nothing more goes out
    counts = collections.Counter(production.smtp.recipients())
    twice = [address for address, count in counts.items() if count > 1]
    # At most what the killed worker had in flight (one message per process, two processes).
    assert len(twice) <= 2 and max(counts.values()) <= 2, counts.most_common(3)
    assert set(counts) == {f"reader{n:03d}@example.com" for n in range(SUBSCRIBERS)}
    production.smtp.delay = 0
    site_serves(rounds=1)
