import pytest

from maintenance.models import MaintenanceNotice
from tests.helpers import london


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
