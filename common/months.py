"""Calendar months: the periods of monthly figures and of charts over time."""

import datetime
import functools

from django.utils import timezone


def add_months(month, count):
    """The first day of the month `count` months after `month` (before, if negative)."""
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(first, last):
    """Every month from `first` to `last`, both included, oldest first."""
    first, last = first.replace(day=1), last.replace(day=1)
    count = (last.year - first.year) * 12 + last.month - first.month
    return [add_months(first, n) for n in range(count + 1)]


def last_months(count, now=None):
    """The `count` months up to and including this one (Europe/London), oldest first."""
    this_month = timezone.localdate(now).replace(day=1)
    return months_between(add_months(this_month, 1 - count), this_month)


def start_of(month):
    """The aware moment a month starts, in the site's time zone."""
    return timezone.make_aware(datetime.datetime.combine(month, datetime.time.min))


@functools.lru_cache(maxsize=1024)  # pages name the same few hundred months many times
def month_name(month):
    """“November 2026”."""
    return f"{month:%B %Y}"


@functools.lru_cache(maxsize=1024)
def short_month_name(month):
    """“Nov 2026”, for a chart's axis."""
    return f"{month:%b %Y}"
