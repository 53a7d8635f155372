"""The admin dashboard's figures: small charts with their numbers, by role."""

import pytest
from django.contrib.auth.models import User

from editorial.scheduling import forget_next_due
from tests.helpers import at, london, member_of

from .helpers import a_sent_digest

pytestmark = pytest.mark.django_db
NOW = london(2026, 12, 5, 12)


@pytest.fixture
def data(make_item):
    for day in (3, 4):
        make_item(published_at=london(2026, 11, day))
    a_sent_digest()


def dashboard(client, user):
    client.force_login(user)
    with at(NOW):
        response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_superuser_sees_every_figure_with_its_numbers(client, data):
    page = dashboard(client, User.objects.create_superuser("root", password="pw"))
    assert 'href="/static/css/charts.css"' in page
    assert "Subscribers at the end of each month, last 12 months" in page
    assert "Deliveries of the last 1 digest" in page
    assert "News items published per month, last 12 months" in page
    # The numbers beside the charts.
    assert '<th scope="row">November 2026</th><td class="table__numeric">2</td>' in page
    assert ('<th scope="row">Weekly digest, 23/11/2026</th>'
            '<td class="table__numeric">1</td>') in page
    assert ("In the weekly digest of 23/11/2026, 1 sent, 0 failed, 0 bounced and 0 "
            "complained") in page
    assert "From January 2026 to December 2026, 2 items published in all" in page


def test_each_role_sees_the_figures_of_its_data(client, data):
    editor = dashboard(client, member_of("Editors", "edna"))
    assert "News items published per month" in editor
    assert "Subscribers at the end" not in editor and "Deliveries of the last" not in editor
    manager = dashboard(client, member_of("Newsletter managers", "nora"))
    assert "Subscribers at the end" in manager and "Deliveries of the last" in manager
    assert "News items published per month" not in manager


def test_the_dashboard_makes_as_many_queries_with_a_year_of_data(client, make_item,
                                                                 django_assert_max_num_queries):
    root = User.objects.create_superuser("root", password="pw")
    client.force_login(root)

    def count():
        # Each request looks up the next scheduled change afresh (a process
        # remembers it for two seconds: editorial.scheduling).
        forget_next_due()
        with at(NOW), django_assert_max_num_queries(40) as captured:
            assert client.get("/admin/").status_code == 200
        return len(captured)

    make_item(published_at=london(2026, 11, 3))
    few = count()
    for month in range(1, 12):
        for day in (2, 9, 16):
            make_item(published_at=london(2026, month, day))
    assert count() == few
