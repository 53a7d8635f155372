"""Revisions, compare and revert; expiry; body checks; the audit log; roles; lockout."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from editorial import audit
from editorial import revisions as workflow
from editorial.models import AuditEntry, Revision
from news.models import Document, NewsItem
from news.selectors import scheduled_changes

from .conftest import change_data, change_url

pytestmark = pytest.mark.django_db


class TestRevisions:
    def test_every_save_is_a_revision_compared_and_reverted(self, client, publisher, editor,
                                                            live_item):
        client.force_login(publisher)
        for summary in ["Second.", "Third."]:
            client.post(change_url(live_item), change_data(live_item, summary=summary,
                                                           revision_message=f"to {summary}"))
            live_item.refresh_from_db()
        assert list(Revision.objects.order_by("number").values_list("number", "message")) == [
            (1, "to Second."), (2, "to Third.")
        ]
        page = client.get(f"/admin/news/newsitem/{live_item.pk}/revisions/").text
        assert "to Second." in page and "Revert to this" in page
        compare = client.get(f"/admin/news/newsitem/{live_item.pk}/revisions/compare/?a=1&b=2")
        assert compare.status_code == 200
        assert "Second." in compare.text and "Third." in compare.text
        assert "(changed)" in compare.text
        preview = client.get(f"/admin/news/newsitem/{live_item.pk}/revisions/1/preview/")
        assert "Second." in preview.text

        # An Editor's revert of a live item still needs review.
        client.force_login(editor)
        client.post(f"/admin/news/newsitem/{live_item.pk}/revisions/1/revert/")
        live_item.refresh_from_db()
        assert live_item.summary == "Third."
        assert Revision.objects.get(number=3).applied is False
        # A Publisher's revert is live at once, as a new revision.
        client.force_login(publisher)
        client.post(f"/admin/news/newsitem/{live_item.pk}/revisions/1/revert/")
        live_item.refresh_from_db()
        assert live_item.summary == "Second."
        assert Revision.objects.get(number=4).applied
        assert AuditEntry.objects.filter(action="revert").count() == 2

    def test_revert_needs_post_and_change_rights(self, client, editor, live_item):
        client.force_login(editor)
        url = f"/admin/news/newsitem/{live_item.pk}/revisions/1/revert/"
        assert client.get(url).status_code in (403, 404)
        viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
        client.force_login(viewer)
        assert client.get(f"/admin/news/newsitem/{live_item.pk}/revisions/").status_code == 403


class TestExpiry:
    def test_an_item_leaves_every_public_page_at_its_expiry_time(self, client, live_item,
                                                                 monkeypatch):
        expiry = timezone.now().replace(microsecond=0) + datetime.timedelta(hours=1)
        live_item.expires_at = expiry
        live_item.save()
        urls = ["/", "/news/", "/news/2020/", "/news/category/update/", "/news/feed/",
                "/news/feed/atom/", "/sitemap.xml", "/news/search/?q=Insurer"]
        for now, visible in [(expiry - datetime.timedelta(seconds=1), True), (expiry, False)]:
            monkeypatch.setattr(timezone, "now", lambda now=now: now)
            from django.core.cache import cache

            cache.clear()
            for url in urls:
                assert (live_item.slug in client.get(url).text) is visible, (url, now)
            assert (client.get(live_item.get_absolute_url()).status_code == 200) is visible

    def test_the_cache_expiry_honours_it(self, live_item):
        live_item.expires_at = timezone.now() + datetime.timedelta(seconds=90)
        live_item.save()
        now = timezone.now()
        (change,) = scheduled_changes(now, now + datetime.timedelta(minutes=10))
        assert change[0] == live_item.expires_at
        assert f"news-item-{live_item.pk}" in change[1]

    def test_expiry_before_publication_is_refused_next_to_the_field(self, client, publisher,
                                                                   live_item):
        client.force_login(publisher)
        response = client.post(change_url(live_item), change_data(
            live_item, expires_at_0="01/01/2000", expires_at_1="09:00:00"))
        assert response.status_code == 200
        assert "Enter an expiry time after the publication time." in response.text


class TestBodyChecks:
    @pytest.mark.parametrize("body, message", [
        ('<figure class="image"><img src="/media/a.png"></figure>', "no alternative text"),
        ("<h3>Sub</h3><p>x</p>", "Headings in the body start at level 2"),
        ("<h1>Big</h1>", "Headings in the body start at level 2"),
    ])
    def test_submit_and_publish_need_them(self, client, editor, publisher, category, body,
                                          message):
        draft = NewsItem.objects.create(title="D", category=category, summary="S", body=body,
                                        date=datetime.date(2020, 1, 1))
        client.force_login(editor)
        # As posted (saving would strip an <h1>, which the allow-list lacks).
        response = client.post(change_url(draft), {**change_data(draft, body=body),
                                                    "_submit": "1"})
        assert response.status_code == 200 and message in response.text
        assert not Revision.objects.waiting_for_review().exists()
        client.force_login(publisher)
        response = client.post(change_url(draft), change_data(draft, body=body,
                                                              status="published"))
        assert message in response.text
        draft.refresh_from_db()
        assert draft.status == "draft"

    @pytest.mark.usefixtures("unambiguous_local_time")
    def test_decorative_images_are_an_explicit_choice(self, client, editor, category):
        draft = NewsItem.objects.create(title="D", category=category, summary="S",
                                        body='<p><img src="/media/a.png"></p>',
                                        date=datetime.date(2020, 1, 1))
        client.force_login(editor)
        data = {**change_data(draft, decorative_images="on"), "_submit": "1"}
        assert client.post(change_url(draft), data).status_code == 302
        assert Revision.objects.waiting_for_review().count() == 1


class TestAuditLog:
    def test_publish_unpublish_delete_single_and_bulk_are_logged_and_exported(
        self, client, publisher, live_item, category
    ):
        other = NewsItem.objects.create(title="=HYPERLINK()", category=category, summary="S",
                                        date=datetime.date(2020, 1, 1))
        client.force_login(publisher)
        client.post("/admin/news/newsitem/", {"action": "publish",
                                              "_selected_action": [other.pk]})
        client.post("/admin/news/newsitem/", {"action": "unpublish",
                                              "_selected_action": [live_item.pk, other.pk]})
        client.post(f"/admin/news/newsitem/{other.pk}/delete/", {"post": "yes"})
        client.post("/admin/news/newsitem/", {"action": "delete_selected", "post": "yes",
                                              "_selected_action": [live_item.pk]})
        rows = list(AuditEntry.objects.order_by("pk").values_list("action", "bulk", "object_repr"))
        assert rows == [
            ("publish", True, "=HYPERLINK()"),
            ("unpublish", True, "Insurer Index v232"),
            ("unpublish", True, "=HYPERLINK()"),
            ("delete", False, "=HYPERLINK()"),
            ("delete", True, "Insurer Index v232"),
        ]
        assert client.get("/admin/editorial/auditentry/?action__exact=delete").status_code == 200
        ids = list(AuditEntry.objects.values_list("pk", flat=True))
        response = client.post("/admin/editorial/auditentry/",
                               {"action": "export_csv", "_selected_action": ids})
        assert response["Content-Type"].startswith("text/csv")
        text = b"".join(response.streaming_content).decode()
        assert text.splitlines()[0] == ",".join(audit.CSV_COLUMNS)
        assert "'=HYPERLINK()" in text and "percy" in text
        # Read-only: nobody edits or deletes the log by hand.
        entry = AuditEntry.objects.first()
        assert client.post(f"/admin/editorial/auditentry/{entry.pk}/delete/",
                           {"post": "yes"}).status_code == 403

    def test_old_entries_are_pruned(self, settings):
        settings.EDITORIAL_AUDIT_RETENTION_DAYS = 30
        AuditEntry.objects.create(action="publish",
                                  created_at=timezone.now() - datetime.timedelta(days=31))
        AuditEntry.objects.create(action="publish")
        from editorial.tasks import prune_audit_log

        assert prune_audit_log.apply().get() == 1
        assert AuditEntry.objects.count() == 1


class TestRoles:
    def codenames(self, name):
        return set(Group.objects.get(name=name).permissions.values_list(
            "content_type__app_label", "codename"))

    def test_newsletter_managers_have_the_newsletter_and_no_news(self):
        managers = self.codenames("Newsletter managers")
        assert {("newsletter", "view_subscriber"), ("newsletter", "change_suppression"),
                ("newsletter", "view_delivery"),
                ("newsletter", "view_subscriptionconsent")} <= managers
        assert not {app for app, _ in managers} - {"newsletter"}

    def test_editors_and_publishers_see_no_personal_data(self, client, editor, publisher):
        for role in ("Editors", "Publishers"):
            assert not {app for app, _ in self.codenames(role)} & {"newsletter", "cookies"}
        for user in (editor, publisher):
            client.force_login(user)
            assert client.get("/admin/newsletter/subscriber/").status_code == 403

    def test_a_hand_added_permission_is_taken_away_on_migrate(self):
        from django.contrib.auth.models import Permission

        from editorial.roles import sync_roles

        editors = Group.objects.get(name="Editors")
        editors.permissions.add(Permission.objects.get(codename="publish_newsitem"))
        sync_roles()
        assert ("news", "publish_newsitem") not in self.codenames("Editors")


class TestLockout:
    def test_failed_log_ins_lock_the_account_until_a_superuser_lifts_it(self, client, editor,
                                                                        settings):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            response = client.post("/admin/login/?next=/admin/",
                                   {"username": "edna", "password": "wrong"})
            assert response.status_code == 200
        response = client.post("/admin/login/?next=/admin/",
                               {"username": "edna", "password": "wrong"})
        assert response.status_code == 429
        assert "this account is locked for 15 minutes" in response.text
        # Even the right password is refused now, from anywhere.
        response = client.post("/admin/login/?next=/admin/",
                               {"username": "edna", "password": "pw"},
                               REMOTE_ADDR="10.1.2.3")
        assert response.status_code == 429
        assert AuditEntry.objects.filter(action="lockout", actor_name="edna").exists()

        admin = User.objects.create_superuser("root", "root@example.org", "pw")
        client.force_login(admin)
        assert client.get("/admin/axes/accessattempt/").status_code == 200
        attempts = list(AccessAttempt.objects.filter(username="edna").values_list("pk", flat=True))
        client.post("/admin/axes/accessattempt/",
                    {"action": "delete_selected", "post": "yes", "_selected_action": attempts})
        assert not AccessAttempt.objects.exists()
        client.logout()
        response = client.post("/admin/login/?next=/admin/",
                               {"username": "edna", "password": "pw"})
        assert response.status_code == 302


def test_previewing_an_earlier_revision_shows_its_documents(client, publisher, live_item):
    """A document renamed since: the earlier revision's preview shows the old title."""
    document = Document.objects.create(
        item=live_item, title="Insurer Index v226", file=SimpleUploadedFile("v226.csv", b"a\n")
    )
    workflow.record_save(live_item, publisher, "With the v226 document")
    client.force_login(publisher)
    data = change_data(live_item, **{
        "documents-TOTAL_FORMS": "1", "documents-INITIAL_FORMS": "1",
        "documents-0-id": document.pk, "documents-0-item": live_item.pk,
        "documents-0-title": "Insurer Index v226 (corrected)", "documents-0-position": "0",
    })
    assert client.post(change_url(live_item), data).status_code == 302
    document.refresh_from_db()
    assert document.title == "Insurer Index v226 (corrected)"
    first, latest = Revision.objects.for_object(live_item).order_by("number")
    base = f"/admin/news/newsitem/{live_item.pk}/revisions"
    earlier = client.get(f"{base}/{first.number}/preview/").text
    assert "Insurer Index v226" in earlier and "(corrected)" not in earlier
    assert "Insurer Index v226 (corrected)" in client.get(f"{base}/{latest.number}/preview/").text
