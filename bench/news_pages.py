"""Benchmark of the public news pages against a constant page, in one run.

    make bench            (or: .venv/bin/python bench/news_pages.py --help)

What it does, all on this machine's loopback:

1. drops and recreates its own PostgreSQL database (bench_news), migrates it
   and loads 100,000 published items over ten archive years and two categories;
2. counts the SQL queries of the uncached year page, in-process;
3. serves the site with gunicorn (2 sync workers, DEBUG off) twice: with the
   page cache off (PAGE_CACHE_TIMEOUT=0), then with it on, in Redis;
4. drives each server with wrk (Debian's; installed with apt-get when missing
   and possible, else a small Python load generator), bounded in time: the
   year archive, an item page and the RSS feed, each in rounds alternating with
   a constant Django page of the same byte size as the year page (the baseline),
   so that the shared machine's changing load hits both alike;
5. measures the year page again for a returning visitor: one who accepted
   cookies in the banner's form (no JavaScript) and so sends the consent and
   CSRF cookies; a first-time visitor's page carries the banner, whose form
   needs a CSRF secret and token minted for that visitor on every request;
6. checks that a request carrying the ETag of a first response gets 304;
7. prints requests per second and each page's ratio to the constant page
   measured by the same server in the same run.

Targets (issue 2): uncached year page >= 0.15 of the constant page with at
most 5 queries; cached pages >= 0.8. The exit status is 1 when one is missed.
Needs PostgreSQL (BENCH_DATABASE_URL) and Redis (BENCH_REDIS_URL, a database
number of its own: the benchmark empties it).
"""

import argparse
import contextlib
import datetime
import http.client
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, recreate_database  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_news"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/4"
TARGETS = {"uncached": 0.15, "cached": 0.8}
MAX_YEAR_PAGE_QUERIES = 5
CATEGORIES = [("Update", "update"), ("Management info", "management-info")]
CONSTANT = "/bench/constant/"
BENCH_YEAR_OFFSET = 5  # the measured year archive: the middle of the ten


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000, help="items to load [100000]")
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
                        help="reuse bench_news if it already holds the items")
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


def load_items(count, years):
    from django.db import connection, transaction
    from django.utils.text import slugify

    from news.models import Category, NewsItem

    categories = []
    for order, (name, slug) in enumerate(CATEGORIES):
        category, _ = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "order": order}
        )
        categories.append(category)

    london = ZoneInfo("Europe/London")
    last_year = datetime.date.today().year - 1
    first_year = last_year - years + 1
    per_year = count // years
    batch = []
    started = time.monotonic()
    with transaction.atomic():
        for year in range(first_year, last_year + 1):
            days = (datetime.date(year, 12, 31) - datetime.date(year, 1, 1)).days + 1
            positions = {}
            for i in range(per_year):
                date = datetime.date(year, 1, 1) + datetime.timedelta(days=i * days // per_year)
                position = positions[date] = positions.get(date, -1) + 1
                category = categories[i % len(categories)]
                title = f"{category.name} {i + 1}: portal news for {date:%d/%m/%Y}"
                batch.append(NewsItem(
                    title=title,
                    slug=slugify(title),
                    category=category,
                    date=date,
                    archive_year=year,
                    summary=SUMMARY.format(category=category.name.lower()),
                    body=BODY,
                    status=NewsItem.Status.PUBLISHED,
                    published_at=datetime.datetime.combine(date, datetime.time(9), london),
                    position=position,
                ))
                if len(batch) == 5000:
                    NewsItem.objects.bulk_create(batch)
                    batch = []
        NewsItem.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"bench: loaded {NewsItem.objects.count():,} items in "
          f"{time.monotonic() - started:.1f}s ({first_year}-{last_year})")


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
    ]


