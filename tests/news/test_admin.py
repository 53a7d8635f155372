import datetime
import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from news.models import Document, NewsItem
from tests.helpers import member_of

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def item_form(category, **overrides):
    data = {
        "title": "Insurer Index Update for RTA A2A Users v232",
        "slug": "",
        "category": category.pk,
        "date": "02/07/2020",
        "archive_year": "",
        "position": "0",
        "summary": "An updated version of the Insurer Index spreadsheet is now available.",
        "body": '<p>See below.</p><script>alert(1)</script><img src="x" onerror="alert(1)">',
        "author": "",
        "decorative_images": "on",  # the body's <img> has no alternative text
        "status": "published",
        "published_at_0": "02/07/2020",
        "published_at_1": "09:00:00",
        "documents-TOTAL_FORMS": "1",
        "documents-INITIAL_FORMS": "0",
        "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "1000",
        "documents-0-title": "",
        "documents-0-position": "0",
        "old_addresses-TOTAL_FORMS": "0",
        "old_addresses-INITIAL_FORMS": "0",
        "old_addresses-MIN_NUM_FORMS": "0",
        "old_addresses-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


ADD_URL = "/admin/news/newsitem/add/"


class TestGroups:
    def test_migration_creates_editors_and_publishers(self):
        def codenames(name):
            return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

        editors, publishers = codenames("Editors"), codenames("Publishers")
        assert {"add_newsitem", "change_newsitem"} <= editors
        assert "publish_newsitem" not in editors and "delete_newsitem" not in editors
        assert {"publish_newsitem", "delete_newsitem"} <= publishers

    def test_an_editor_saves_drafts_only(self, client, category):
        client.force_login(member_of("Editors"))
        response = client.post(ADD_URL, item_form(category))
        assert response.status_code == 302, response.context and response.context["errors"]
        item = NewsItem.objects.get()
        assert item.status == NewsItem.Status.DRAFT

    def test_a_publisher_publishes_and_the_body_is_cleaned(self, client, category):
        client.force_login(member_of("Publishers"))
        response = client.post(ADD_URL, item_form(category))
        assert response.status_code == 302
        item = NewsItem.objects.get()
        assert item.status == NewsItem.Status.PUBLISHED
        assert item.slug == "insurer-index-update-for-rta-a2a-users-v232"
        assert item.archive_year == 2020
        assert "<script" not in item.body and "onerror" not in item.body
        assert client.get(item.get_absolute_url()).status_code == 200

    def test_bulk_publish_and_unpublish(self, client, make_item):
        drafts = [make_item(status=NewsItem.Status.DRAFT) for _ in range(3)]
        client.force_login(member_of("Publishers"))
        changelist = "/admin/news/newsitem/"
        ids = [d.pk for d in drafts]
        client.post(changelist, {"action": "publish", "_selected_action": ids})
        assert NewsItem.objects.published().count() == 3
        client.post(changelist, {"action": "unpublish", "_selected_action": ids[:1]})
        assert NewsItem.objects.published().count() == 2

    def test_editors_do_not_get_the_publish_actions(self, client, make_item):
        make_item()
        client.force_login(member_of("Editors"))
        response = client.get("/admin/news/newsitem/")
        assert response.status_code == 200
        assert 'value="publish"' not in response.text

    def test_changelist_filters_search_and_date_hierarchy(self, admin_client, make_item):
        make_item(title="Findable")
        for query in ["", "?status__exact=published", "?archive_year=2020", "?q=Findable",
                      "?date__year=2020"]:
            response = admin_client.get("/admin/news/newsitem/" + query)
            assert response.status_code == 200
            assert "Findable" in response.text

    def test_editor_page_uses_ckeditor_5_and_view_on_site(self, admin_client, make_item):
        item = make_item()
        response = admin_client.get(f"/admin/news/newsitem/{item.pk}/change/")
        assert "django_ckeditor_5" in response.text
        assert "View on site" in response.text
        assert "unsafe-inline" in response["Content-Security-Policy"]


class TestDocumentUploads:
    def post_with_document(self, client, category, upload, title="Insurer Index v232"):
        client.force_login(member_of("Publishers"))
        return client.post(
            ADD_URL,
            item_form(category, **{"documents-0-title": title, "documents-0-file": upload}),
        )

    def test_a_real_spreadsheet_is_stored_under_a_random_name(self, client, category):
        upload = SimpleUploadedFile("Insurer Index v232.xlsx", b"PK\x03\x04" + b"\0" * 2000, XLSX)
        response = self.post_with_document(client, category, upload)
        assert response.status_code == 302
        document = Document.objects.get()
        assert document.original_name == "Insurer Index v232.xlsx"
        assert "Insurer" not in document.file.name and document.file.name.endswith(".xlsx")
        assert document.label == "Insurer Index v232 (XLSX, 2 KB)"

    @pytest.mark.parametrize(
        "upload, message",
        [
            (SimpleUploadedFile("evil.exe", b"MZ\x90\x00", "application/octet-stream"),
             "is not an allowed type of document"),
            (SimpleUploadedFile("page.html", b"<script>", "text/html"),
             "is not an allowed type of document"),
            (SimpleUploadedFile("fake.pdf", b"MZ\x90\x00not a pdf", "application/pdf"),
             "is not a real PDF file"),
            (SimpleUploadedFile("fake.xlsx", b"%PDF-1.4", XLSX), "is not a real XLSX file"),
            (SimpleUploadedFile("report.pdf", b"%PDF-1.4", "text/html"), "does not match"),
            (SimpleUploadedFile("data.csv", b"a,b\n\x00\x01\x02", "text/csv"),
             "is not a real CSV file"),
            (SimpleUploadedFile("empty.pdf", b"", "application/pdf"), "empty"),
        ],
    )
    def test_disallowed_uploads_get_a_message_and_nothing_is_saved(
        self, client, category, upload, message
    ):
        response = self.post_with_document(client, category, upload)
        assert response.status_code == 200
        assert message in response.text
        assert not NewsItem.objects.exists() and not Document.objects.exists()
        # What the editor typed is still in the form.
        assert "Insurer Index Update for RTA A2A Users v232" in response.text

    def test_oversized_upload_is_refused(self, client, category, settings):
        settings.DOCUMENT_MAX_UPLOAD_SIZE = 1024
        upload = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 2048, "application/pdf")
        response = self.post_with_document(client, category, upload)
        assert "The file must be smaller than" in response.text
        assert not Document.objects.exists()

    def test_a_failed_upload_on_an_existing_item_loses_nothing(self, client, make_item):
        item = make_item(title="Keep me", summary="Original summary")
        client.force_login(member_of("Publishers"))
        data = item_form(
            item.category,
            title="Keep me edited",
            slug=item.slug,
            **{
                "documents-0-title": "Bad",
                "documents-0-file": SimpleUploadedFile("x.exe", b"MZ", "application/octet-stream"),
            },
        )
        response = client.post(f"/admin/news/newsitem/{item.pk}/change/", data)
        assert response.status_code == 200
        item.refresh_from_db()
        assert (item.title, item.summary) == ("Keep me", "Original summary")


