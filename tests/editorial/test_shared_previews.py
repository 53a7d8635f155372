"""A Publisher shares a preview of a change waiting for review with someone
who has no account: a signed link that expires (EDITORIAL_PREVIEW_LINK_DAYS),
never cached, never indexed."""

import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from editorial.models import AuditEntry

from .conftest import change_data, change_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(client, editor, live_item):
    client.force_login(editor)
    client.post(change_url(live_item), {**change_data(
        live_item, body="<p>The proposed body.</p>"), "_submit": "1"})
    return live_item


def share(client, item, number=1):
    response = client.post(f"/admin/news/newsitem/{item.pk}/history/{number}/share/")
    assert response.status_code == 200, response.status_code
    link = re.search(r'id="shared-link" type="text" readonly value="([^"]+)"', response.text)
    return link.group(1)


def path_of(link):
    return re.sub(r"^https?://[^/]+", "", link)


def test_a_reviewer_without_an_account_sees_the_change_until_the_link_expires(
    client, publisher, waiting, settings
):
    client.force_login(publisher)
    review = client.get(f"/admin/news/newsitem/{waiting.pk}/review/").text
    assert "Share a preview link" in review
    link = path_of(share(client, waiting))
    assert link.startswith("/preview/")
    assert AuditEntry.objects.filter(action="share").exists()

    reviewer = client.__class__()
    response = reviewer.get(link)
    assert response.status_code == 200
    assert "The proposed body." in response.text and "The live body." not in response.text
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "Set-Cookie" not in response  # no session for the reviewer
    assert "The live body." in reviewer.get(waiting.get_absolute_url()).text

    later = timezone.now() + datetime.timedelta(days=settings.EDITORIAL_PREVIEW_LINK_DAYS,
                                                 minutes=1)
    with time_machine.travel(later, tick=False):  # the signature's clock is time.time()
        expired = reviewer.get(link)
    assert expired.status_code == 410 and "This preview link has expired." in expired.text


def test_the_link_ends_when_the_change_is_published(client, publisher, waiting,
                                                    django_capture_on_commit_callbacks):
    client.force_login(publisher)
    link = path_of(share(client, waiting))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/news/newsitem/{waiting.pk}/review/", {"decision": "publish"})
    response = client.__class__().get(link)
    assert response.status_code == 410
    assert "published or replaced" in response.text


def test_a_forged_or_altered_link_is_nothing(client, publisher, waiting):
    client.force_login(publisher)
    link = path_of(share(client, waiting))
    token = link.split("/")[2]
    reader = client.__class__()
    assert reader.get(f"/preview/{token[:-2]}xx/").status_code == 404
    assert reader.get("/preview/eyJyZXZpc2lvbiI6MX0/").status_code == 404


def test_only_publishers_share_and_only_changes_not_yet_published(client, editor, publisher,
                                                                   waiting):
    client.force_login(editor)
    assert client.post(f"/admin/news/newsitem/{waiting.pk}/history/1/share/").status_code == 403
    client.force_login(publisher)
    assert client.get(f"/admin/news/newsitem/{waiting.pk}/history/1/share/").status_code == 405
    client.post(change_url(waiting), change_data(waiting, summary="Published directly."))
    # Revision 1 was replaced by the Publisher's save (revision 2, live).
    assert client.post(f"/admin/news/newsitem/{waiting.pk}/history/2/share/").status_code == 404
