"""How notices say when: “from 9pm on Saturday 24 October to 7:30am on Sunday 25 October”,
in the site's time zone (Europe/London), as GOV.UK writes times."""

from django.utils import timezone
from django.utils.text import capfirst


def clock(moment):
    """9pm, 7:30am, midnight, midday."""
    local = timezone.localtime(moment)
    if (local.hour, local.minute) == (0, 0):
        return "midnight"
    if (local.hour, local.minute) == (12, 0):
        return "midday"
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{hour}{minutes}{'am' if local.hour < 12 else 'pm'}"


def day(moment, with_year=False):
    """Saturday 24 October (2020)."""
    local = timezone.localtime(moment)
    text = f"{local:%A} {local.day} {local:%B}"
    return f"{text} {local.year}" if with_year else text


def window(starts_at, ends_at, with_year=False):
    """from 3am to 5am on Saturday 4 July; from 9pm on Saturday 24 October to
    7:30am on Sunday 25 October."""
    if timezone.localdate(starts_at) == timezone.localdate(ends_at):
        return f"from {clock(starts_at)} to {clock(ends_at)} on {day(starts_at, with_year)}"
    return (
        f"from {clock(starts_at)} on {day(starts_at, with_year)} "
        f"to {clock(ends_at)} on {day(ends_at, with_year)}"
    )


def banner_sentence(notice, now=None):
    """What the site-wide banner says about `notice` at `now`."""
    if notice.is_in_progress(now):
        return (
            f"Maintenance in progress: {notice.services_label} will be unavailable "
            f"until {clock(notice.ends_at)} on {day(notice.ends_at)}"
        )
    return (
        f"Planned maintenance: {notice.services_label} will be unavailable "
        f"{window(notice.starts_at, notice.ends_at)}"
    )


def unavailability(notice, uk_time=True):
    """“All Claims Portal services will be unavailable from … (UK time).”"""
    zone = " (UK time)" if uk_time else ""
    return (
        f"{capfirst(notice.services_label)} will be unavailable "
        f"{window(notice.starts_at, notice.ends_at, with_year=True)}{zone}."
    )
