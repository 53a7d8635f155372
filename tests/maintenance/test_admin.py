import pytest

from maintenance.models import MaintenanceNotice
from tests.helpers import member_of

pytestmark = pytest.mark.django_db
ADD_URL = "/admin/maintenance/maintenancenotice/add/"


def notice_form(**overrides):
    return {
        "title": "Scheduled overnight maintenance",
        # Entered in Europe/London time.
        "starts_at_0": "24/10/2020",
        "starts_at_1": "21:00:00",
        "ends_at_0": "25/10/2020",
        "ends_at_1": "07:30:00",
        "web_portal": "on",
        "a2a": "on",
        "training_site": "on",
        "description": "Overnight maintenance.",
        "item": "",
        "status": "published",
        "banner_from_0": "",
        "banner_from_1": "",
        **overrides,
    }


@pytest.mark.parametrize("group, status", [("Editors", "draft"), ("Publishers", "published")])
def test_only_publishers_publish(client, group, status):
    client.force_login(member_of(group))
    response = client.post(ADD_URL, notice_form())
    assert response.status_code == 302, response.content
    notice = MaintenanceNotice.objects.get()
    assert notice.status == status
    assert notice.duration.total_seconds() == 11.5 * 3600


def test_an_end_before_the_start_is_answered_next_to_the_field(client):
    client.force_login(member_of("Publishers"))
    response = client.post(ADD_URL, notice_form(ends_at_0="23/10/2020"))
    assert response.status_code == 200
    assert "The end must be after the start." in response.text
    assert not MaintenanceNotice.objects.exists()
