"""Demo content: the real "News and updates 2020" page, parsed from news/demo/."""

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from common.demo_content import create_or_update

from .models import Category, Document, DocumentSeries, NewsItem

SEED_PAGE = Path(__file__).parent / "demo" / "news-and-updates-2020.txt"
CATEGORIES = {
    "Management info": ("management-info", 1, "Monthly management information from the Portal."),
    "Update": ("update", 0, "News about the Portal and changes to it."),
}
CATEGORY_NAMES = "|".join(CATEGORIES)
HEADER = re.compile(rf"^(?P<category>{CATEGORY_NAMES})(?P<date>\d{{2}}/\d{{2}}/\d{{4}})$")
READ_MORE = re.compile(r"\s*Read more$")
INSURER_INDEX = ("insurer-index", "Insurer Index for RTA A2A Users")
# Small real spreadsheets (made with openpyxl), attached to the items that announced them.
INSURER_INDEX_VERSIONS = {
    "v226": "insurer-index-update-for-rta-a2a-users-v226",
    "v227": "insurer-index-update-for-rta-a2a-users-v227",
    "v232": "insurer-index-update-for-rta-a2a-users-v232",
}


@dataclass
class SeedItem:
    category: str
    date: datetime.date
    title: str
    summary: str


def parse_seed_page(text):
    """The page's year and its items, in the page's order."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    year = int(next(line for line in lines if line.startswith("News and updates")).split()[-1])
    items = []
    for index, line in enumerate(lines):
        if match := HEADER.match(line):
            date = datetime.datetime.strptime(match["date"], "%d/%m/%Y").date()
            title, summary = lines[index + 1], READ_MORE.sub("", lines[index + 2])
            items.append(SeedItem(match["category"], date, title, summary))
    return year, items


@transaction.atomic
def load_demo_items(path=SEED_PAGE):
    """Create or update the seed page's items. Running it twice changes nothing."""
    year, seed_items = parse_seed_page(Path(path).read_text(encoding="utf-8"))
    categories = {}
    for name, (slug, order, description) in CATEGORIES.items():
        categories[name], _ = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "order": order, "description": description}
        )
    created = 0
    positions = {}
    for seed in seed_items:
        # Items sharing a date keep the page's order.
        position = positions[seed.date] = positions.get(seed.date, -1) + 1
        slug = slugify(seed.title)[:200]
        values = {
            "title": seed.title,
            "category": categories[seed.category],
            "date": seed.date,
            "summary": seed.summary,
            # The seed page has only summaries: the item page shows it once, as its lead.
            "body": "",
            "status": NewsItem.Status.PUBLISHED,
            # At 9am; items sharing a date a minute apart, the page's first the
            # newest, so that no two entries of a feed were updated at the same
            # instant (the Atom validator's warning).
            "published_at": timezone.make_aware(
                datetime.datetime.combine(seed.date, datetime.time(9, 0))
            )
            - datetime.timedelta(minutes=position),
            "position": position,
        }
        item, made, changed = create_or_update(
            NewsItem, {"archive_year": year, "slug": slug}, values
        )
        created += made
        if changed:
            # The item last changed when the seed page published it, not when it was loaded.
            NewsItem.objects.filter(pk=item.pk).update(updated_at=values["published_at"])
    load_insurer_index(year)
    return created, len(seed_items)


def load_insurer_index(year):
    """The Insurer Index series and its three versions from the seed page."""
    slug, title = INSURER_INDEX
    series, _ = DocumentSeries.objects.get_or_create(
        slug=slug,
        defaults={
            "title": title,
            "description": "The list of insurers and their Portal IDs for RTA A2A users.",
        },
    )
    for version, item_slug in INSURER_INDEX_VERSIONS.items():
        item = NewsItem.objects.get(archive_year=year, slug=item_slug)
        if Document.objects.filter(series=series, version=version).exists():
            continue
        with open(SEED_PAGE.parent / f"{slug}-{version}.xlsx", "rb") as handle:
            Document.objects.create(
                item=item,
                title=f"Insurer Index {version}",
                file=File(handle, name=f"Insurer Index {version}.xlsx"),
                series=series,
                version=version,
            )
