"""How figures read: “54,321”, “87.5%”, “£1,250”, “12.5 days”, and how they changed."""

from decimal import Decimal

from .models import Measure

Unit = Measure.Unit


def number(value, places):
    return f"{Decimal(value):,.{places}f}"


def format_value(value, measure):
    """The value as the public reads it, in the measure's unit."""
    if value is None:
        return "not available"
    text = number(value, measure.decimal_places)
    if measure.unit == Unit.PERCENT:
        return f"{text}%"
    if measure.unit == Unit.POUNDS:
        return f"-£{text[1:]}" if text.startswith("-") else f"£{text}"
    if measure.unit == Unit.DAYS:
        return f"{text} day" if Decimal(value) == 1 else f"{text} days"
    return text


def format_change(value, earlier, measure):
    """“up 1,234 (2.1%)”, “down 0.4 percentage points”, “no change”, or None
    when either figure is missing."""
    if value is None or earlier is None:
        return None
    difference = Decimal(value) - Decimal(earlier)
    if difference == 0:
        return "no change"
    direction = "up" if difference > 0 else "down"
    size = abs(difference)
    if measure.unit == Unit.PERCENT:
        points = number(size, measure.decimal_places)
        return f"{direction} {points} percentage point{'' if size == 1 else 's'}"
    text = f"{direction} {format_value(size, measure)}"
    if earlier:
        text += f" ({abs(difference / Decimal(earlier) * 100):.1f}%)"
    return text


def plain(value):
    """A value as downloads write it: no separators, no trailing zeros."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")
