"""A newsletter manager follows an import and a digest in admin: the bars move
and the import page shows its result by itself, with no reload by hand."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from newsletter.models import Delivery, Digest, Subscriber, SubscriberImport

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def manager(page):
    User.objects.create_superuser("manager", "manager@example.com", "correct horse battery")
    page.goto("/admin/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    return page


def test_the_import_page_follows_the_worker_by_itself(manager):
    page = manager
    csp = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else 0)
    job = SubscriberImport.objects.create(
        file_name="list.csv", content="email\n", status="importing", total_rows=100, rows_done=10
    )
    page.goto(f"/admin/newsletter/subscriber/import/{job.pk}/")
    bar = page.locator("#import-progress")
    expect(bar).to_have_attribute("value", "10")
    # The worker gets on; the bar follows.
    SubscriberImport.objects.filter(pk=job.pk).update(rows_done=60)
    expect(bar).to_have_attribute("value", "60")
    expect(page.get_by_text("60 of 100 rows")).to_be_visible()
    # It finishes; the page shows the result.
    SubscriberImport.objects.filter(pk=job.pk).update(
        status="done", rows_done=100, finished_at=timezone.now()
    )
    expect(page.get_by_role("heading", name="Result")).to_be_visible()
    assert csp == []


def test_the_digest_bar_refreshes_itself(manager):
    page = manager
    digest = Digest.objects.create(
        frequency="weekly", period="2026-W49", until=timezone.now(), status="sending",
        recipients=4,
    )
    subscribers = Subscriber.objects.bulk_create(
        Subscriber(email=f"r{n}@example.com", status="confirmed") for n in range(4)
    )
    Delivery.objects.bulk_create(
        Delivery(digest=digest, subscriber=s, since=timezone.now()) for s in subscribers
    )
    page.goto("/admin/newsletter/digest/")
    bar = page.locator("td.field-progress progress")
    expect(bar).to_have_attribute("value", "0")
    Delivery.objects.filter(subscriber__in=subscribers[:3]).update(status="sent")
    expect(bar).to_have_attribute("value", "3")
    expect(page.get_by_text("3 of 4 emails")).to_be_visible()


def test_the_preview_shows_the_digest_in_a_sandboxed_frame(manager):
    """The email's HTML, with its inline styles, renders in the frame under
    the admin's Content Security Policy; its text is shown as text."""
    from news.models import Category, NewsItem

    page = manager
    csp = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else 0)
    update = Category.objects.create(name="Update", slug="update", order=1)
    NewsItem.objects.create(
        title="Insurer Index v232", category=update, date=timezone.localdate(),
        summary="The new index.", status=NewsItem.Status.PUBLISHED,
        published_at=timezone.now() - timezone.timedelta(hours=1),
    )
    page.goto("/admin/newsletter/digest/")
    page.get_by_role("link", name="Preview the next digest").click()
    page.get_by_label("Monthly").check()
    page.get_by_role("button", name="Show the preview").click()
    frame = page.frame_locator("iframe[title=\"The digest's HTML\"]")
    expect(frame.get_by_role("link", name="Read more about Insurer Index v232")).to_be_visible()
    expect(frame.get_by_role("link", name="Unsubscribe")).to_be_visible()
    heading = frame.get_by_role("heading", name="News and updates")
    assert heading.evaluate("h => getComputedStyle(h).fontSize") == "24px"  # inline style applied
    expect(page.locator("#preview-text")).to_contain_text("Unsubscribe: http")
    assert csp == []


def test_a_manager_pauses_and_resumes_a_digest_with_the_keyboard(manager):
    page = manager
    digest = Digest.objects.create(
        frequency="weekly", period="2026-W49", until=timezone.now(), status="sending",
    )
    page.goto(f"/admin/newsletter/digest/{digest.pk}/change/")
    page.get_by_role("button", name="Pause sending").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#digest-status")).to_have_text("Paused")
    expect(page.locator("#digest-stop-reason")).to_contain_text("Paused by manager on")
    page.get_by_role("button", name="Resume sending").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#digest-status")).to_have_text("Sending")
    assert Digest.objects.get(pk=digest.pk).status == "sending"
