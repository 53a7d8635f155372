import datetime
from decimal import Decimal

import pytest

from common.months import add_months
from management_information.models import Figure, Measure, MeasureGroup, Release
from tests.helpers import london


@pytest.fixture
def measures(db):
    """Three measures in two groups: a count, a percentage and a count."""
    claims = MeasureGroup.objects.create(name="Claims notified", order=0)
    use = MeasureGroup.objects.create(name="Portal use", order=1)
    return [
        Measure.objects.create(group=claims, code="rta-claims", name="RTA claims notified",
                               order=0),
        Measure.objects.create(group=use, code="a2a-share", name="Claims sent through A2A",
                               unit=Measure.Unit.PERCENT, decimal_places=1, order=0),
        Measure.objects.create(group=claims, code="el-claims", name="EL claims notified",
                               order=1),
    ]


@pytest.fixture
def make_release(db):
    """A release for `period` (a date), published on the 15th of the month after
    at 9:30 unless told otherwise, with `figures` ({Measure: value})."""

    def make_release(period, figures=None, **fields):
        published = add_months(period, 1).replace(day=15)
        values = {
            "status": Release.Status.PUBLISHED,
            "announced_date": published,
            "published_at": london(published.year, published.month, published.day, 9, 30),
        }
        values.update(fields)
        release = Release.objects.create(period=period, **values)
        for measure, value in (figures or {}).items():
            Figure.objects.create(release=release, measure=measure, value=Decimal(str(value)))
        return release

    return make_release


@pytest.fixture
def monthly_releases(make_release, measures):
    """Releases from January 2025 to November 2026, published, each measure
    with a figure that grows by month (rta 1000 + 10n, a2a 60.0 + n/10, el 200 + n)."""

    def monthly_releases(count=23, first=datetime.date(2025, 1, 1)):
        releases = []
        for n in range(count):
            period = add_months(first, n)
            rta, a2a, el = measures
            releases.append(make_release(period, {rta: 1000 + 10 * n,
                                                  a2a: Decimal("60.0") + Decimal(n) / 10,
                                                  el: 200 + n}))
        return releases

    return monthly_releases
