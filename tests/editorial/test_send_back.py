"""“Send back” keeps the Editor's work: the form shows it again with the comment,
and submitting it again publishes what was sent back plus the fixes."""

import pytest

from editorial.models import Revision

from .conftest import change_data, change_url

pytestmark = pytest.mark.django_db


def test_a_change_sent_back_is_the_editors_to_fix_and_submit_again(
    client, editor, publisher, live_item, smtp_server, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    client.post(change_url(live_item), {
        **change_data(live_item, summary="A better summary."), "_submit": "1"})

    client.force_login(publisher)
    review = f"/admin/news/newsitem/{live_item.pk}/review/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(review, {"decision": "reject", "comment": "Fix the date."})
    [(_, email)] = smtp_server.parsed()
    assert "Your changes are kept" in email.get_content()

    # The Editor opens the item: their text, the comment, and how to go on.
    client.force_login(editor)
    page = client.get(change_url(live_item)).text
    assert "A better summary." in page and "The live summary." not in page
    assert "Changes sent back by percy" in page and "Fix the date." in page
    assert "Make the changes asked for and submit them again." in page
    dashboard = client.get("/admin/").text
    assert "sent back by percy" in dashboard and "Fix the date." in dashboard
    history = client.get(f"/admin/news/newsitem/{live_item.pk}/history/").text
    assert "Continue editing" in history

    # They fix the date and submit again, starting from what they had.
    form = change_data(live_item, summary="A better summary.", date="03/07/2020")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(change_url(live_item), {**form, "_submit": "1"}).status_code == 302
    waiting = Revision.objects.waiting_for_review().get()
    assert waiting.content["summary"] == "A better summary."
    assert waiting.content["date"] == "2020-07-03"
    assert "sent back" not in client.get("/admin/").text  # replaced by the new submission

    client.force_login(publisher)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(review, {"decision": "publish"})
    live_item.refresh_from_db()
    assert (live_item.summary, str(live_item.date)) == ("A better summary.", "2020-07-03")
    rejected = Revision.objects.get(review_comment="Fix the date.")
    assert rejected.state == Revision.State.SUPERSEDED  # its comment stays in the history


@pytest.mark.usefixtures("unambiguous_local_time")  # the draft's form posts "now"
def test_a_draft_sent_back_shows_the_comment(client, editor, publisher, category):
    from news.models import NewsItem

    draft = NewsItem.objects.create(title="Draft", category=category, summary="S")
    client.force_login(editor)
    client.post(change_url(draft), {**change_data(draft), "_submit": "1"})
    client.force_login(publisher)
    client.post(f"/admin/news/newsitem/{draft.pk}/review/",
                {"decision": "reject", "comment": "Add the figures."})
    client.force_login(editor)
    page = client.get(change_url(draft)).text
    assert "Sent back by percy" in page and "Add the figures." in page
    client.post(change_url(draft), {**change_data(draft, summary="With figures."),
                                    "_submit": "1"})
    assert Revision.objects.waiting_for_review().get().content["summary"] == "With figures."
    assert "Sent back by percy" not in client.get(change_url(draft)).text
