"""Demo content: a release for each "Executive Dashboard Management Information
Now Available" item of the seed page (February to December 2020).

The seed page carries no figures, so these are made up: generated from a fixed
seed (the same on every machine and every load), shaped like the period's
claims (a spring 2020 fall), and marked illustrative on every page and in
every download. Loading twice changes nothing."""

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from news.models import NewsItem

from .models import Figure, Measure, MeasureGroup, Release

GROUPS = [
    ("Claims notified", "New claims sent to compensators through the Portal each month."),
    ("Claims progress", "How claims move through the Portal's stages."),
    ("Portal use", "How the Portal itself is used and how available it is."),
]
# (group, code, name, unit, decimal places, description, typical value, follows claims volumes)
MEASURES = [
    ("Claims notified", "rta-claims-notified", "RTA claims notified", "count", 0,
     "Road traffic accident claims notified to compensators.", 45_000, True),
    ("Claims notified", "el-claims-notified", "EL claims notified", "count", 0,
     "Employers' liability accident and disease claims notified.", 5_200, True),
    ("Claims notified", "pl-claims-notified", "PL claims notified", "count", 0,
     "Public liability claims notified.", 6_100, True),
    ("Claims progress", "rta-settlement-packs", "RTA Stage 2 settlement packs sent", "count", 0,
     "Stage 2 settlement packs sent to compensators for RTA claims.", 30_000, True),
    ("Claims progress", "claims-exiting", "Claims exiting the Portal", "percent", 1,
     "Claims that left the Portal process before settlement, as a share of those notified.",
     24, False),
    ("Claims progress", "rta-response-days", "Average days for a compensator to respond (RTA)",
     "days", 1, "Working days from notification to the compensator's response.", 12, False),
    ("Portal use", "active-users", "Active user accounts", "count", 0,
     "User accounts that logged in at least once in the month.", 21_000, False),
    ("Portal use", "a2a-share", "Claims sent through A2A", "percent", 1,
     "Claims sent system to system (A2A) rather than through the web portal.", 68, False),
    ("Portal use", "availability", "Portal availability", "percent", 2,
     "Time the Portal was available, outside planned maintenance.", 99.9, False),
]
# Claims fell in spring 2020 and recovered through the year.
VOLUME = {2: 1.0, 3: 0.86, 4: 0.47, 5: 0.61, 6: 0.76, 7: 0.86, 8: 0.9, 9: 0.96, 10: 0.94,
          11: 0.82, 12: 0.87}
# The seed's publication dates; June 2020's was announced for 15/07/2020 and moved.
MOVED = {datetime.date(2020, 6, 1): (datetime.date(2020, 7, 15),
                                     "Moved to finish a check of the figures (illustrative).")}


def figure(measure, period, typical, follows_volume):
    """The made-up value of `measure` in `period`: the same on every load."""
    rng = random.Random(f"{measure.code}-{period:%Y-%m}")
    value = typical * (VOLUME[period.month] if follows_volume else 1)
    if measure.unit == Measure.Unit.PERCENT:
        value = min(100, value + rng.uniform(-1.5, 1.5) * (0.05 if typical > 99 else 1))
    else:
        value *= rng.uniform(0.96, 1.04)
    return Decimal(str(round(value, measure.decimal_places)))


def _update(obj, values):
    """Set `values` on `obj` and save it only if one differs; True if it was saved."""
    if obj.pk is not None and all(getattr(obj, name) == value for name, value in values.items()):
        return False
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save()
    return True


def load_measures():
    groups = {}
    for order, (name, description) in enumerate(GROUPS):
        group = MeasureGroup.objects.filter(name=name).first() or MeasureGroup(name=name)
        _update(group, {"description": description, "order": order})
        groups[name] = group
    measures = []
    for order, (group, code, name, unit, places, description, typical, volume) in enumerate(
        MEASURES
    ):
        measure = Measure.objects.filter(code=code).first() or Measure(code=code)
        _update(measure, {"group": groups[group], "name": name, "unit": unit,
                          "decimal_places": places, "description": description,
                          "order": order})
        measures.append((measure, typical, volume))
    return measures


@transaction.atomic
def load_demo_releases():
    """Create or update the releases of the seed's MI items. Returns (new, total)."""
    measures = load_measures()
    items = NewsItem.objects.filter(archive_year=2020, title__startswith="Executive Dashboard")
    created = 0
    for item in items.order_by("date"):
        month = datetime.datetime.strptime(item.title.rsplit(" - ", 1)[1], "%B %Y").date()
        announced, reason = MOVED.get(month, (item.date, ""))
        release = Release.objects.filter(period=month).first()
        if release is None:
            release, created = Release(period=month), created + 1
        _update(release, {
            "status": Release.Status.PUBLISHED,
            "announced": True,
            "announced_date": announced,
            "published_at": timezone.make_aware(
                datetime.datetime.combine(item.date, datetime.time(9, 0))
            ),
            "date_change_reason": reason,
            "illustrative": True,
            "announcement": item,
            "notes": "",
        })
        existing = {f.measure_id: f for f in Figure.objects.filter(release=release)}
        for measure, typical, volume in measures:
            value = figure(measure, month, typical, volume)
            current = existing.get(measure.pk)
            if current is None:
                Figure.objects.create(release=release, measure=measure, value=value)
            elif current.value != value:
                current.value = value
                current.save()
    return created, items.count()
