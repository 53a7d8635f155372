"""In a real browser: the change-note question when a Publisher saves a live
item, and the edit-conflict screen when two Publishers save the same item."""

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from playwright.sync_api import expect

from editorial.roles import sync_roles
from news.models import Category, ChangeNote, NewsItem

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PASSWORD = "correct horse battery"


@pytest.fixture
def item():
    sync_roles()  # live-server tests flush the database, groups included
    for name in ("percy", "petra"):
        user = User.objects.create_user(name, f"{name}@example.org", PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name="Publishers"))
    return NewsItem.objects.create(
        title="Insurer Index v232",
        category=Category.objects.create(name="Update", slug="update"),
        date=datetime.date(2020, 7, 2),
        summary="The Insurer Index has been updated.",
        body="<p>Download the new version below.</p>",
        status=NewsItem.Status.PUBLISHED,
        published_at=timezone.now() - datetime.timedelta(days=30),
    )


def log_in(page, username):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#dashboard")).to_be_visible()


def test_a_major_change_asks_for_a_note_and_shows_it_on_the_page(page, item):
    log_in(page, "percy")
    page.goto(f"/admin/news/newsitem/{item.pk}/change/")
    page.get_by_label("Summary").fill("The Insurer Index v232 replaces v231 from today.")
    question = page.get_by_role("group", name="Do readers need to know about this change?")
    expect(question).to_be_visible()
    # With the keyboard, as many staff work: to the first choice, then down to "Major".
    question.get_by_role("radio").first.focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="Major", exact=False)).to_be_checked()
    page.get_by_role("button", name="Save", exact=True).last.click()
    expect(page.locator(".field-change_note .errorlist")).to_have_text(
        "A major change needs a note for readers.")
    note = page.get_by_label("Change note")
    expect(note).to_be_visible()
    note.fill("The summary now says which version replaces which.")
    page.get_by_role("button", name="Save", exact=True).last.click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.goto(item.get_absolute_url())
    today = timezone.localdate().strftime("%d/%m/%Y")
    expect(page.locator(".news-meta .updated")).to_have_text(f"Updated {today}")
    updates = page.get_by_role("region", name="Updates to this item")
    expect(updates).to_contain_text("The summary now says which version replaces which.")
    expect(updates).to_contain_text("First published.")
    assert ChangeNote.objects.get().note == "The summary now says which version replaces which."


def test_the_second_to_save_is_shown_what_changed_and_chooses(browser, live_server, item):
    def publisher_page(name):
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(10_000)
        page = context.new_page()
        log_in(page, name)
        page.goto(f"/admin/news/newsitem/{item.pk}/change/")
        return page

    percy, petra = publisher_page("percy"), publisher_page("petra")

    percy.get_by_label("Summary").fill("Percy's summary.")
    percy.get_by_role("radio", name="Minor", exact=False).check()
    percy.get_by_role("button", name="Save", exact=True).last.click()
    expect(percy.locator(".messagelist")).to_contain_text("was changed successfully")

    petra.get_by_label("Title").fill("Insurer Index v232 (spreadsheet)")
    petra.get_by_role("radio", name="Minor", exact=False).check()
    petra.get_by_role("button", name="Save", exact=True).last.click()
    conflict = petra.get_by_role("region", name="percy saved this since you opened it")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("Where your version differs from theirs")
    expect(conflict.locator(".editorial-diff")).to_contain_text("Percy's summary.")
    expect(conflict.locator(".editorial-diff")).to_contain_text("Insurer Index v232 (spreadsheet)")
    # Her typing is still in the form; nothing was saved.
    expect(petra.get_by_label("Title")).to_have_value("Insurer Index v232 (spreadsheet)")
    item.refresh_from_db()
    assert (item.title, item.summary) == ("Insurer Index v232", "Percy's summary.")

    # She takes his version instead, and saves her title on top of it.
    conflict.get_by_role("link", name="Discard mine and open their version").click()
    expect(petra.get_by_label("Summary")).to_have_value("Percy's summary.")
    petra.get_by_label("Title").fill("Insurer Index v232 (spreadsheet)")
    petra.get_by_role("radio", name="Minor", exact=False).check()
    petra.get_by_role("button", name="Save", exact=True).last.click()
    expect(petra.locator(".messagelist")).to_contain_text("was changed successfully")
    item.refresh_from_db()
    assert (item.title, item.summary) == ("Insurer Index v232 (spreadsheet)", "Percy's summary.")
    percy.context.close()
    petra.context.close()
