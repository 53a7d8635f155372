"""Consent statistics for privacy officers: rates per week and policy version."""

import datetime
import uuid

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from cookies import consent_log
from cookies.models import ConsentRecord
from tests.helpers import at, london, member_of

pytestmark = pytest.mark.django_db

URL = "/admin/cookies/consentrecord/statistics/"
NOW = london(2026, 12, 2, 10, 0)  # a Wednesday


def log(when, decision, version=1):
    return ConsentRecord.objects.create(
        consent_id=uuid.uuid4(), created_at=when, policy_version=version,
        choices={"analytics": decision in ("accepted", "informed")}, decision=decision,
        location="banner", javascript=True,
    )


@pytest.fixture
def history():
    monday = london(2026, 11, 30, 0, 30)  # this week's Monday, just after midnight (UK)
    for decision in ["accepted", "accepted", "rejected", "objected"]:
        log(monday, decision)
    log(monday, "objected", version=2)
    log(monday, "informed", version=2)
    # Sunday night, UK time, belongs to the week before.
    log(london(2026, 11, 29, 23, 30), "rejected")
    # Outside a four-week period.
    log(london(2026, 10, 1, 12, 0), "accepted")


def officer(client):
    user = member_of("Privacy officers")
    client.force_login(user)
    return client


def test_privacy_officers_have_the_cookie_app_and_the_statistics():
    group = Group.objects.get(name="Privacy officers")
    codes = set(group.permissions.values_list("codename", flat=True))
    assert {"view_consent_statistics", "view_consentrecord", "change_cookiedeclaration",
            "change_cookiecategory", "change_consentpolicy"} <= codes
    assert not group.permissions.exclude(content_type__app_label="cookies").exists()


def test_weekly_statistics_count_per_week_and_version(history):
    with at(NOW):
        rows = consent_log.weekly_statistics(datetime.date(2026, 11, 4))
    assert [(r.week, r.policy_version, r.total) for r in rows] == [
        (datetime.date(2026, 11, 30), 2, 2),
        (datetime.date(2026, 11, 30), 1, 4),
        (datetime.date(2026, 11, 23), 1, 1),
    ]
    week = rows[1]
    assert week.rate("accepted") == 0.5
    assert week.rate("rejected") == 0.25 and week.rate("objected") == 0.25
    assert [(d.value, n) for d, n, _ in week.rates] == [
        ("accepted", 2), ("rejected", 1), ("objected", 1)
    ]
    weeks, series = consent_log.weekly_rates(rows)
    assert weeks == [datetime.date(2026, 11, 23), datetime.date(2026, 11, 30)]
    assert [s.name for s in series] == ["Accepted", "Rejected", "Objected to statistics"]
    # This week: 6 choices over both versions, 2 objections.
    assert series[2].values == [0.0, 100 * 2 / 6]


def test_a_privacy_officer_sees_the_table(client, history):
    officer(client)
    with at(NOW):
        response = client.get(URL, {"weeks": 4})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choices per week and policy version, last 4 weeks" in page
    assert "30/11/2026" in page and "23/11/2026" in page and "01/10/2026" not in page
    assert "50 % (2)" in page and "25 % (1)" in page
    assert "33 % (2)" not in page  # rates are per version, not per week
    # The chart of the rates, with its data table (one row per week).
    chart = response.context["chart"]
    assert [series.name for series in chart.series] == [
        "Accepted", "Rejected", "Objected to statistics"
    ]
    assert 'id="chart-accept-reject-and-object-rates-per-week"' in page
    assert [row[0] for row in chart.table_rows] == ["Week of 23/11/2026", "Week of 30/11/2026"]
    changelist = client.get(reverse("admin:cookies_consentrecord_changelist")).content.decode()
    assert URL in changelist


def test_bad_period_is_a_clear_400(client, history):
    officer(client)
    for value in ["abc", "0", "9999"]:
        response = client.get(URL, {"weeks": value})
        assert response.status_code == 400
        assert "Please correct the error below." in response.content.decode()


def test_other_staff_are_refused(client):
    client.force_login(member_of("Editors"))
    assert client.get(URL).status_code == 403
    changelist = client.get(reverse("admin:cookies_consentrecord_changelist"))
    assert URL not in changelist.content.decode()


def test_superusers_see_it_too(admin_client, history):
    assert admin_client.get(URL).status_code == 200


def test_the_query_count_does_not_grow_with_the_log(client, history, django_assert_max_num_queries):
    officer(client)
    client.get(URL)
    for day in range(30):
        log(london(2026, 10, 1, 12, 0) + datetime.timedelta(days=day), "accepted")
    with django_assert_max_num_queries(6):
        assert client.get(URL, {"weeks": 52}).status_code == 200
