"""Abuse that used to cost a 500 or wasted work, each answered plainly now."""

import datetime
import io
import struct
import zlib

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from news.models import NewsItem
from newsletter.models import Subscriber

pytestmark = pytest.mark.django_db


class TestPageNumbers:
    @pytest.mark.parametrize(
        "page", ["99999999999999999999", "9223372036854775808", "10001", "0", "-1", "1" * 5000]
    )
    @pytest.mark.parametrize("url", ["/news/2020/", "/news/category/update/"])
    def test_out_of_range_pages_are_404(self, client, make_item, url, page):
        make_item(date=datetime.date(2020, 3, 1))
        assert client.get(url, {"page": page}).status_code == 404

    def test_the_first_page_still_works(self, client, make_item):
        make_item(date=datetime.date(2020, 3, 1))
        assert client.get("/news/2020/", {"page": "1"}).status_code == 200


class WatchedBody(io.RawIOBase):
    """An empty request body that remembers whether anything tried to read it."""

    was_read = False

    def readable(self):
        return True

    def read(self, size=-1):
        self.was_read = True
        return b""

    def readline(self, size=-1):
        return self.read(size)


def post_declaring(client, path, size):
    """POST to `path` declaring a `size`-byte body; the response carries .body_was_read."""
    body = WatchedBody()
    response = client.generic(
        "POST",
        path,
        CONTENT_TYPE="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(size),
        **{"wsgi.input": body},
    )
    response.body_was_read = body.was_read
    return response


class TestBodyLimit:
    def test_a_300_mb_post_is_refused_before_it_is_read(self, client):
        response = post_declaring(client, "/newsletter/unsubscribe/abc/", 300 * 1024 * 1024)
        assert response.status_code == 413
        assert not response.body_was_read
        assert "What you sent is too large" in response.text
        assert "1.0\xa0MB" in response.text

    @pytest.mark.parametrize("path", ["/newsletter/", "/cookies/consent/", "/admin/login/", "/"])
    def test_every_address_has_the_limit(self, client, settings, path):
        response = post_declaring(client, path, settings.REQUEST_MAX_BODY_SIZE + 1)
        assert response.status_code == 413 and not response.body_was_read

    def test_a_body_within_the_limit_is_served(self, client):
        response = client.post("/newsletter/", {"email": "x" * 1000})
        assert response.status_code == 400  # the form's own answer, not the limit's
        assert Subscriber.objects.count() == 0

    def test_staff_may_send_uploads_up_to_the_document_limit(self, client, settings):
        client.force_login(User.objects.create_superuser("editor", password="pw"))
        size = settings.DOCUMENT_MAX_UPLOAD_SIZE  # over the public limit
        assert size > settings.REQUEST_MAX_BODY_SIZE
        response = post_declaring(client, "/admin/news/newsitem/add/", size)
        assert response.status_code == 200 and response.body_was_read  # the form's answer
        too_big = settings.STAFF_REQUEST_MAX_BODY_SIZE + 1
        response = post_declaring(client, "/admin/news/newsitem/add/", too_big)
        assert response.status_code == 413 and not response.body_was_read

    def test_a_non_staff_user_has_the_public_limit(self, client, settings):
        client.force_login(User.objects.create_user("reader", password="pw"))
        size = settings.REQUEST_MAX_BODY_SIZE + 1
        assert post_declaring(client, "/admin/news/newsitem/add/", size).status_code == 413


def image_file(size=(2, 2), fmt="PNG"):
    buffer = io.BytesIO()
    Image.new("L", size).save(buffer, fmt)
    return buffer.getvalue()


def png_claiming(width, height):
    """A small PNG whose header claims width × height pixels: a decompression bomb's shape."""
    png = image_file()
    header = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:12] + header + struct.pack(">I", zlib.crc32(header)) + png[33:]


class TestEditorImageUploads:
    URL = "/ckeditor5/image_upload/"

    def upload(self, client, content, name="chart.png"):
        return client.post(self.URL, {"upload": SimpleUploadedFile(name, content, "image/png")})

    def test_a_decompression_bomb_is_a_clear_400(self, admin_client, settings):
        response = self.upload(admin_client, png_claiming(30_000, 30_000))  # 900 megapixels
        assert response.status_code == 400
        assert "too many pixels" in response.json()["error"]["message"]
        assert not (settings.MEDIA_ROOT / "editor").exists()

    def test_an_image_just_over_pillows_warning_limit_is_refused(self, admin_client, monkeypatch):
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
        response = self.upload(admin_client, png_claiming(11, 10))  # 110 pixels: a warning
        assert response.status_code == 400
        assert "at most 100 are allowed" in response.json()["error"]["message"]

    @pytest.mark.parametrize(
        "content",
        [
            image_file()[:40],  # cut off after the header
            image_file()[:8] + b"\x00" * 200,  # a PNG signature, then nonsense
            image_file(fmt="GIF")[:20],
            b"",
        ],
        ids=["truncated", "broken-chunks", "truncated-gif", "empty"],
    )
    def test_a_damaged_image_is_a_clear_400(self, admin_client, settings, content):
        response = self.upload(admin_client, content)
        assert response.status_code == 400
        assert response.json()["error"]["message"]
        assert not (settings.MEDIA_ROOT / "editor").exists()

    def test_a_form_without_the_file_is_a_400(self, admin_client):
        response = admin_client.post(self.URL, {"other": "x"})
        assert response.status_code == 400
        assert response.json()["error"]["message"] == "Choose an image to upload."

    def test_a_good_image_is_stored_under_a_random_name(self, admin_client):
        response = self.upload(admin_client, image_file())
        assert response.status_code == 200
        assert response.json()["url"].startswith("/media/editor/")

    def test_anonymous_visitors_are_refused_before_any_check(self, client):
        assert self.upload(client, b"not an image").status_code == 403
        assert Client().get(self.URL).status_code == 405


def test_healthz_reuses_one_redis_connection(client, settings, redis_server):
    settings.REDIS_URL = redis_server.url(3)
    assert client.get("/healthz/").json()["redis"] == "ok"
    before = redis_server.connections_received()
    for _ in range(50):
        assert client.get("/healthz/").status_code == 200
    # Our own INFO call is the one new connection.
    assert redis_server.connections_received() - before <= 1


def test_healthz_answers_quickly_when_redis_is_frozen(client, settings, redis_server):
    import time

    settings.REDIS_URL = redis_server.url(3)
    assert client.get("/healthz/").status_code == 200
    redis_server.freeze()
    started = time.monotonic()
    response = client.get("/healthz/")
    assert response.status_code == 503 and response.json()["redis"] == "error"
    assert time.monotonic() - started < 3
    redis_server.thaw()
    assert client.get("/healthz/").status_code == 200  # the same pool, recovered


def test_items_are_untouched_by_refused_requests(client, make_item):
    item = make_item(date=datetime.date(2020, 3, 1))
    post_declaring(client, f"/admin/news/newsitem/{item.pk}/change/", 10**9)
    assert NewsItem.objects.get(pk=item.pk).title == item.title
