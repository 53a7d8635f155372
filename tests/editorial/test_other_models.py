"""Maintenance notices and standing pages follow the news items' review rules."""

import datetime

import pytest
from django.utils import timezone

from editorial.models import Revision
from maintenance.models import MaintenanceNotice
from pages.models import StandingPage

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_notice(db):
    starts = timezone.now() + datetime.timedelta(days=10)
    return MaintenanceNotice.objects.create(
        title="Portal offline on Sunday", starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=6),
        status=MaintenanceNotice.Status.PUBLISHED,
    )


@pytest.fixture
def live_page(db):
    return StandingPage.objects.get_or_create(
        slug="privacy", defaults={"title": "Privacy notice", "summary": "What we keep.",
                                  "body": "<p>Live text.</p>", "status": "published"},
    )[0]


def notice_form(notice, **changes):
    start, end = timezone.localtime(notice.starts_at), timezone.localtime(notice.ends_at)
    banner = timezone.localtime(notice.banner_from)
    data = {
        "title": notice.title, "description": notice.description, "item": "",
        "starts_at_0": start.strftime("%d/%m/%Y"), "starts_at_1": start.strftime("%H:%M:%S"),
        "ends_at_0": end.strftime("%d/%m/%Y"), "ends_at_1": end.strftime("%H:%M:%S"),
        "banner_from_0": banner.strftime("%d/%m/%Y"), "banner_from_1": banner.strftime("%H:%M:%S"),
        "web_portal": "on", "a2a": "on", "training_site": "on", "status": notice.status,
    }
    data.update(changes)
    return data


def test_an_editors_change_to_a_live_notice_waits_for_a_publisher(
    client, editor, publisher, live_notice, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    url = f"/admin/maintenance/maintenancenotice/{live_notice.pk}/change/"
    # An Editor can neither take it offline or delete it.
    client.post(url, notice_form(live_notice, status="draft"))
    live_notice.refresh_from_db()
    assert live_notice.status == "published"
    delete = f"/admin/maintenance/maintenancenotice/{live_notice.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 403
    response = client.post(
        url, notice_form(live_notice, title="Portal offline all weekend", _submit="1")
    )
    assert response.status_code == 302, response.content[:2000]
    live_notice.refresh_from_db()
    assert live_notice.title == "Portal offline on Sunday"
    public = client.__class__().get(live_notice.get_absolute_url()).text
    assert "Portal offline on Sunday" in public and "all weekend" not in public
    assert Revision.objects.filter(object_id=str(live_notice.pk)).exists()

    client.force_login(publisher)
    review = f"/admin/maintenance/maintenancenotice/{live_notice.pk}/review/"
    assert "all weekend" in client.get(review).text
    proposal = Revision.objects.get(state="submitted")
    notice_url = f"/admin/maintenance/maintenancenotice/{live_notice.pk}"
    preview = client.get(f"{notice_url}/history/{proposal.number}/preview/")
    assert "Portal offline all weekend" in preview.text  # the public page's template
    with django_capture_on_commit_callbacks(execute=True):
        client.post(review, {"decision": "publish"})
    live_notice.refresh_from_db()
    assert live_notice.title == "Portal offline all weekend"


def test_an_editors_change_to_a_live_standing_page_waits_for_a_publisher(
    client, editor, live_page
):
    client.force_login(editor)
    url = f"/admin/pages/standingpage/{live_page.pk}/change/"
    data = {"title": live_page.title, "slug": "privacy", "summary": live_page.summary,
            "body": "<p>Proposed text.</p>", "status": "published"}
    assert client.post(url, data).status_code == 302
    live_page.refresh_from_db()
    assert "Live text." in live_page.body
    public = client.__class__().get("/privacy/").text
    assert "Proposed text." not in public
    preview = client.get(f"/admin/pages/standingpage/{live_page.pk}/history/1/preview/")
    assert "Proposed text." in preview.text and preview["X-Robots-Tag"] == "noindex, nofollow"


def test_editors_can_open_and_add_standing_pages(client, editor, live_page):
    """The address (slug) is the Publishers'; the form must not try to fill it in."""
    client.force_login(editor)
    assert client.get(f"/admin/pages/standingpage/{live_page.pk}/change/").status_code == 200
    assert client.get("/admin/pages/standingpage/add/").status_code == 200
    response = client.post("/admin/pages/standingpage/add/", {
        "title": "Cookies explained", "summary": "S", "body": "<p>B</p>"})
    assert response.status_code == 302
    page = StandingPage.objects.get(title="Cookies explained")
    assert (page.slug, page.status) == ("cookies-explained", "draft")


def test_the_dashboard_links_each_change_to_its_own_kind(client, editor, publisher, live_page,
                                                         live_notice):
    client.force_login(editor)
    client.post(f"/admin/pages/standingpage/{live_page.pk}/change/", {
        "title": live_page.title, "summary": live_page.summary, "body": "<p>Proposed.</p>",
        "_submit": "1"})
    client.post(f"/admin/maintenance/maintenancenotice/{live_notice.pk}/change/",
                notice_form(live_notice, title="Longer window", _submit="1"))
    client.force_login(publisher)
    page = client.get("/admin/").text
    assert f"/admin/pages/standingpage/{live_page.pk}/review/" in page
    assert f"/admin/maintenance/maintenancenotice/{live_notice.pk}/review/" in page
    assert "/admin/news/newsitem/" not in page.split("Waiting for review")[1].split("</ul>")[0]