class TestEditorImageUploads:
    URL = "/ckeditor5/image_upload/"

    def png(self):
        from PIL import Image

        buffer = io.BytesIO()
        Image.new("RGB", (2, 2)).save(buffer, "PNG")
        return SimpleUploadedFile("chart.png", buffer.getvalue(), "image/png")

    def test_anonymous_and_non_staff_cannot_upload(self, client):
        assert client.post(self.URL, {"upload": self.png()}).status_code == 403
        client.force_login(User.objects.create_user("public", password="pw"))
        assert client.post(self.URL, {"upload": self.png()}).status_code == 403

    def test_staff_upload_gets_a_random_name(self, admin_client):
        response = admin_client.post(self.URL, {"upload": self.png()})
        assert response.status_code == 200
        url = response.json()["url"]
        assert url.startswith("/media/editor/") and url.endswith(".png") and "chart" not in url

    def test_a_non_image_is_refused(self, admin_client):
        fake = SimpleUploadedFile("chart.png", b"<script>alert(1)</script>", "image/png")
        response = admin_client.post(self.URL, {"upload": fake})
        assert response.status_code == 400
        assert "error" in response.json()


def test_documents_admin_date_is_dd_mm_yyyy(admin_client, make_item):
    item = make_item(date=datetime.date(2021, 1, 15))
    response = admin_client.get(reverse("admin:news_newsitem_change", args=[item.pk]))
    assert 'value="15/01/2021"' in response.text
