"""Benchmark of the management-information release page: ten years of monthly
releases for 20 measures, against a constant page in the same run.

    .venv/bin/python bench/management_information.py      (--help for the options)

What it does, in-process on this machine:

1. drops and recreates its own PostgreSQL database (BENCH_DATABASE_URL,
   default bench_mi), migrates it and loads 20 measures in four groups and
   120 published monthly releases (ten years up to last month), 2,400 figures;
2. requests, through Django's test client (the whole stack: middleware, view,
   queries, 20 charts of 24 months with their tables, template; DEBUG off,
   prepared statements on as in production), in rounds alternating with the
   constant page of bench/urls.py made the same size as the release page:
   - the latest release page and one release five years back, with every
     cache off (PAGE_CACHE_TIMEOUT=0): the work a page costs;
   - a measure's page (its whole 120-month series) and the release CSV;
   - the latest release page again from the application's page cache in
     Redis (BENCH_REDIS_URL), as every visitor after the first gets it;
3. prints each page's median time, its queries and its ratio to the constant
   page (constant time / page time: 1.0 is as fast as a page doing nothing),
   and checks that the release page makes as many queries with 120 months as
   with 13.

Targets, for the latest release page: ≥ 0.005 of the constant page with every
cache off, ≥ 0.04 with the fragment cache warm, ≥ 0.15 from the page cache,
and the same number of queries at 13 and at 120 months; the exit status is 1
when one is missed. The constant page served in-process costs a fraction of
a millisecond (no HTTP, no network), so these ratios are far below those of
bench/news_pages.py, which measures over HTTP. Needs PostgreSQL; without
Redis at BENCH_REDIS_URL the cached rows use the local memory cache.
"""

import argparse
import contextlib
import datetime
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import QueryCounter, in_process_settings, recreate_database  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_mi"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
TARGET_UNCACHED = 0.005
TARGET_FRAGMENTS = 0.04
TARGET_CACHED = 0.15
GROUPS = ["Claims notified", "Claims progress", "Settlement", "Portal use"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--months", type=int, default=120, help="monthly releases [120]")
    parser.add_argument("--measures", type=int, default=20, help="measures [20]")
    parser.add_argument("--rounds", type=int, default=15, help="requests per page [15]")
    return parser.parse_args()


def load(months, measure_count):
    """`months` published releases up to last month, a figure per measure each."""
    from django.db import connection, transaction
    from django.utils import timezone

    from common.months import add_months
    from management_information.models import Figure, Measure, MeasureGroup, Release

    started = time.monotonic()
    last = add_months(timezone.localdate().replace(day=1), -1)
    now = timezone.now()
    with transaction.atomic():
        groups = [MeasureGroup.objects.create(name=name, order=n) for n, name in enumerate(GROUPS)]
        measures = [
            Measure.objects.create(
                group=groups[n % len(groups)], code=f"measure-{n + 1}",
                name=f"Measure {n + 1} of the portal", order=n,
                unit=Measure.Unit.PERCENT if n % 5 == 4 else Measure.Unit.COUNT,
                decimal_places=1 if n % 5 == 4 else 0,
                description="A made-up measure for the benchmark.",
            )
            for n in range(measure_count)
        ]
        figures = []
        for m in range(months):
            period = add_months(last, m - months + 1)
            announced = add_months(period, 1).replace(day=15)
            at = datetime.datetime.combine(announced, datetime.time(9, 30))
            release = Release.objects.create(
                period=period, status=Release.Status.PUBLISHED, announced=True,
                announced_date=announced,
                # Last month's too is public now, early if need be.
                published_at=min(timezone.make_aware(at), now - datetime.timedelta(hours=1)),
                date_change_reason="Published early for the benchmark.",
            )
            for n, measure in enumerate(measures):
                value = Decimal(60 + (m + n) % 30) / 2 if measure.decimal_places else \
                    Decimal(1000 * (n + 1) + 37 * m + (m * n) % 101)
                figures.append(Figure(release=release, measure=measure, value=value))
        Figure.objects.bulk_create(figures)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"bench: loaded {months} releases, {len(figures):,} figures in "
          f"{time.monotonic() - started:.1f}s")
    return last


