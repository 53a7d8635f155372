"""Months as releases write them (the arithmetic is common.months')."""

from common.months import add_months, month_name, months_between, short_month_name

__all__ = ["add_months", "iso_month", "month_name", "months_between", "short_month_name"]


def iso_month(month):
    """“2026-11”, as downloads write a period."""
    return f"{month:%Y-%m}"
