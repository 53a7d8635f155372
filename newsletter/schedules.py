"""When digests are due. Each frequency's schedule (a DigestSchedule row,
edited in admin) names a current period; Digest rows are unique per
(frequency, period), so beat firing twice still makes one digest."""

import calendar
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Digest, DigestSchedule, Frequency


def _floor(moment, minutes):
    moment = moment.replace(second=0, microsecond=0)
    return moment - timedelta(minutes=moment.minute % minutes)


def current_period(schedule, now=None):
    """(period, until) of the schedule's current period if it is due, else None."""
    now = timezone.localtime(now or timezone.now())
    if schedule.frequency == Frequency.IMMEDIATE:
        # Items published within the same few minutes go out together; the lag
        # lets the transaction that published an item commit before we look.
        until = _floor(
            now - timedelta(seconds=settings.NEWSLETTER_PUBLISH_LAG),
            settings.NEWSLETTER_BATCH_MINUTES,
        )
        return until.strftime("%Y-%m-%dT%H:%M"), until
    if schedule.frequency == Frequency.WEEKLY:
        monday = now.date() - timedelta(days=now.weekday())
        day = monday + timedelta(days=schedule.weekday)
        until = timezone.make_aware(datetime(day.year, day.month, day.day, schedule.hour))
        year, week, _ = now.isocalendar()
        period = f"{year}-W{week:02d}"
    else:
        last_day = calendar.monthrange(now.year, now.month)[1]
        day = min(schedule.day, last_day)
        until = timezone.make_aware(datetime(now.year, now.month, day, schedule.hour))
        period = f"{now.year}-{now.month:02d}"
    return (period, until) if now >= until else None


def ensure_schedules():
    for frequency in Frequency.values:
        DigestSchedule.objects.get_or_create(frequency=frequency)


def due_digests(now=None):
    """Create the Digest row of every enabled schedule that is due; return them."""
    ensure_schedules()
    digests = []
    for schedule in DigestSchedule.objects.filter(enabled=True):
        due = current_period(schedule, now)
        if due is None:
            continue
        period, until = due
        digest = get_or_create_digest(schedule.frequency, period, until)
        if digest.status == Digest.Status.NEW:
            digests.append(digest)
    return digests


def get_or_create_digest(frequency, period, until):
    try:
        with transaction.atomic():
            digest, _ = Digest.objects.get_or_create(
                frequency=frequency, period=period, defaults={"until": until}
            )
    except IntegrityError:  # another beat made it at the same moment
        digest = Digest.objects.get(frequency=frequency, period=period)
    return digest


def forced_digest(frequency, now=None):
    """A digest of everything due to `frequency` subscribers up to now (staff's "send now")."""
    now = now or timezone.now()
    period = "now-" + timezone.localtime(now).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return get_or_create_digest(frequency, period, now)
