"""What the benchmarks share: a free loopback port, a database of their own, and
the archive of news items they measure."""

import datetime
import re
import socket
import sys
import urllib.parse
from zoneinfo import ZoneInfo

CATEGORIES = [("Update", "update"), ("Management info", "management-info")]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recreate_database(database_url):
    """Drop and create the benchmark's own PostgreSQL database."""
    import psycopg

    parts = urllib.parse.urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        sys.exit(f"bench: refusing to drop a database named {name!r}")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def load_items(count, years, texts):
    """Publish `count` items spread evenly over `years` archive years ending
    last year, in two categories, in batches of 5,000. `texts(n, category,
    date)` gives item n's (title, slug, summary, body). Returns the first year."""
    from django.db import transaction

    from news.models import Category, NewsItem

    categories = [
        Category.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})[0]
        for order, (name, slug) in enumerate(CATEGORIES)
    ]
    london = ZoneInfo("Europe/London")
    last_year = datetime.date.today().year - 1
    first_year = last_year - years + 1
    per_year = count // years
    batch = []
    n = 0
    with transaction.atomic():
        for year in range(first_year, last_year + 1):
            days = (datetime.date(year, 12, 31) - datetime.date(year, 1, 1)).days + 1
            positions = {}
            for i in range(per_year):
                n += 1
                date = datetime.date(year, 1, 1) + datetime.timedelta(days=i * days // per_year)
                category = categories[n % len(categories)]
                title, slug, summary, body = texts(n, category, date)
                position = positions[date] = positions.get(date, -1) + 1
                batch.append(NewsItem(
                    title=title,
                    slug=slug,
                    category=category,
                    date=date,
                    archive_year=year,
                    summary=summary,
                    body=body,
                    status=NewsItem.Status.PUBLISHED,
                    published_at=datetime.datetime.combine(date, datetime.time(9), london),
                    position=position,
                ))
                if len(batch) == 5000:
                    NewsItem.objects.bulk_create(batch)
                    batch = []
        NewsItem.objects.bulk_create(batch)
    return first_year


def holds_items(count):
    """Whether the benchmark's database already holds `count` items (--keep-data)."""
    from django.db import DatabaseError

    from news.models import NewsItem

    try:
        return NewsItem.objects.count() >= count
    except DatabaseError:
        return False
