"""Downloads under meaningful names, and document series with a stable "latest" link."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from news.models import DocumentSeries, NewsItem

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET = b"PK\x03\x04" + b"x" * 2000


@pytest.fixture
def series(db):
    return DocumentSeries.objects.create(
        title="Insurer Index for RTA A2A Users", slug="insurer-index"
    )


@pytest.fixture
def add_version(make_item, series):
    def add_version(version, date, **item_fields):
        item = make_item(title=f"Insurer Index Update {version}", date=date, **item_fields)
        return item.documents.create(
            title=f"Insurer Index {version}",
            file=ContentFile(SHEET + version.encode(), "upload.xlsx"),
            series=series,
            version=version,
        )

    return add_version


def test_version_download_has_a_meaningful_name_and_is_an_attachment(client, add_version):
    document = add_version("v232", datetime.date(2020, 7, 2))
    assert document.get_absolute_url() == "/documents/insurer-index/v232/"
    response = client.get("/documents/insurer-index/v232/")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == 'attachment; filename="insurer-index-v232.xlsx"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == SHEET + b"v232"


def test_pdf_opens_in_the_browser_with_its_title_as_name(client, make_item):
    item = make_item()
    document = item.documents.create(
        title="Management information June 2020", file=ContentFile(b"%PDF-1.4", "x.pdf")
    )
    response = client.get(document.get_absolute_url())
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'inline; filename="management-information-june-2020.pdf"'
    )


def test_latest_follows_publication(client, add_version, django_capture_on_commit_callbacks):
    add_version("v226", datetime.date(2020, 1, 28))
    add_version("v227", datetime.date(2020, 4, 2))
    newest = add_version("v232", datetime.date(2020, 7, 2), status=NewsItem.Status.DRAFT)
    response = client.get("/documents/insurer-index/latest/")
    assert response.status_code == 302
    assert response["Location"] == "/documents/insurer-index/v227/"
    assert "no-cache" in response["Cache-Control"]
    with django_capture_on_commit_callbacks(execute=True):
        newest.item.status = NewsItem.Status.PUBLISHED
        newest.item.save()
    assert client.get("/documents/insurer-index/latest/")["Location"] == (
        "/documents/insurer-index/v232/"
    )
    page = client.get("/documents/insurer-index/").text
    assert page.index("v232") < page.index("v227") < page.index("v226")
    assert "02/07/2020" in page and "MS Excel Spreadsheet" in page and "2 KB" in page


def test_documents_of_unpublished_items_are_refused(client, add_version, make_item):
    draft = add_version("v232", datetime.date(2020, 7, 2), status=NewsItem.Status.DRAFT)
    scheduled_item = make_item(published_at=datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC))
    scheduled = scheduled_item.documents.create(
        title="Soon", file=ContentFile(b"%PDF-1.4", "x.pdf")
    )
    for url in [
        draft.get_absolute_url(),
        scheduled.get_absolute_url(),
        "/documents/insurer-index/latest/",
    ]:
        assert client.get(url).status_code == 404, url
    # Nor at the file's own random name under /media/.
    assert client.get("/media/" + draft.file.name).status_code == 404
    assert "v232" not in client.get("/documents/insurer-index/").text


def test_staff_who_preview_items_may_download_drafts(admin_client, add_version):
    draft = add_version("v232", datetime.date(2020, 7, 2), status=NewsItem.Status.DRAFT)
    response = admin_client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "private" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_editor_images_are_still_served_from_media(client, settings):
    (settings.MEDIA_ROOT / "editor").mkdir(parents=True)
    (settings.MEDIA_ROOT / "editor" / "abc.png").write_bytes(b"\x89PNG")
    assert client.get("/media/editor/abc.png").status_code == 200


def test_unknown_series_and_versions_are_404(client, series):
    for url in [
        "/documents/nope/",
        "/documents/nope/latest/",
        "/documents/insurer-index/v1/",
        "/documents/999/",
        "/documents/insurer-index/latest/",
    ]:
        assert client.get(url).status_code == 404, url


def test_series_page_query_count(client, add_version, django_assert_max_num_queries, settings):
    settings.PAGE_CACHE_TIMEOUT = 0
    for n in range(8):
        add_version(f"v{220 + n}", datetime.date(2020, 1, 1) + datetime.timedelta(days=n))
    client.get("/documents/insurer-index/")
    with django_assert_max_num_queries(3):
        assert client.get("/documents/insurer-index/").status_code == 200


def test_demo_content_ships_the_three_insurer_index_spreadsheets(client):
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    series = DocumentSeries.objects.get(slug="insurer-index")
    assert sorted(series.versions.values_list("version", flat=True)) == ["v226", "v227", "v232"]
    response = client.get("/documents/insurer-index/latest/", follow=True)
    assert response["Content-Disposition"] == 'attachment; filename="insurer-index-v232.xlsx"'
    content = b"".join(response.streaming_content)
    assert content.startswith(b"PK\x03\x04")  # a real spreadsheet (Office Open XML)
    item = client.get("/news/2020/insurer-index-update-for-rta-a2a-users-v232/").text
    assert 'href="/documents/insurer-index/v232/"' in item
