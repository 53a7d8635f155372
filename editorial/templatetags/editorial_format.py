from django import template

register = template.Library()


@register.filter
def minutes(duration):
    """A timedelta as “15 minutes”."""
    count = round(duration.total_seconds() / 60)
    return f"{count} minute{'s' if count != 1 else ''}"