def queries(client, url):
    from django.db import connection

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        assert client.get(url).status_code == 200, url
    return counter.count


def timed(client, url):
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def compare(client, url, rounds):
    """Median ms of `url` and of the constant page, in alternating rounds."""
    page, constant = [], []
    client.get(url)  # first use of this page's queries and templates
    for _ in range(rounds):
        page.append(timed(client, url))
        constant.append(timed(client, "/bench/constant/"))
    return statistics.median(page), statistics.median(constant)


def redis_answers(url):
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def main():
    args = parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    in_process_settings(database_url)
    with_redis = redis_answers(redis_url)
    if with_redis:
        os.environ["REDIS_URL"] = redis_url
    else:
        print(f"bench: no Redis at {redis_url}")
    recreate_database(database_url)
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client, override_settings

    call_command("migrate", verbosity=0)
    last = load(args.months, args.measures)
    if with_redis:
        cache.clear()  # BENCH_REDIS_URL's database is the benchmark's own
    else:
        print("bench: the fragment and page cache rows use the local memory cache")
    client = Client()
    latest = "/management-information/"
    middle = last.replace(year=last.year - 5)
    # The constant page: as many bytes as the release page.
    with override_settings(ROOT_URLCONF="portal_site.urls"):
        size = len(client.get(latest).content)
    os.environ["BENCH_CONSTANT_PAGE_SIZE"] = str(size)
    every_cache_off = override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    )
    page_cache_on = override_settings(PAGE_CACHE_TIMEOUT=600)
    cache_name = "Redis" if with_redis else "local memory"
    rows = [
        ("latest release", latest, "every cache off", every_cache_off),
        (f"release of {middle:%m/%Y}", f"{latest}{middle:%Y/%m}/", "every cache off",
         every_cache_off),
        ("measure page (120 months)", f"{latest}measures/measure-1/", "every cache off",
         every_cache_off),
        ("release CSV", f"{latest}{last:%Y/%m}/figures.csv", "every cache off",
         every_cache_off),
        ("latest release", latest, f"fragments warm ({cache_name})", contextlib.nullcontext()),
        ("measure page (120 months)", f"{latest}measures/measure-1/",
         f"fragments warm ({cache_name})", contextlib.nullcontext()),
        ("latest release", latest, f"page cache on ({cache_name})", page_cache_on),
    ]
    with every_cache_off:
        release_queries = queries(client, latest)
    print(f"bench: the release page is {size:,} bytes with {args.measures} charts; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"\n{'page':<28}{'caches':<30}{'queries':>8}{'median ms':>11}{'constant':>10}"
          f"{'ratio':>8}")
    results = {}
    for label, url, mode, settings_for_mode in rows:
        with settings_for_mode:
            client.get(url)  # fills what the mode caches
            count = queries(client, url)
            median, constant = compare(client, url, args.rounds)
        results[(label, mode)] = constant / median
        print(f"{label:<28}{mode:<30}{count:>8}{median:>11.1f}{constant:>10.2f}"
              f"{constant / median:>8.3f}")

    # As many queries with a tenth of the months.
    from management_information.models import Release

    Release.objects.filter(period__lt=last.replace(year=last.year - 1)).delete()
    with every_cache_off:
        few_queries = queries(client, latest)
    print(f"\nbench: release page queries with {args.months} months: {release_queries}, "
          f"with {Release.objects.count()}: {few_queries}")

    missed = [
        f"{label}, {mode}: {results[(label, mode)]:.3f} < {target}"
        for (label, mode), target in [
            (rows[0][::2], TARGET_UNCACHED),
            (rows[4][::2], TARGET_FRAGMENTS),
            (rows[6][::2], TARGET_CACHED),
        ]
        if results[(label, mode)] < target
    ]
    if few_queries != release_queries:
        missed.append("queries grow with the months")
    if missed:
        print(f"bench: missed: {'; '.join(missed)}")
        return 1
    print("bench: every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
