"""Targeted purges against purging everything, through Varnish, in one run.

    .venv/bin/python bench/purges.py            (--help for the options)

At 100,000 items (bench/common.py's loader, in BENCH_DATABASE_URL), gunicorn
(2 sync workers, DEBUG off, the application's page cache in BENCH_REDIS_URL)
behind Debian's Varnish with varnish/default.vcl. Each mode warms the cache
with 1,000 distinct public URLs (mostly item pages, and year archives,
category pages, searches, feeds, the sitemap, home and the indexes), then
keeps wrk requesting them, uniformly at random, for --duration seconds while
an editor (this process, as admin saves) saves an item every --every seconds:
it corrects the summary of an item whose page is in the set, then publishes a
new item, and so on.

* targeted: what the site does, each save purges by surrogate key
  (common.purges: the application's cache, then PURGE with Surrogate-Key);
* everything: what it did before, each save ends every page of the
  application's cache and BANs every page in Varnish.

It prints, per mode, the requests served, the hit ratio (1 - backend
requests / requests, from varnishstat: a soft-purged page served stale while
one request refreshes it counts that request) and Varnish's own (hits /
(hits + misses)), and the backend requests per save; it exits 1 if targeted
purges miss their goal: a hit ratio of at least 0.99 and at most
MAX_BACKEND_REQUESTS_PER_SAVE backend requests per save.
"""

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import holds_items, recreate_database  # noqa: E402
from bench.news_pages import (  # noqa: E402
    base_environment,
    find_wrk,
    get,
    gunicorn,
    load_items,
    request,
    varnish,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_purges"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/4"
URLS = 1000
MIN_HIT_RATIO = 0.99
MAX_BACKEND_REQUESTS_PER_SAVE = 36  # "a few dozen"
SEARCHES = ["portal", "insurer index", "claims", "guidance", "management"]
WRK_SCRIPT = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
local headers = {["Accept-Encoding"] = "gzip", ["X-Forwarded-Proto"] = "https"}
request = function()
    return wrk.format("GET", paths[math.random(#paths)], headers)
end
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000, help="items to load [100000]")
    parser.add_argument("--years", type=int, default=10, help="archive years [10]")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load per mode [60]")
    parser.add_argument("--every", type=float, default=5, help="seconds between saves [5]")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections [4]")
    parser.add_argument("--keep-data", action="store_true",
                        help="reuse the database if it already holds the items")
    return parser.parse_args()


def distinct_urls(count):
    """`count` public URLs: the indexes, feeds and sitemap, five pages of every
    year archive, twenty of each category, a few searches, and item pages
    spread evenly over the archive."""
    from django.db.models import Count
    from django.urls import reverse

    from news.models import Category, NewsItem

    urls = ["/", "/news/", "/news/category/", "/news/feed/", "/news/feed/atom/",
            "/sitemap.xml", "/robots.txt", "/maintenance/", "/maintenance.ics"]
    # The loaded years (not the one the editor publishes into).
    years = NewsItem.objects.values("archive_year").annotate(n=Count("pk")).filter(n__gte=250)
    for year in sorted(row["archive_year"] for row in years):
        urls += [f"/news/{year}/"] + [f"/news/{year}/?page={n}" for n in range(2, 6)]
    for category in Category.objects.all():
        base = category.get_absolute_url()
        urls += [base, base + "feed/"] + [f"{base}?page={n}" for n in range(2, 21)]
    urls += [reverse("news:search") + "?q=" + q.replace(" ", "+") for q in SEARCHES]
    items = NewsItem.objects.published().order_by("pk").only("slug", "archive_year")
    total = items.count()
    wanted = count - len(urls)
    step = total // wanted
    urls += [item.get_absolute_url() for item in items[::step][:wanted]]
    return urls


class Editor(threading.Thread):
    """Saves an item every `every` seconds, as admin would: alternately a new
    summary for an item whose page is in the set, and a new item published now."""

    def __init__(self, every, item_urls, after_save):
        super().__init__(daemon=True)
        self.every, self.after_save = every, after_save
        self.item_paths = item_urls
        self.random = random.Random(18)  # the same saves in both modes
        self.saves = 0
        self.stop = threading.Event()
        self.error = None

    def run(self):
        from django.db import connection

        try:
            while not self.stop.wait(self.every):
                self.save()
                self.saves += 1
        except Exception as error:  # reported by the main thread
            self.error = error
        finally:
            connection.close()

    def save(self):
        from django.db import transaction
        from django.utils import timezone

        from news.models import Category, NewsItem

        with transaction.atomic():
            if self.saves % 2 == 0:
                path = self.random.choice(self.item_paths)
                year, slug = path.strip("/").split("/")[1:]
                item = NewsItem.objects.get(archive_year=year, slug=slug)
                item.summary = f"Corrected at {timezone.now():%H:%M:%S.%f}."
                item.save()
            else:
                NewsItem.objects.create(
                    title=f"Bench news {timezone.now():%H:%M:%S.%f}",
                    category=self.random.choice(list(Category.objects.all())),
                    date=timezone.localdate(), summary="Published during the benchmark.",
                    status=NewsItem.Status.PUBLISHED, published_at=timezone.now(),
                )
        self.after_save()


def varnish_counters(workdir):
    names = ["MAIN.client_req", "MAIN.cache_hit", "MAIN.cache_miss", "MAIN.backend_req"]
    fields = [arg for name in names for arg in ("-f", name)]
    out = subprocess.run(
        ["varnishstat", "-n", str(workdir / "varnish"), "-1", *fields],
        capture_output=True, text=True, check=True,
    ).stdout
    return {line.split()[0].split(".")[1]: int(line.split()[1]) for line in out.splitlines()}


def run_mode(mode, cache_port, workdir, urls, args, wrk):
    from django.conf import settings
    from django.core.cache import cache

    from common.page_cache import PURGE_LOG_KEY

    cache_url = f"http://127.0.0.1:{cache_port}"
    if mode == "targeted":
        settings.FRONTEND_CACHE_URLS = [cache_url]

        def after_save():
            pass  # the save's own purge (common.purges), delivered on commit
    else:
        settings.FRONTEND_CACHE_URLS = []

        def after_save():
            cache.delete(PURGE_LOG_KEY)  # every stored page ends, as one generation did
            status = request(cache_port, "BAN", "/")[0]
            if status != 200:
                raise RuntimeError(f"BAN answered {status}")

    request(cache_port, "BAN", "/")  # start each mode cold, then warm it
    for url in urls:
        status = get(cache_port, url, {"X-Forwarded-Proto": "https"})[0]
        if status != 200:
            sys.exit(f"bench: {url} answered {status}")
    time.sleep(1)
    before = varnish_counters(workdir)
    editor = Editor(args.every, [u for u in urls if re.fullmatch(r"/news/\d+/[^/?]+/", u)],
                    after_save)
    editor.start()
    output = subprocess.run(
        [wrk, "--threads", "1", "--connections", str(args.connections), "--latency",
         "--duration", f"{args.duration}s", "--timeout", "10s",
         "--script", str(workdir / "urls.lua"), cache_url],
        capture_output=True, text=True, check=True, timeout=args.duration + 60,
    ).stdout
    editor.stop.set()
    editor.join(30)
    if editor.error:
        raise editor.error
    after = varnish_counters(workdir)
    if re.search(r"Non-2xx or 3xx responses|Socket errors", output):
        sys.exit(f"bench: errors under load in mode {mode}:\n{output}")
    delta = {name: after[name] - before[name] for name in after}
    return {
        "requests": delta["client_req"],
        "per second": delta["client_req"] / args.duration,
        # Every backend request (a miss, or the background refresh of a
        # soft-purged page) is a request the cache did not answer alone.
        "hit ratio": 1 - delta["backend_req"] / max(1, delta["client_req"]),
        "varnish hits": delta["cache_hit"] / max(1, delta["cache_hit"] + delta["cache_miss"]),
        "saves": editor.saves,
        "backend per save": delta["backend_req"] / max(1, editor.saves),
        "backend": delta["backend_req"],
        "p99": re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1),
    }


def main():
    args = parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    env = base_environment(database_url)
    os.environ.clear()
    os.environ.update(env, REDIS_URL=redis_url, CELERY_BROKER_URL="")
    import django

    django.setup()
    import redis
    from django.core.management import call_command
    from django.db import connection

    from portal_site.celery import app as celery_app

    celery_app.conf.task_always_eager = True  # this process purges in-process
    if not (args.keep_data and holds_items(args.items)):
        connection.close()  # the database is dropped under it
        recreate_database(database_url)
        call_command("migrate", verbosity=0)
        load_items(args.items, args.years)
    urls = distinct_urls(URLS)
    wrk = find_wrk("wrk")
    redis.Redis.from_url(redis_url).flushdb()
    print(f"bench: {len(urls)} distinct URLs, {args.duration}s of wrk "
          f"({args.connections} connections) per mode, a save every {args.every:g}s; "
          f"{os.cpu_count()} CPUs shared with gunicorn, Varnish, PostgreSQL and Redis; "
          f"load average {os.getloadavg()[0]:.2f}")
    results = {}
    server_env = {**env, "REDIS_URL": redis_url}
    with tempfile.TemporaryDirectory() as workdir, gunicorn(server_env) as port:
        workdir = Path(workdir)
        (workdir / "urls.txt").write_text("\n".join(urls) + "\n")
        (workdir / "urls.lua").write_text(WRK_SCRIPT % (workdir / "urls.txt"))
        with varnish(port, workdir) as cache_port:
            for mode in ("targeted", "everything"):
                results[mode] = run_mode(mode, cache_port, workdir, urls, args, wrk)

    print()
    print("hit ratio: 1 - backend requests / requests (a soft-purged page served stale while")
    print("it is refreshed counts its refresh); varnish: hits / (hits + misses) from varnishstat")
    print(f"{'purges':<12} {'requests':>9} {'req/s':>7} {'p99':>8} {'saves':>6} "
          f"{'hit ratio':>10} {'varnish':>8} {'backend req':>12} {'per save':>9}")
    for mode, result in results.items():
        print(f"{mode:<12} {result['requests']:>9} {result['per second']:>7.0f} "
              f"{result['p99']:>8} {result['saves']:>6} {result['hit ratio']:>10.4f} "
              f"{result['varnish hits']:>8.4f} {result['backend']:>12} "
              f"{result['backend per save']:>9.1f}")
    targeted = results["targeted"]
    missed = []
    if targeted["hit ratio"] < MIN_HIT_RATIO:
        missed.append(f"hit ratio {targeted['hit ratio']:.4f} < {MIN_HIT_RATIO}")
    if targeted["backend per save"] > MAX_BACKEND_REQUESTS_PER_SAVE:
        missed.append(f"{targeted['backend per save']:.1f} backend requests per save > "
                      f"{MAX_BACKEND_REQUESTS_PER_SAVE}")
    print()
    if missed:
        print("bench: targets missed: " + "; ".join(missed))
        return 1
    print(f"bench: targeted purges met their goal (hit ratio >= {MIN_HIT_RATIO}, "
          f"<= {MAX_BACKEND_REQUESTS_PER_SAVE} backend requests per save)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