def count_queries(measured):
    """Queries and byte size of each page with the page cache off, in-process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    results = {}
    for label, path in measured:
        client.get(path)  # warm: the first request of a process loads templates
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        if response.status_code != 200:
            sys.exit(f"bench: {path} answered {response.status_code}")
        results[label] = (len(queries), len(response.content), [q["sql"] for q in queries])
    return results


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


def returning_visitor(port, path):
    """The Cookie header of a visitor who accepted additional cookies in the
    banner of `path` with JavaScript off, as a browser would send it afterwards."""
    status, _, cookies, body = request(port, "GET", path)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    jar = dict(cookie.split(";", 1)[0].split("=", 1) for cookie in cookies)
    if status != 200 or token is None or "csrftoken" not in jar:
        raise SystemExit(f"bench: {path} showed no cookie banner form (status {status})")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1).decode(), "cookies": "accept", "next": path}
    )
    status, _, cookies, _ = request(port, "POST", "/cookies/consent/", {
        "Cookie": f"csrftoken={jar['csrftoken']}",
        "Content-Type": "application/x-www-form-urlencoded",
    }, form)
    jar.update(cookie.split(";", 1)[0].split("=", 1) for cookie in cookies)
    if status != 303 or "cookie_consent" not in jar:
        raise SystemExit(f"bench: the banner's form answered {status} without a consent cookie")
    return f"csrftoken={jar['csrftoken']}; cookie_consent={jar['cookie_consent']}"


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
    if wrk is None and choice in ("auto", "wrk") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("bench: installing Debian's wrk with apt-get")
        quiet = {"stdout": subprocess.DEVNULL, "stdin": subprocess.DEVNULL}
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, **quiet)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=False, **quiet)
        wrk = shutil.which("wrk")
    if wrk is None and choice == "wrk":
        sys.exit("bench: wrk is not installed and could not be installed")
    return wrk


def run_wrk(wrk, port, path, seconds, connections, cookie=None):
    header = ["--header", f"Cookie: {cookie}"] if cookie else []
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


def run_python(port, path, seconds, connections, max_requests, cookie=None):
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
            connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
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


def rate(port, path, seconds, args, wrk, cookie=None):
    if wrk:
        return run_wrk(wrk, port, path, seconds, args.connections, cookie)
    return run_python(port, path, seconds, args.connections, args.max_requests, cookie)


def fetch_ok(port, path, cookie=None):
    status, _, body = get(port, path, {"Cookie": cookie} if cookie else None)
    if status != 200:
        raise SystemExit(f"bench: {path} answered {status}")
    return len(body)


def measure(port, path, args, wrk, cookie=None):
    """Requests/s of `path` and of the constant page, in alternating rounds.

    Each round measures the constant page and then `path` back to back, so a
    change in the machine's load (2 cores, shared) hits both alike; the ratio is
    the median of the rounds' ratios, the rates the medians of the rounds' rates.
    """
    rounds = []
    for _ in range(args.rounds):
        baseline = rate(port, CONSTANT, args.duration, args, wrk)
        page = rate(port, path, args.duration, args, wrk, cookie)
        rounds.append((baseline, page, page / baseline))
    return [statistics.median(column) for column in zip(*rounds, strict=True)]


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

def main():
    args = parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    env = base_environment(database_url)

    # This process reads the database with the page cache off, as the uncached server does.
    os.environ.clear()
    os.environ.update(env, PAGE_CACHE_TIMEOUT="0")
    import django

    django.setup()
    from django.core.management import call_command

    from news.models import NewsItem

    if not (args.keep_data and _holds_items(args.items)):
        recreate_database(database_url)
        call_command("migrate", verbosity=0)
        load_items(args.items, args.years)
    elif NewsItem.objects.count():
        print(f"bench: reusing {NewsItem.objects.count():,} items in {database_url}")

    measured = pages()
    counted = count_queries(measured)
    year_queries, year_size, year_sql = counted["year page"]
    env["BENCH_CONSTANT_PAGE_SIZE"] = str(year_size)

    wrk = find_wrk(args.load_generator)
    generator = (f"wrk -t1 -c{args.connections} -d{args.duration}s" if wrk
                 else f"Python keep-alive loop, {args.connections} connections, {args.duration}s")
    print(f"bench: load generator: {generator}; gunicorn 2 sync workers; "
          f"{os.cpu_count()} CPUs shared with PostgreSQL, Redis and the generator")

    import redis

    rows, conditional = [], {}
    servers = [
        ("uncached", {**env, "PAGE_CACHE_TIMEOUT": "0"}),
        ("cached", {**env, "REDIS_URL": redis_url}),
    ]
    for mode, server_env in servers:
        if mode == "cached":
            redis.Redis.from_url(redis_url).flushdb()
        with gunicorn(server_env) as port:
            year_path = measured[0][1]
            returning = returning_visitor(port, year_path)
            runs = [(label, path, None) for label, path in measured]
            runs.append(("year page, returning visitor", year_path, returning))
            for _, path, cookie in [("constant", CONSTANT, None), *runs]:
                fetch_ok(port, path, cookie)
                rate(port, path, args.warmup, args, wrk, cookie)  # warm: caches, connections
            for label, path, cookie in runs:
                baseline, page, ratio = measure(port, path, args, wrk, cookie)
                size = fetch_ok(port, path, cookie)
                rows.append((f"{label}, {mode}", path, size, baseline, page, ratio, mode))
                conditional[(label, mode)] = conditional_get(port, path, cookie)
            constant_size = fetch_ok(port, CONSTANT)

    print()
    print(f"constant page: {CONSTANT}, {constant_size} bytes (the year page's size); "
          f"{args.rounds} rounds of {args.duration}s per page, medians")
    print("first-time visitors send no cookies and get the cookie banner; the returning")
    print("visitor accepted cookies in the banner and sends the consent and CSRF cookies")
    print(f"{'page':<38} {'path':<40} {'bytes':>6} {'constant':>9} {'page':>8} "
          f"{'ratio':>6} {'target':>7}")
    print(f"{'':<38} {'':<40} {'':>6} {'req/s':>9} {'req/s':>8}")
    missed = []
    for label, path, size, baseline, page, ratio, mode in rows:
        target = TARGETS[mode] if (mode == "cached" or label.startswith("year")) else None
        flag = ""
        if target and ratio < target:
            missed.append(f"{label}: {ratio:.3f} < {target}")
            flag = "  MISSED"
        target_text = f">={target}" if target else ""
        print(f"{label:<38} {path[:40]:<40} {size:>6} {baseline:>9.1f} {page:>8.1f} "
              f"{ratio:>6.3f} {target_text:>7}{flag}")
    print()
    print("SQL queries per page, page cache off (in-process, CaptureQueriesContext):")
    for label, (queries, _, _) in counted.items():
        limit = f" (target <= {MAX_YEAR_PAGE_QUERIES})" if label == "year page" else ""
        print(f"  {label:<10} {queries}{limit}")
    if year_queries > MAX_YEAR_PAGE_QUERIES:
        missed.append(f"year page: {year_queries} queries > {MAX_YEAR_PAGE_QUERIES}")
        print("  year page queries:\n    " + "\n    ".join(year_sql))
    print()
    print("Conditional GET (If-None-Match with the first response's ETag):")
    for (label, mode), result in conditional.items():
        print(f"  {label + ', ' + mode:<38} {result}")
    if any(result != "304" for (_, mode), result in conditional.items() if mode == "cached"):
        missed.append("a cached page did not answer 304 to its own ETag")
    print()
    if missed:
        print("bench: targets missed:\n  " + "\n  ".join(missed))
        return 1
    print("bench: every target met")
    return 0


def _holds_items(count):
    from django.db import DatabaseError

    from news.models import NewsItem

    try:
        return NewsItem.objects.count() >= count
    except DatabaseError:
        return False


if __name__ == "__main__":
    sys.exit(main())
