"""Withdraw versus unpublish, as a Publisher does them in admin. A withdrawn
item stays at its address with a notice, leaves lists, search, feeds and the
sitemap, and asks not to be indexed; an unpublished one is gone (410) or sends
readers to its replacement (301)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from editorial.models import AuditEntry, Revision
from news.models import Document, NewsItem

from .conftest import change_url

pytestmark = pytest.mark.django_db

LISTS = ["/", "/news/", "/news/2020/", "/news/category/update/", "/news/feed/",
         "/news/feed/atom/", "/sitemap-items.xml", "/news/search/?q=Insurer"]


def withdraw_url(item):
    return f"/admin/news/newsitem/{item.pk}/withdraw/"


def unpublish_url(item):
    return f"/admin/news/newsitem/{item.pk}/unpublish/"


def test_a_withdrawn_item_keeps_its_address_with_a_notice(
    client, publisher, live_item, django_capture_on_commit_callbacks
):
    document = Document.objects.create(item=live_item, title="Index",
                                       file=SimpleUploadedFile("i.csv", b"a,b\n"))
    reader = client.__class__()
    assert all(live_item.slug in reader.get(url).text for url in LISTS)

    client.force_login(publisher)
    assert withdraw_url(live_item) in client.get(change_url(live_item)).text
    form = client.get(withdraw_url(live_item)).text
    assert 'name="reason"' in form and "Public reason" in form and "unpublish it" in form
    response = client.post(withdraw_url(live_item), {"reason": "  "})
    assert response.status_code == 400 and "Give the reason readers will see." in response.text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(withdraw_url(live_item), {
            "reason": "Replaced by the Insurer Index v233."})
    assert response.status_code == 302

    page = reader.get(live_item.get_absolute_url())
    assert page.status_code == 200
    live_item.refresh_from_db()
    day = timezone.localtime(live_item.withdrawn_at).strftime("%d/%m/%Y")
    assert "This was withdrawn on" in page.text and day in page.text
    assert "Replaced by the Insurer Index v233." in page.text
    assert page["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in page.text
    assert "public" in page["Cache-Control"]  # the same page for everyone
    for url in LISTS:
        assert live_item.slug not in reader.get(url).text, url
    # Its documents still download from the page that lists them.
    assert reader.get(document.get_absolute_url()).status_code == 200

    assert AuditEntry.objects.filter(action="withdraw",
                                     detail="Replaced by the Insurer Index v233.").exists()
    assert Revision.objects.for_object(live_item).get().content["withdrawn_at"]
    assert "Withdrawn on" in client.get(change_url(live_item)).text


def test_an_unpublished_item_is_gone(client, publisher, live_item,
                                     django_capture_on_commit_callbacks):
    client.force_login(publisher)
    form = client.get(unpublish_url(live_item)).text
    assert 'name="replacement"' in form and "Send readers to (optional)" in form
    assert "admin/js/autocomplete.js" in form  # items are found by typing, not a long list
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(unpublish_url(live_item), {"replacement": ""}).status_code == 302
    live_item.refresh_from_db()
    assert live_item.status == NewsItem.Status.UNPUBLISHED
    response = client.__class__().get(live_item.get_absolute_url())
    assert response.status_code == 410
    assert "This item has been removed" in response.text
    assert AuditEntry.objects.filter(action="unpublish").exists()


def test_an_unpublished_item_can_send_readers_to_its_replacement(
    client, publisher, live_item, make_item, django_capture_on_commit_callbacks
):
    replacement = make_item(title="Insurer Index v233", date=datetime.date(2020, 8, 1))
    draft = make_item(title="Not yet", status=NewsItem.Status.DRAFT)
    client.force_login(publisher)
    response = client.post(unpublish_url(live_item), {"replacement": draft.pk})
    assert response.status_code == 400 and "Choose a published item." in response.text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(unpublish_url(live_item), {"replacement": replacement.pk})
    response = client.__class__().get(live_item.get_absolute_url())
    assert response.status_code == 301
    assert response["Location"] == replacement.get_absolute_url()
    # Once the replacement is gone too, so is the redirect.
    replacement.unpublish()
    replacement.save()
    assert client.__class__().get(live_item.get_absolute_url()).status_code == 410


def test_expired_items_are_gone_and_drafts_never_existed(client, make_item):
    expired = make_item(expires_at=timezone.now() - datetime.timedelta(hours=1))
    draft = make_item(status=NewsItem.Status.DRAFT)
    assert client.get(expired.get_absolute_url()).status_code == 410
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get("/news/2020/no-such-item/").status_code == 404


def test_only_publishers_withdraw_or_unpublish(client, editor, live_item):
    client.force_login(editor)
    page = client.get(change_url(live_item)).text
    assert withdraw_url(live_item) not in page and unpublish_url(live_item) not in page
    assert client.post(withdraw_url(live_item), {"reason": "x"}).status_code == 403
    assert client.post(unpublish_url(live_item), {}).status_code == 403
    live_item.refresh_from_db()
    assert live_item.is_public


def test_the_bulk_action_unpublishes_too(client, publisher, live_item):
    client.force_login(publisher)
    client.post("/admin/news/newsitem/", {"action": "unpublish",
                                          "_selected_action": [live_item.pk]})
    assert client.__class__().get(live_item.get_absolute_url()).status_code == 410


def test_category_counts_are_the_published_items(client, make_item):
    """Counted with the one rule of what the public sees: not expired, not withdrawn."""
    make_item()
    make_item(expires_at=timezone.now() - datetime.timedelta(hours=1))
    withdrawn = make_item()
    withdrawn.withdraw("Out of date.")
    withdrawn.save()
    make_item(status=NewsItem.Status.DRAFT)
    page = client.get("/news/category/").text
    assert '<p class="category-list__count">1 item ·' in page
