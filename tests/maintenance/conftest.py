import datetime
from unittest import mock

import pytest
from django.utils import timezone

from maintenance.models import MaintenanceNotice


def london(*args):
    return timezone.make_aware(datetime.datetime(*args))


def at(moment):
    """Pin "now" for the code under test."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def make_notice(db):
    def make_notice(**fields):
        values = {
            "title": "Scheduled overnight maintenance",
            "starts_at": london(2020, 10, 24, 21, 0),
            "ends_at": london(2020, 10, 25, 7, 30),
            "status": MaintenanceNotice.Status.PUBLISHED,
        }
        values.update(fields)
        return MaintenanceNotice.objects.create(**values)

    return make_notice
