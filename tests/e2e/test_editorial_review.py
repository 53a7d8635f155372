"""An Editor changes a live item in CKEditor 5 and submits it; a Publisher compares
and publishes it; the public page changes only then."""

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from playwright.sync_api import expect

from editorial.roles import sync_roles
from news.models import Category, NewsItem

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PASSWORD = "correct horse battery"


def log_in(page, username):
    page.context.clear_cookies()
    page.goto("/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#dashboard")).to_be_visible()


def test_editor_proposes_publisher_publishes(page, context, browser, live_server):
    sync_roles()  # live-server tests flush the database, groups included
    for name, group in [("edna", "Editors"), ("percy", "Publishers")]:
        user = User.objects.create_user(name, f"{name}@example.org", PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=group))
    item = NewsItem.objects.create(
        title="Scheduled Maintenance Notice",
        category=Category.objects.create(name="Update", slug="update"),
        date=timezone.localdate(),
        summary="All services will be unavailable overnight.",
        body="<p>We apologise for any inconvenience.</p>",
        status=NewsItem.Status.PUBLISHED,
        published_at=timezone.now() - datetime.timedelta(hours=1),
    )
    public = browser.new_context(base_url=live_server.url)  # an anonymous visitor

    log_in(page, "edna")
    page.goto(f"/admin/news/newsitem/{item.pk}/change/")
    editor = page.locator(".ck-editor__editable")
    expect(editor).to_be_visible()
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("Services return at 06:00.")
    page.get_by_role("radio", name="Minor", exact=False).check()  # it is online: asked
    page.get_by_label("Note about this change").fill("Added the return time")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messagelist")).to_contain_text("submitted for review")
    expect(page.locator(".editorial-status")).to_contain_text("Changes waiting for review since")

    public_page = public.new_page()
    public_page.goto(item.get_absolute_url())
    expect(public_page.locator(".body")).not_to_contain_text("Services return")

    log_in(page, "percy")
    page.get_by_role("link", name="Scheduled Maintenance Notice").first.click()
    expect(page.locator(".editorial-diff ins")).to_have_text("Services return at 06:00.")
    page.get_by_label("Publish", exact=True).check()
    page.get_by_role("button", name="Confirm decision").click()
    expect(page.locator(".messagelist")).to_contain_text("Published")

    public.close()
    # Another visitor (the first one's browser may keep the page for its max-age).
    public = browser.new_context(base_url=live_server.url)
    public_page = public.new_page()
    public_page.goto(item.get_absolute_url())
    expect(public_page.locator(".body")).to_contain_text("Services return at 06:00.")
    public.close()
