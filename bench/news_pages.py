"""Benchmark of the public news pages against baselines measured in the same run.

    make bench            (or: .venv/bin/python bench/news_pages.py --help)

What it does, all on this machine's loopback:

1. for each size (2,000 and 100,000 items by default) drops and recreates a
   PostgreSQL database of its own (bench_news_2000, bench_news_100000),
   migrates it and loads that many published items over ten archive years
   and two categories (one in 21 mentions "quarterly", the common word searched);
2. counts the SQL queries of the year, item, feed and search pages with the
   page cache off (fragments warm) and with every cache off;
3. serves the site with gunicorn (2 sync workers, DEBUG off) three ways: the
   application's page cache on (Redis), off with fragment caches warm, and
   with every cache off; each page (year archive, item, RSS feed, search) is
   measured with wrk in rounds alternating with a constant Django page of the
   year page's size (the ratio's denominator) and with the same page rendered
   Wagtail-like, through a plain Django template with no database
   (bench/urls.py, printed beside it), so the shared machine's load hits all
   alike; first-time visitors send no cookies, returning visitors send a
   consent and a CSRF cookie (public pages are the same bytes for both);
4. at the largest size, puts Debian's Varnish with varnish/default.vcl in
   front of the cached gunicorn and compares the year and item pages through
   it with nginx serving the same bytes as static files (the baseline of that path);
5. through Varnish: publishes an item (the same save admin makes) and times
   until the page shows it (purge), schedules one 3 s ahead and times until
   it shows after its moment (no purge), and floods 10,000 made-up query
   strings, counting Varnish's objects and Redis's keys before and after;
6. checks the 304 answer to a page's own ETag.

Targets (issues 10 and 23), each a ratio in this run at every size; the exit
status is 1 when one is missed.
Needs PostgreSQL (BENCH_DATABASE_URL), Redis (BENCH_REDIS_URL, a database
number of its own: the benchmark empties it), Debian's varnish, nginx and wrk
(installed with apt-get when missing).
"""

import argparse
import contextlib
import datetime
import glob
import gzip
import http.client
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from django.utils.text import slugify  # noqa: E402

from bench import common  # noqa: E402
from bench.common import free_port, recreate_database  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_news"
DEFAULT_SIZES = "2000,100000"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/4"
# (mode, page) -> least ratio to the baseline.
TARGETS = {
    ("varnish", "year page"): 0.5,
    ("varnish", "item page"): 0.5,
    ("cached", "year page"): 0.7,
    ("cached", "item page"): 0.7,
    ("cached", "year page, returning visitor"): 0.7,
    ("cached", "item page, returning visitor"): 0.7,
    ("cached", "search"): 0.05,
    ("fragments", "year page"): 0.2,
    ("fragments", "item page"): 0.2,
    ("no cache", "year page"): 0.05,
    ("no cache", "item page"): 0.08,
}
SEARCH = "/news/search/?q=quarterly"
FRESHNESS_SECONDS = 2
FLOOD_REQUESTS = 10_000
FLOOD_MAX_NEW_ENTRIES = 5
MAX_YEAR_PAGE_QUERIES = 5
CONSTANT = "/bench/constant/"
BENCH_YEAR_OFFSET = 5  # the measured year archive: the middle of the ten


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--items", default=DEFAULT_SIZES,
        help=f"sizes to measure, comma-separated: items loaded for each [{DEFAULT_SIZES}]",
    )
    parser.add_argument("--years", type=int, default=10, help="archive years [10]")
    parser.add_argument("--duration", type=int, default=4,
                        help="seconds of each measurement [4]")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating constant/page rounds per page [3]")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up seconds per URL [1]")
    parser.add_argument("--connections", type=int, default=4, help="open connections [4]")
    parser.add_argument(
        "--max-requests", type=int, default=200_000,
        help="cap per page for the Python load generator [200000]",
    )
    parser.add_argument(
        "--load-generator", choices=["auto", "wrk", "python"], default="auto",
        help="wrk when available (auto installs it from Debian when possible) [auto]",
    )
    parser.add_argument("--keep-data", action="store_true",
                        help="reuse each size's database if it already holds the items")
    return parser.parse_args()


