"""Editors propose, Publishers publish: through the real admin, as each role."""

import datetime

import feedparser
import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from editorial.models import AuditEntry, Revision
from news.models import Document, NewsItem

from .conftest import change_data, change_url, local, staff

pytestmark = pytest.mark.django_db(transaction=False)


def public_text(client, item):
    return client.get(f"/news/{item.archive_year}/{item.slug}/").text


def feed_summaries(client):
    return [entry.summary for entry in feedparser.parse(client.get("/news/feed/").content).entries]


class TestEditorsEditLiveItems:
    def test_the_public_page_and_feed_keep_the_live_version_until_published(
        self, client, editor, publisher, live_item, smtp_server, django_capture_on_commit_callbacks
    ):
        anonymous = client.__class__()
        assert "The live body." in public_text(anonymous, live_item)

        client.force_login(editor)
        data = change_data(live_item, summary="The new summary.", body="<p>The new body.</p>",
                           revision_message="Fixed the summary")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(change_url(live_item), data)
        assert response.status_code == 302, response.context["errors"]

        live_item.refresh_from_db()
        assert live_item.summary == "The live summary."
        assert "The live body." in public_text(anonymous, live_item)
        assert "The new body." not in public_text(anonymous, live_item)
        assert feed_summaries(anonymous) == ["The live summary."]
        pending = Revision.objects.get(applied=False)
        assert pending.state == Revision.State.UNSUBMITTED
        assert pending.content["summary"] == "The new summary."
        assert pending.message == "Fixed the summary"

        # The change form says so and shows the pending text; preview shows it too.
        page = client.get(change_url(live_item)).text
        assert "Changes saved but not yet submitted for review" in page
        assert "The new summary." in page
        preview = client.get(f"/admin/news/newsitem/{live_item.pk}/history/"
                             f"{pending.number}/preview/")
        assert "The new body." in preview.text and "noindex" in preview["X-Robots-Tag"]

        # Submit for review: each Publisher gets an email with a link.
        second = staff("petra", "Publishers")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(change_url(live_item), {**data, "_submit": "Submit"})
        assert response.status_code == 302
        page = client.get(change_url(live_item)).text
        assert "Changes waiting for review since" in page and "by edna" in page
        recipients = sorted(r for rcpt, _ in smtp_server.parsed() for r in rcpt)
        assert recipients == sorted([publisher.email, second.email])
        _, message = smtp_server.parsed()[0]
        assert message["Subject"] == "Waiting for review: Insurer Index v232"
        review_url = f"/admin/news/newsitem/{live_item.pk}/review/"
        assert review_url in message.get_content()
        assert "The live body." in public_text(anonymous, live_item)

        # The Publisher compares side by side (body as text) and publishes.
        client.force_login(publisher)
        review = client.get(review_url)
        assert review.status_code == 200
        assert 'name="decision" value="publish"' in review.text
        assert "Confirm decision" in review.text
        assert "<del>The live body.</del>" in review.text
        assert "<ins>The new body.</ins>" in review.text
        assert "&lt;p&gt;" not in review.text
        with django_capture_on_commit_callbacks(execute=True):  # the page cache's invalidation
            response = client.post(review_url, {"decision": "publish"})
        assert response.status_code == 302
        assert "The new body." in public_text(anonymous, live_item)
        assert feed_summaries(anonymous) == ["The new summary."]
        actions = list(AuditEntry.objects.order_by("pk").values_list("action", "actor_name"))
        assert actions == [("submit", "edna"), ("approve", "percy")]

    def test_sent_back_with_a_comment_emails_the_author(
        self, client, editor, publisher, live_item, smtp_server, django_capture_on_commit_callbacks
    ):
        client.force_login(editor)
        client.post(change_url(live_item), {**change_data(live_item, title="New title"),
                                            "_submit": "1"})
        client.force_login(publisher)
        url = f"/admin/news/newsitem/{live_item.pk}/review/"
        response = client.post(url, {"decision": "reject", "comment": "  "})
        assert response.status_code == 400
        assert "Say what needs changing" in response.text
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"decision": "reject", "comment": "Check the date."})
        assert response.status_code == 302
        assert Revision.objects.get(applied=False).state == Revision.State.REJECTED
        [(rcpt, message)] = smtp_server.parsed()
        assert rcpt == [editor.email]
        assert "Check the date." in message.get_content()
        live_item.refresh_from_db()
        assert live_item.title == "Insurer Index v232"
        assert AuditEntry.objects.filter(action="reject", detail="Check the date.").exists()

    @pytest.mark.usefixtures("unambiguous_local_time")
    @pytest.mark.parametrize(
        "field, value",
        [
            ("status", "draft"),
            ("published_at_0", "01/01/2099"),
            ("expires_at_0", "soon"),
            ("archive_year", "2019"),
            ("slug", "somewhere-else"),
            ("title", "A new title"),
            ("summary", "A new summary"),
            ("body", "<p>New</p>"),
            ("date", "01/01/2019"),
        ],
    )
    def test_no_field_changes_the_live_item(self, client, editor, live_item, other_category,
                                            field, value):
        client.force_login(editor)
        data = change_data(live_item, **{field: value})
        if field == "expires_at_0":  # a minute from now: it would go offline
            soon = local(timezone.now() + datetime.timedelta(minutes=1))
            data["expires_at_0"], data["expires_at_1"] = soon
        before = NewsItem.objects.filter(pk=live_item.pk).values().get()
        response = client.post(change_url(live_item), data)
        assert response.status_code == 302, response.context["errors"]
        assert NewsItem.objects.filter(pk=live_item.pk).values().get() == before
        assert client.__class__().get(live_item.get_absolute_url()).status_code == 200

    def test_the_category_too(self, client, editor, live_item, other_category):
        client.force_login(editor)
        client.post(change_url(live_item), change_data(live_item, category=other_category.pk))
        live_item.refresh_from_db()
        assert live_item.category.slug == "update"

    def test_document_changes_wait_for_review_too(self, client, editor, publisher, live_item,
                                                  django_capture_on_commit_callbacks):
        Document.objects.create(
            item=live_item, title="Index v231", file=SimpleUploadedFile("v231.csv", b"a,b\n")
        )
        doc = live_item.documents.get()
        client.force_login(editor)
        data = change_data(live_item, **{
            "documents-TOTAL_FORMS": "2", "documents-INITIAL_FORMS": "1",
            "documents-0-id": doc.pk, "documents-0-item": live_item.pk,
            "documents-0-title": "Index v231", "documents-0-position": "0",
            "documents-0-DELETE": "on",
            "documents-1-title": "Index v232", "documents-1-position": "1",
            "documents-1-file": SimpleUploadedFile("v232.csv", b"c,d\n"),
            "_submit": "1",
        })
        assert client.post(change_url(live_item), data).status_code == 302
        assert list(live_item.documents.values_list("title", flat=True)) == ["Index v231"]
        public = client.__class__().get(live_item.get_absolute_url()).text
        assert doc.get_absolute_url() in public and "Index v231" in public

        # The pending revision's preview lists its documents, not the live ones.
        pending = Revision.objects.for_object(live_item).unpublished_changes().get()
        preview = client.get(
            f"/admin/news/newsitem/{live_item.pk}/history/{pending.number}/preview/"
        ).text
        assert "Index v232" in preview and "New: downloadable once published" in preview
        assert "Index v231" not in preview and doc.get_absolute_url() not in preview

        client.force_login(publisher)
        review = client.get(f"/admin/news/newsitem/{live_item.pk}/review/").text
        assert "Index v232" in review and "v232.csv" in review
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/admin/news/newsitem/{live_item.pk}/review/", {"decision": "publish"})
        [new] = live_item.documents.all()
        assert (new.title, new.original_name, new.size) == ("Index v232", "v232.csv", 4)
        assert new.file.read() == b"c,d\n"
        page = client.__class__().get(live_item.get_absolute_url()).text
        assert new.get_absolute_url() in page and "Index v232" in page
        assert doc.get_absolute_url() not in page

    def test_old_addresses_stay_read_only_and_forged_rows_are_ignored(self, client, editor,
                                                                      live_item):
        # Even with the right to add old addresses, not on a live item without review.
        editor.user_permissions.add(Permission.objects.get(codename="add_oldaddress"))
        client.force_login(editor)
        page = client.get(change_url(live_item)).text
        assert "old_addresses-empty" not in page  # no row to add
        assert "documents-empty" in page  # documents changes are proposed
        data = change_data(live_item, **{
            "old_addresses-TOTAL_FORMS": "1",
            "old_addresses-0-archive_year": "2019", "old_addresses-0-slug": "forged",
        })
        assert client.post(change_url(live_item), data).status_code == 302
        assert not live_item.old_addresses.exists()
        client.force_login(editor)
        assert client.get("/news/2019/forged/").status_code == 404

    def test_editors_cannot_delete_or_use_bulk_actions(self, client, editor, live_item):
        client.force_login(editor)
        assert client.get(f"/admin/news/newsitem/{live_item.pk}/delete/").status_code == 403
        assert client.post(f"/admin/news/newsitem/{live_item.pk}/delete/",
                           {"post": "yes"}).status_code == 403
        for action in ["unpublish", "delete_selected", "publish"]:
            client.post("/admin/news/newsitem/", {
                "action": action, "_selected_action": [live_item.pk], "post": "yes",
            })
        live_item.refresh_from_db()
        assert live_item.is_public
        # Nor publish through the review page.
        client.post(change_url(live_item), {**change_data(live_item, title="X"), "_submit": "1"})
        url = f"/admin/news/newsitem/{live_item.pk}/review/"
        assert client.post(url, {"decision": "publish"}).status_code == 403
        live_item.refresh_from_db()
        assert live_item.title == "Insurer Index v232"

    @pytest.mark.usefixtures("unambiguous_local_time")
    def test_a_new_item_by_an_editor_is_a_draft_even_if_forged(self, client, editor, category):
        client.force_login(editor)
        item = NewsItem(title="T", category=category, date=datetime.date(2020, 1, 1),
                        summary="S", status="published", published_at=timezone.now())
        data = change_data(item, slug="", archive_year="")
        assert client.post("/admin/news/newsitem/add/", data).status_code == 302
        assert NewsItem.objects.get().status == "draft"


