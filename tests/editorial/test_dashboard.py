import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from news.models import NewsItem
from newsletter.models import Delivery, Digest, Subscriber

from .conftest import change_data, change_url

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("unambiguous_local_time")
def test_publishers_see_the_queue_schedule_drafts_recent_items(
    client, editor, publisher, live_item, category, django_assert_max_num_queries
):
    now = timezone.now()
    NewsItem.objects.create(title="Goes live later", category=category, summary="S",
                            status="published", published_at=now + datetime.timedelta(days=1))
    live_item.expires_at = now + datetime.timedelta(days=3)
    live_item.save()
    client.force_login(editor)
    client.post(change_url(live_item), {**change_data(live_item, title="Retitled"),
                                        "_submit": "1"})
    client.post("/admin/news/newsitem/add/", change_data(
        NewsItem(title="Edna's draft", category=category, date=datetime.date(2020, 1, 1),
                 summary="S", published_at=now), slug="", archive_year=""))

    page = client.get("/admin/").text
    assert "Waiting for review" in page and "Insurer Index v232" in page
    assert "Edna&#x27;s draft" in page or "Edna's draft" in page

    client.force_login(publisher)
    with django_assert_max_num_queries(25):
        page = client.get("/admin/").text
    assert f"/admin/news/newsitem/{live_item.pk}/review/" in page
    assert "Goes live later" in page
    assert (now + datetime.timedelta(days=3)).astimezone(
        timezone.get_current_timezone()).strftime("%d/%m/%Y") in page
    assert "Recently published" in page
    assert "Last digest" not in page  # Publishers have no newsletter rights


def test_newsletter_managers_see_the_last_digests_progress(client):
    manager = User.objects.create_user("nora", password="pw", is_staff=True)
    manager.groups.add(Group.objects.get(name="Newsletter managers"))
    digest = Digest.objects.create(frequency="weekly", period="2026-W48",
                                   until=timezone.now(), status="sending")
    for n, status in enumerate(["sent", "sent", "failed", "pending"]):
        subscriber = Subscriber.objects.create(email=f"r{n}@example.com")
        Delivery.objects.create(digest=digest, subscriber=subscriber, since=timezone.now(),
                                status=status)
    client.force_login(manager)
    page = client.get("/admin/").text
    assert "2 of 4 sent, 1 waiting, 1 failed" in page
    assert "Waiting for review" not in page


def test_review_pages_make_a_fixed_number_of_queries(
    client, editor, publisher, live_item, django_assert_max_num_queries
):
    client.force_login(publisher)
    for n in range(5):
        client.post(change_url(live_item), change_data(live_item, summary=f"Summary {n}."))
        live_item.refresh_from_db()
    client.force_login(editor)
    client.post(change_url(live_item), {**change_data(live_item, title="T"), "_submit": "1"})
    client.force_login(publisher)
    base = f"/admin/news/newsitem/{live_item.pk}"
    for url in [f"{base}/history/", f"{base}/history/compare/?a=1&b=6", f"{base}/review/",
                f"{base}/history/6/preview/", f"{base}/change/"]:
        with django_assert_max_num_queries(20):
            assert client.get(url).status_code == 200, url