# --- environment ---------------------------------------------------------------------------

def base_environment(database_url):
    """What the bench process and both servers share: production-like settings."""
    env = {
        name: value for name, value in os.environ.items()
        if name not in {"REDIS_URL", "CELERY_BROKER_URL", "PAGE_CACHE_TIMEOUT", "EMAIL_HOST"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SITE_URL="http://127.0.0.1:8000",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="WARNING",
        CONN_MAX_AGE="60",
        CACHE_KEY_PREFIX="bench",
    )
    return env




# --- data ----------------------------------------------------------------------------------

SUMMARY = (
    "The Claims Portal has been updated. This release covers the Insurer Index, "
    "changes to the process for {category} claims and the management information "
    "for the month, which is now available to download from this page."
)
BODY = "".join(
    f"<p>Paragraph {n} of the item: the portal's users should read the attached guidance, "
    "check the <a href=\"https://www.example.org/guidance\">updated process</a> and contact "
    "the service desk with any questions about the <strong>changes</strong>.</p>"
    for n in range(1, 9)
)


def news_texts(n, category, date):
    title = f"{category.name} {n}: portal news for {date:%d/%m/%Y}"
    summary = SUMMARY.format(category=category.name.lower())
    if n % 21 == 0:  # the common word searched: 95 items in 2,000
        summary += " The quarterly figures are attached."
    return title, slugify(title), summary, BODY


def load_items(count, years):
    from django.db import connection

    from news.models import NewsItem, update_search_vectors

    started = time.monotonic()
    first_year = common.load_items(count, years, news_texts)
    update_search_vectors(NewsItem.objects.all())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"bench: loaded {count:,} items in {time.monotonic() - started:.1f}s "
          f"({first_year}-{first_year + years - 1})")


def pages():
    """The measured URLs: (label, path)."""
    from news.models import NewsItem

    years = list(
        NewsItem.objects.order_by("archive_year").values_list("archive_year", flat=True).distinct()
    )
    year = years[min(BENCH_YEAR_OFFSET, len(years) - 1)]
    items = NewsItem.objects.filter(archive_year=year).order_by("date", "position")
    item = items[items.count() // 2]
    return [
        ("year page", f"/news/{year}/"),
        ("item page", item.get_absolute_url()),
        ("RSS feed", "/news/feed/"),
        ("search", SEARCH),
    ]


def wagtail_like(path):
    """The same page through a plain Django template, no database (bench/urls.py)."""
    if path == SEARCH:
        return "/bench/baseline/search/?q=quarterly"
    if path.startswith("/news/") and path[6:10].isdigit():
        return "/bench/baseline/" + path[6:]
    return None


def count_queries(measured, every_cache_off=False):
    """Queries and byte size of each page, in-process, with the page cache off
    (the layout's site-wide values and fragments cached, after a warm-up), or
    with every cache off."""
    from django.test.utils import override_settings

    overrides = {"PAGE_CACHE_TIMEOUT": 0}
    if every_cache_off:
        overrides["CACHES"] = {
            "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
        }
    with override_settings(**overrides):
        return {label: _count(path) for label, path in measured}


def _count(path):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.get(path)  # warm: templates, and the caches that are on
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    if response.status_code != 200:
        sys.exit(f"bench: {path} answered {response.status_code}")
    return len(queries), len(response.content), [q["sql"] for q in queries]


# --- serving -------------------------------------------------------------------------------



def get(port, path, headers=None):
    status, headers, _, body = request(port, "GET", path, headers)
    return status, headers, body


def request(port, method, path, headers=None, body=None):
    """(status, headers, Set-Cookie values, body) of one request."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        cookies = response.headers.get_all("Set-Cookie") or []
        return response.status, dict(response.getheaders()), cookies, response.read()
    finally:
        connection.close()


def returning_visitor(port):
    """The Cookie header of a visitor who accepted cookies in the banner (its
    script's JSON request) and holds a CSRF cookie from a private page."""
    status, _, cookies, _ = request(port, "GET", "/cookies/")
    jar = dict(cookie.split(";", 1)[0].split("=", 1) for cookie in cookies)
    status, _, cookies, _ = request(port, "POST", "/cookies/consent/", {
        "Content-Type": "application/json", "Origin": f"http://127.0.0.1:{port}",
    }, '{"cookies": "accept"}')
    jar.update(cookie.split(";", 1)[0].split("=", 1) for cookie in cookies)
    if status != 200 or "cookie_consent" not in jar or "csrftoken" not in jar:
        raise SystemExit(f"bench: the consent endpoint answered {status} without the cookies")
    return f"csrftoken={jar['csrftoken']}; cookie_consent={jar['cookie_consent']}"


def apt_get(package):
    """Install a Debian package, when this process may."""
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"bench: installing Debian's {package} with apt-get")
        quiet = {"stdout": subprocess.DEVNULL, "stdin": subprocess.DEVNULL}
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, **quiet)
        subprocess.run(["apt-get", "install", "-y", "-qq", package], env=env, check=False, **quiet)


