"""The registration API other apps use (README, "Editorial workflow"): an app
adds staff roles' permissions and admin index panels, and registers models
for review, without the workflow knowing of it."""

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings

from editorial import registry
from editorial.registry import Panel, Registration, Review
from editorial.roles import sync_roles
from maintenance.models import MaintenanceNotice
from news.models import NewsItem
from pages.models import StandingPage
from tests.helpers import member_of

pytestmark = pytest.mark.django_db


def releases_panel(request):
    if not request.user.has_perm("news.change_category"):
        return None
    return Panel("Releases this month", "newsletter/_dashboard_panel.html", {"progress": None})


# What an app of figures would put in its editorial_hooks.py.
figures = Registration(
    roles={"Statisticians": ["news.change_category"], "Publishers": ["news.change_category"]},
    dashboard_panels=[releases_panel],
)
WITH_FIGURES = override_settings(
    EDITORIAL_REGISTRATIONS=[
        "editorial.editorial_hooks.registration",
        "news.editorial_hooks.registration",
        "tests.editorial.test_registry.figures",
    ]
)


def test_reviewed_models_are_those_the_apps_register():
    assert registry.review_for(NewsItem).schedule_fields == ("published_at", "expires_at")
    assert registry.review_for(StandingPage).preview_template == "pages/page.html"
    assert registry.review_for(MaintenanceNotice).preview_name == "notice"
    assert registry.review_for(Group) is None
    assert Review("news.NewsItem").model_class is NewsItem


@WITH_FIGURES
def test_a_registration_adds_a_role_and_a_panel(client):
    sync_roles()
    statisticians = Group.objects.get(name="Statisticians")
    assert list(statisticians.permissions.values_list("codename", flat=True)) == [
        "change_category"
    ]
    # Publishers keep the news permissions and gain the new one once.
    publishers = set(Group.objects.get(name="Publishers").permissions.values_list(
        "codename", flat=True))
    assert {"publish_newsitem", "change_category"} <= publishers

    client.force_login(member_of("Statisticians"))
    page = client.get("/admin/").text
    assert "Releases this month" in page and "No digest has been sent yet." in page
    assert "Reviews" not in page  # the review queue is for those who see revisions


@WITH_FIGURES
def test_a_panel_is_left_out_for_whom_it_returns_nothing(client):
    sync_roles()
    client.force_login(member_of("Editors"))
    page = client.get("/admin/").text
    assert "Releases this month" not in page and "Waiting for review" in page


wrong = Registration(reviews=[Review("news.Category", change_notes=True), Review("news.Nothing")])


@override_settings(EDITORIAL_REGISTRATIONS=["tests.editorial.test_registry.wrong"])
def test_a_wrong_registration_is_told_at_start_up():
    from editorial.checks import check_registrations

    # The news items, notices, pages and MI releases admins expect review this
    # registration does not give.
    assert sorted(problem.id for problem in check_registrations()) == [
        "editorial.E001", "editorial.E002", "editorial.E003", "editorial.E004", "editorial.E005",
        "editorial.E006", "editorial.E006", "editorial.E006", "editorial.E006",
    ]
