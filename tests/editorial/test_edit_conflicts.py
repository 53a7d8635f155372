"""Two staff edit the same item: the second to save is told that someone saved
since they opened it, sees what changed, and chooses. Nothing is overwritten
without their say."""

import re

import pytest

from editorial.models import Revision

from .conftest import change_data, change_url, staff

pytestmark = pytest.mark.django_db


def opened_on(page):
    """The revision the change form was opened on (its hidden field)."""
    return re.search(r'name="base_revision" value="(\d+)"', page).group(1)


@pytest.fixture
def second_publisher(db):
    return staff("petra", "Publishers")


def test_the_second_to_save_sees_the_first_ones_changes_and_chooses(
    client, publisher, second_publisher, live_item
):
    percy, petra = client, client.__class__()
    percy.force_login(publisher)
    petra.force_login(second_publisher)
    percy_base = opened_on(percy.get(change_url(live_item)).text)
    petra_base = opened_on(petra.get(change_url(live_item)).text)
    assert percy_base == petra_base == "0"

    # Percy saves first.
    response = percy.post(change_url(live_item), change_data(
        live_item, summary="Percy's summary.", base_revision=percy_base,
        revision_message="Shorter"))
    assert response.status_code == 302

    # Petra saves what she typed: nothing is saved, she is told and shown.
    mine = change_data(live_item, title="Petra's title", base_revision=petra_base)
    response = petra.post(change_url(live_item), mine)
    assert response.status_code == 200
    page = response.text
    assert "percy saved this since you opened it" in page
    assert "after you opened it. Nothing was saved" in page
    assert "Revision 1" in page and "“Shorter”" in page
    # What differs between hers and his: his summary (she had the old one) and her title.
    assert "Percy&#x27;s summary." in page and "Petra&#x27;s title" in page
    assert 'name="overwrite" value="1"' in page
    assert "Discard mine and open their version" in page
    live_item.refresh_from_db()
    assert (live_item.title, live_item.summary) == ("Insurer Index v232", "Percy's summary.")
    assert Revision.objects.count() == 1

    # She chooses to save hers over his, knowingly.
    response = petra.post(change_url(live_item), {**mine, "overwrite": "1"})
    assert response.status_code == 302
    live_item.refresh_from_db()
    assert (live_item.title, live_item.summary) == ("Petra's title", "The live summary.")
    assert Revision.objects.count() == 2


def test_an_editors_proposal_is_protected_too(client, editor, publisher, live_item):
    """An Editor opened the item; a Publisher published a change meanwhile."""
    client.force_login(editor)
    base = opened_on(client.get(change_url(live_item)).text)
    publisher_client = client.__class__()
    publisher_client.force_login(publisher)
    publisher_client.post(change_url(live_item), change_data(live_item, body="<p>New.</p>"))
    response = client.post(change_url(live_item), {
        **change_data(live_item, summary="Proposed."), "base_revision": base, "_submit": "1"})
    assert response.status_code == 200
    assert "percy saved this since you opened it" in response.text
    assert not Revision.objects.unpublished_changes().exists()


def test_saving_again_after_your_own_save_is_no_conflict(client, publisher, live_item):
    client.force_login(publisher)
    base = opened_on(client.get(change_url(live_item)).text)
    client.post(change_url(live_item), change_data(live_item, summary="First.", base_revision=base))
    live_item.refresh_from_db()
    base = opened_on(client.get(change_url(live_item)).text)
    assert base == "1"
    response = client.post(change_url(live_item), change_data(
        live_item, summary="Second.", base_revision=base))
    assert response.status_code == 302