def apt_install(command, package):
    sbin = f"/usr/sbin/{command}"
    path = shutil.which(command) or (sbin if os.path.exists(sbin) else None)
    if path is None:
        apt_get(package)
        path = shutil.which(command) or sbin
    if path is None or not os.path.exists(path):
        sys.exit(f"bench: {package} is not installed and could not be installed")
    return path


XKEY = "/usr/lib/*/varnish/vmods/libvmod_xkey.so"


def varnishd_with_xkey():
    """varnishd and varnish-modules' xkey, which default.vcl imports."""
    varnishd = apt_install("varnishd", "varnish")
    if not glob.glob(XKEY):
        apt_get("varnish-modules")
    if not glob.glob(XKEY):
        sys.exit("bench: varnish-modules (xkey) is not installed and could not be installed")
    return varnishd


def wait_for(port, path="/robots.txt"):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            get(port, path)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"bench: nothing answered on port {port}")


@contextlib.contextmanager
def varnish(backend_port, workdir):
    """Debian's varnishd with the repository's VCL in front of `backend_port`."""
    varnishd = varnishd_with_xkey()
    port = free_port()
    (workdir / "backend.vcl").write_text(
        f'backend default {{ .host = "127.0.0.1"; .port = "{backend_port}"; '
        '.probe = { .url = "/healthz/"; .interval = 2s; .window = 3; .threshold = 2; '
        '.initial = 2; } }\nacl purgers { "127.0.0.1"; }\n'
    )
    process = subprocess.Popen(
        [varnishd, "-F", "-j", "none", "-n", str(workdir / "varnish"), "-a", f"127.0.0.1:{port}",
         "-T", "none", "-p", f"vcl_path={workdir}:{ROOT / 'varnish'}",
         "-f", str(ROOT / "varnish" / "default.vcl"), "-s", "malloc,256m"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=15)


def varnish_objects(workdir):
    out = subprocess.run(
        ["varnishstat", "-n", str(workdir / "varnish"), "-1", "-f", "MAIN.n_object"],
        capture_output=True, text=True, check=True,
    ).stdout
    return int(out.split()[1])


@contextlib.contextmanager
def nginx(files, workdir):
    """Debian's nginx serving `files` ({name: bytes}) as static files: the
    baseline of the shared-cache path."""
    binary = apt_install("nginx", "nginx")
    port = free_port()
    root = workdir / "static"
    root.mkdir()
    for name, content in files.items():
        (root / name).write_bytes(content)
        (root / f"{name}.gz").write_bytes(gzip.compress(content))
    config = workdir / "nginx.conf"
    config.write_text(
        f"daemon off; user root; worker_processes 1; pid {workdir}/nginx.pid;\n"
        f"error_log {workdir}/nginx-error.log;\n"
        "events { worker_connections 256; }\n"
        "http { access_log off; default_type text/html; keepalive_requests 100000;\n"
        "  gzip_static on; gzip_vary on;\n"
        f"  server {{ listen 127.0.0.1:{port}; root {root}; }} }}\n"
    )
    process = subprocess.Popen([binary, "-c", str(config), "-p", str(workdir)])
    try:
        wait_for(port, "/" + next(iter(files)))
        yield port
    finally:
        process.terminate()
        process.wait(timeout=15)


@contextlib.contextmanager
def gunicorn(env):
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "portal_site.wsgi",
        "--workers", "2", "--worker-class", "sync",
        "--bind", f"127.0.0.1:{port}", "--no-control-socket",
        "--log-level", "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(port, "/healthz/")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("bench: gunicorn did not start (see its output above)")
            time.sleep(0.3)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- load generators -----------------------------------------------------------------------

def find_wrk(choice):
    if choice == "python":
        return None
    wrk = shutil.which("wrk")
    if wrk is None and choice in ("auto", "wrk"):
        apt_get("wrk")
        wrk = shutil.which("wrk")
    if wrk is None and choice == "wrk":
        sys.exit("bench: wrk is not installed and could not be installed")
    return wrk


def run_wrk(wrk, port, path, seconds, connections, cookie=None, gzip=False):
    header = ["--header", f"Cookie: {cookie}"] if cookie else []
    if gzip:
        header += ["--header", "Accept-Encoding: gzip"]
    output = subprocess.run(
        [wrk, "--threads", "1", "--connections", str(connections), "--duration", f"{seconds}s",
         "--timeout", "10s", *header, f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True, timeout=seconds + 30,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:.*", output)
    if bad or errors:
        raise SystemExit(f"bench: {path} failed under load:\n{output}")
    return rate


def run_python(port, path, seconds, connections, max_requests, cookie=None, gzip=False):
    """Keep-alive GETs from `connections` threads until time or the request cap runs out."""
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    done = [0]
    failures = []

    def worker():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < deadline:
            with lock:
                if done[0] >= max_requests:
                    return
                done[0] += 1
            headers = {"Cookie": cookie} if cookie else {}
            if gzip:
                headers["Accept-Encoding"] = "gzip"
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures.append(response.status)
                return
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"bench: {path} answered {failures[0]} under load")
    return done[0] / (time.monotonic() - started)


def rate(port, path, seconds, args, wrk, cookie=None, gzip=False):
    if wrk:
        return run_wrk(wrk, port, path, seconds, args.connections, cookie, gzip)
    return run_python(port, path, seconds, args.connections, args.max_requests, cookie, gzip)


def fetch_ok(port, path, cookie=None):
    status, _, body = get(port, path, {"Cookie": cookie} if cookie else None)
    if status != 200:
        raise SystemExit(f"bench: {path} answered {status}")
    return len(body)


def measure(port, path, args, wrk, cookie=None, baseline_at=None, gzip=False, beside=None):
    """Requests/s of `path` and of the constant page, in alternating rounds,
    and of `beside` (the Wagtail-like page) when given.

    Each round measures the constant page and then `path` (and `beside`) back
    to back, so a change in the machine's load (2 cores, shared) hits them
    alike; the ratios are the medians of the rounds' ratios, the rates the
    medians of the rounds' rates: (baseline, page, ratio, beside's ratio or None).
    """
    baseline_port, baseline_path = baseline_at or (port, CONSTANT)
    rounds = []
    for _ in range(args.rounds):
        baseline = rate(baseline_port, baseline_path, args.duration, args, wrk, gzip=gzip)
        page = rate(port, path, args.duration, args, wrk, cookie, gzip)
        other = rate(port, beside, args.duration, args, wrk, gzip=gzip) if beside else None
        rounds.append((baseline, page, page / baseline, other / baseline if beside else 0.0))
    medians = [statistics.median(column) for column in zip(*rounds, strict=True)]
    return medians[:3] + [medians[3] if beside else None]


def conditional_get(port, path, cookie=None):
    """Status of a request carrying the ETag of a first response (304 expected)."""
    headers = {"Cookie": cookie} if cookie else {}
    status, response_headers, _ = get(port, path, headers)
    etag = response_headers.get("ETag")
    if status != 200 or not etag:
        return f"no ETag (status {status})"
    again, _, body = get(port, path, {**headers, "If-None-Match": etag})
    return f"{again}" + ("" if again == 304 else f" ({len(body)} bytes)")


# --- main ----------------------------------------------------------------------------------

def flood(port, path, count):
    """`count` GETs of `path` with distinct made-up query strings, on one connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for n in range(count):
            query = f"?utm_source=bench{n}&gclid={n}&fbclid={n}&made-up-{n}={n}"
            connection.request("GET", path + query)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"bench: the flood got {response.status} for {query}")
    finally:
        connection.close()


def seconds_until_shown(port, path, title, since, limit=10):
    """Seconds from `since` (epoch) until `path` through `port` shows `title`."""
    while time.time() < since + limit:
        if title.encode() in get(port, path)[2]:
            return time.time() - since
        time.sleep(0.05)
    return None


def freshness(port, year_path):
    """Through Varnish: a published item, then a scheduled one, appearing on the year page."""
    from django.conf import settings
    from django.utils import timezone

    from news.models import Category, NewsItem

    year = int(year_path.strip("/").split("/")[-1])
    results = {}
    get(port, year_path)  # cached
    published = time.time()
    NewsItem.objects.create(  # post_save: purges its pages by key, as from admin
        title="Bench: published now", category=Category.objects.first(),
        date=datetime.date(year, 12, 31), archive_year=year, summary="Published now.",
        status=NewsItem.Status.PUBLISHED, published_at=timezone.now(),
    )
    results["published"] = seconds_until_shown(port, year_path, "Bench: published now", published)
    moment = time.time() + 3
    NewsItem.objects.create(
        title="Bench: scheduled", category=Category.objects.first(),
        date=datetime.date(year, 12, 31), archive_year=year, summary="Scheduled.",
        status=NewsItem.Status.PUBLISHED,
        published_at=timezone.now() + datetime.timedelta(seconds=3),
    )
    settings.FRONTEND_CACHE_URLS = []  # after this save, no purge: the moment alone shows it
    get(port, year_path)  # cached again, before its moment
    shown = seconds_until_shown(port, year_path, "Bench: scheduled", moment - 3)
    results["scheduled"] = None if shown is None else max(0.0, shown - 3)
    return results


def size_database(database_url, size):
    """BENCH_DATABASE_URL's database name with the size: bench_news_2000."""
    parts = urllib.parse.urlsplit(database_url)
    return urllib.parse.urlunsplit(parts._replace(path=f"{parts.path}_{size}"))


def use_database(database_url):
    """Point this process's Django connection at `database_url`'s database
    (on the same server, with the same options)."""
    from django.db import connections

    connections["default"].close()
    connections["default"].settings_dict["NAME"] = urllib.parse.urlsplit(database_url).path[1:]


def measure_size(size, args, env, redis_url, wrk, largest, rows, conditional, checks, queries):
    """Load (or reuse) `size` items and measure every mode; at the largest
    size also through Varnish, freshness and the flood."""
    import redis
    from django.conf import settings
    from django.core.management import call_command

    from news.models import NewsItem

    database_url = size_database(env["DATABASE_URL"], size)
    env = {**env, "DATABASE_URL": database_url}
    use_database(database_url)
    if not (args.keep_data and common.holds_items(size)):
        recreate_database(database_url)
        use_database(database_url)
        call_command("migrate", verbosity=0)
        load_items(size, args.years)
    else:
        print(f"bench: reusing {NewsItem.objects.count():,} items in {database_url}")

    measured = pages()
    counted = count_queries(measured)
    uncached = count_queries(measured, every_cache_off=True)
    queries[size] = (counted, uncached)
    env["BENCH_CONSTANT_PAGE_SIZE"] = str(counted["year page"][1])

    store = redis.Redis.from_url(redis_url)
    year_path, item_path = measured[0][1], measured[1][1]
    servers = [
        ("cached", {**env, "REDIS_URL": redis_url}),
        ("fragments", {**env, "REDIS_URL": redis_url, "PAGE_CACHE_TIMEOUT": "0"}),
        ("no cache", {**env, "DJANGO_SETTINGS_MODULE": "bench.settings_nocache"}),
    ]
    fresh = None
    for mode, server_env in servers:
        store.flushdb()
        with gunicorn(server_env) as port:
            returning = returning_visitor(port) if mode == "cached" else None
            runs = [(label, path, None) for label, path in measured]
            if mode == "cached":
                runs += [("year page, returning visitor", year_path, returning),
                         ("item page, returning visitor", item_path, returning)]
            elif mode == "fragments":
                runs = [run for run in runs if run[0] != "search"]  # the same as cached
            else:
                runs = runs[:2]
            for _, path, cookie in [("constant", CONSTANT, None), *runs]:
                fetch_ok(port, path, cookie)
                rate(port, path, args.warmup, args, wrk, cookie)  # warm: caches, connections
                if wagtail_like(path) and cookie is None:
                    fetch_ok(port, wagtail_like(path))
                    rate(port, wagtail_like(path), args.warmup, args, wrk)
            for label, path, cookie in runs:
                beside = wagtail_like(path) if cookie is None else None
                baseline, page, ratio, other = measure(port, path, args, wrk, cookie,
                                                       beside=beside)
                size_bytes = fetch_ok(port, path, cookie)
                rows.append((size, label, mode, path, size_bytes, baseline, page, ratio, other))
                conditional[(size, label, mode)] = conditional_get(port, path, cookie)
            if mode == "cached" and largest:
                keys = store.dbsize()
                flood(port, year_path, FLOOD_REQUESTS)
                checks["Redis keys added by the flood, application alone"] = (
                    store.dbsize() - keys)
                with tempfile.TemporaryDirectory() as workdir:
                    workdir = Path(workdir)
                    with varnish(port, workdir) as cache_port:
                        files = {"year.html": get(port, year_path)[2],
                                 "item.html": get(port, item_path)[2]}
                        with nginx(files, workdir) as static_port:
                            for label, path, name in (("year page", year_path, "year.html"),
                                                      ("item page", item_path, "item.html")):
                                fetch_ok(cache_port, path)
                                rate(cache_port, path, args.warmup, args, wrk, gzip=True)
                                # As browsers ask: compressed, from both servers.
                                baseline, page, ratio, _ = measure(
                                    cache_port, path, args, wrk,
                                    baseline_at=(static_port, "/" + name), gzip=True)
                                rows.append((size, label, "varnish", path, len(files[name]),
                                             baseline, page, ratio, None))
                        objects, keys = varnish_objects(workdir), store.dbsize()
                        flood(cache_port, year_path, FLOOD_REQUESTS)
                        checks["Varnish objects added by the flood"] = (
                            varnish_objects(workdir) - objects)
                        checks["Redis keys added by the flood, through Varnish"] = (
                            store.dbsize() - keys)
                        settings.FRONTEND_CACHE_URLS = [f"http://127.0.0.1:{cache_port}"]
                        fresh = freshness(cache_port, year_path)
                        settings.FRONTEND_CACHE_URLS = []
    return fresh


def main():
    args = parse_args()
    sizes = sorted(int(size) for size in args.items.split(","))
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    env = base_environment(database_url)

    # This process shares the servers' Redis, so that its saves purge their page cache.
    os.environ.clear()
    os.environ.update(env, REDIS_URL=redis_url, CELERY_BROKER_URL="",
                      DATABASE_URL=size_database(database_url, sizes[0]))
    import django

    django.setup()
    from portal_site.celery import app as celery_app

    celery_app.conf.task_always_eager = True  # this process purges in-process
    wrk = find_wrk(args.load_generator)
    generator = (f"wrk -t1 -c{args.connections} -d{args.duration}s" if wrk
                 else f"Python keep-alive loop, {args.connections} connections, {args.duration}s")
    print(f"bench: load generator: {generator}; gunicorn 2 sync workers; "
          f"{os.cpu_count()} CPUs shared with PostgreSQL, Redis, Varnish and the generator; "
          f"load average at the start {os.getloadavg()[0]:.1f}")

    rows, conditional, checks, queries = [], {}, {}, {}
    fresh = None
    for size in sizes:
        fresh = measure_size(size, args, env, redis_url, wrk, size == sizes[-1],
                             rows, conditional, checks, queries) or fresh
    return report(args, rows, conditional, checks, queries, fresh)


def report(args, rows, conditional, checks, queries, fresh):
    print()
    print(f"load average at the end {os.getloadavg()[0]:.1f}; {args.rounds} rounds of "
          f"{args.duration}s per page, medians; the constant page is the year page's size")
    print("modes: cached = the application's page cache on (Redis); fragments = page cache")
    print("off, fragment caches warm; no cache = every cache off; varnish = through Varnish,")
    print("against nginx serving the same bytes as a static file. ratio = page / constant")
    print("page; wagtail-like = the same page through a plain Django template, no database")
    print(f"{'items':>7} {'page':<29} {'mode':<9} {'bytes':>6} {'constant':>9} {'page':>8} "
          f"{'ratio':>6} {'target':>7} {'wagtail-like':>12}")
    print(f"{'':>7} {'':<29} {'':<9} {'':>6} {'req/s':>9} {'req/s':>8}")
    missed = []
    for size, label, mode, _, size_bytes, baseline, page, ratio, other in rows:
        target = TARGETS.get((mode, label))
        flag = ""
        if target and ratio < target:
            missed.append(f"{size:,} items, {label}, {mode}: {ratio:.3f} < {target}")
            flag = "  MISSED"
        target_text = f">={target}" if target else ""
        other_text = f"{other:.3f}" if other is not None else ""
        print(f"{size:>7} {label:<29} {mode:<9} {size_bytes:>6} {baseline:>9.1f} {page:>8.1f} "
              f"{ratio:>6.3f} {target_text:>7} {other_text:>12}{flag}")
    print()
    print("SQL queries per page (in-process): page cache off with fragments warm, and")
    print("every cache off (the layout's timers, cookie policy and notices read too):")
    for size, (counted, uncached) in queries.items():
        for label, (count, _, sql) in counted.items():
            limit = f" (target <= {MAX_YEAR_PAGE_QUERIES})" if label == "year page" else ""
            print(f"  {size:>7,} items, {label:<10} {count}{limit}; "
                  f"every cache off: {uncached[label][0]}")
            if label == "year page" and count > MAX_YEAR_PAGE_QUERIES:
                missed.append(f"year page: {count} queries > {MAX_YEAR_PAGE_QUERIES}")
                print("  year page queries:\n    " + "\n    ".join(sql))
    print()
    if fresh is not None:
        print(f"Freshness through Varnish (target <= {FRESHNESS_SECONDS} s):")
        for what, seconds in fresh.items():
            text = "never (10 s)" if seconds is None else f"{seconds:.2f} s"
            print(f"  {what:<10} item shown after {text}")
            if seconds is None or seconds > FRESHNESS_SECONDS:
                missed.append(f"{what} item shown after {text}")
        print()
    print(f"Flood of {FLOOD_REQUESTS:,} made-up query strings (target <= "
          f"{FLOOD_MAX_NEW_ENTRIES} new entries):")
    for what, added in checks.items():
        print(f"  {what:<50} {added}")
        if added > FLOOD_MAX_NEW_ENTRIES:
            missed.append(f"{what}: {added}")
    print()
    print("Conditional GET (If-None-Match with the first response's ETag):")
    for (size, label, mode), result in conditional.items():
        print(f"  {size:>7,} items, {label + ', ' + mode:<38} {result}")
    if any(result != "304" for result in conditional.values()):
        missed.append("a page did not answer 304 to its own ETag")
    print()
    if missed:
        print("bench: targets missed:\n  " + "\n  ".join(missed))
        return 1
    print("bench: every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