class TestPublishers:
    def test_a_publisher_edit_is_live_at_once_and_is_a_revision(
        self, client, publisher, live_item
    ):
        client.force_login(publisher)
        client.post(change_url(live_item), change_data(live_item, summary="Direct."))
        live_item.refresh_from_db()
        assert live_item.summary == "Direct."
        revision = Revision.objects.get()
        assert revision.applied and revision.author == publisher

    @pytest.mark.usefixtures("unambiguous_local_time")
    def test_publish_a_draft_at_a_time(self, client, editor, publisher, category):
        draft = NewsItem.objects.create(title="Draft", category=category, summary="S",
                                        date=datetime.date(2020, 1, 1))
        client.force_login(editor)
        client.post(change_url(draft), {**change_data(draft), "_submit": "1"})
        assert Revision.objects.waiting_for_review().count() == 1
        client.force_login(publisher)
        at = timezone.now() + datetime.timedelta(days=2)
        date, time = local(at)
        response = client.post(f"/admin/news/newsitem/{draft.pk}/review/",
                               {"decision": "publish", "publish_at_0": date[6:] + "-" + date[3:5]
                                + "-" + date[:2], "publish_at_1": time[:5]})
        assert response.status_code == 302, response.text
        draft.refresh_from_db()
        assert draft.status == "published" and not draft.is_public
        assert AuditEntry.objects.filter(action="schedule").exists()

    def test_a_live_items_change_published_at_a_time(
        self, client, editor, publisher, live_item, django_capture_on_commit_callbacks
    ):
        client.force_login(editor)
        client.post(change_url(live_item), {**change_data(live_item, title="New"), "_submit": 1})
        client.force_login(publisher)
        at = timezone.now() + datetime.timedelta(days=2)
        response = client.post(f"/admin/news/newsitem/{live_item.pk}/review/", {
            "decision": "publish", "publish_at_0": timezone.localtime(at).strftime("%Y-%m-%d"),
            "publish_at_1": timezone.localtime(at).strftime("%H:%M")})
        assert response.status_code == 302
        revision = Revision.objects.get(applied=False)
        assert revision.state == Revision.State.SCHEDULED
        assert "going live at" in client.get(change_url(live_item)).text
        assert "Approved changes going live later" in client.get("/admin/").text

        from editorial.tasks import publish_due_revisions
        from editorial.workflow import publish_due

        assert publish_due(now=at - datetime.timedelta(minutes=2)) == 0
        live_item.refresh_from_db()
        assert live_item.title == "Insurer Index v232"
        with django_capture_on_commit_callbacks(execute=True):
            assert publish_due(now=at + datetime.timedelta(seconds=30)) == 1
        live_item.refresh_from_db()
        assert live_item.title == "New" and live_item.is_public
        assert "New" in client.__class__().get(live_item.get_absolute_url()).text
        assert publish_due_revisions.apply().get() == 0
        assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
            "submit", "schedule", "approve"
        ]

    def test_a_time_in_the_past_is_refused_next_to_the_field(self, client, editor, publisher,
                                                             live_item):
        client.force_login(editor)
        client.post(change_url(live_item), {**change_data(live_item, title="New"), "_submit": 1})
        client.force_login(publisher)
        response = client.post(f"/admin/news/newsitem/{live_item.pk}/review/", {
            "decision": "publish", "publish_at_0": "2020-01-01", "publish_at_1": "10:00"})
        assert response.status_code == 400
        assert "Enter a time in the future" in response.text
