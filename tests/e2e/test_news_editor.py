"""An editor logs in, writes an item in CKEditor 5, publishes it and finds it on the year page."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone
from playwright.sync_api import expect

from news.models import Category, NewsItem

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def publisher():
    # Made here rather than taken from the migration: live-server tests flush
    # the database between tests on PostgreSQL.
    group, _ = Group.objects.get_or_create(name="Test publishers")
    group.permissions.set(Permission.objects.filter(content_type__app_label="news"))
    user = User.objects.create_user("publisher", password="correct horse battery", is_staff=True)
    user.groups.add(group)
    return user


def test_editor_writes_and_publishes_an_item(page, publisher):
    Category.objects.create(name="Update", slug="update")
    today = timezone.localdate()
    csp_violations = []
    page.on(
        "console",
        lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text else None,
    )

    page.goto("/admin/")
    page.get_by_label("Username").fill("publisher")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()

    page.goto("/admin/news/newsitem/add/")
    page.get_by_label("Title").fill("Scheduled Maintenance Notice")
    page.get_by_label("Category").select_option(label="Update")
    page.get_by_label("Summary").fill("All Claims Portal Services will be unavailable overnight.")

    editor = page.locator(".ck-editor__editable")
    expect(editor).to_be_visible()
    editor.click()
    page.keyboard.type("We apologise for any inconvenience ")
    page.keyboard.press("Control+b")
    page.keyboard.type("this may cause")
    page.keyboard.press("Control+b")
    page.keyboard.type(".")

    page.get_by_label("Status").select_option(label="Published")
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    item = NewsItem.objects.get()
    assert item.slug == "scheduled-maintenance-notice"
    assert "<strong>this may cause</strong>" in item.body

    page.goto(f"/news/{today.year}/")
    link = page.get_by_role("link", name="Scheduled Maintenance Notice", exact=True)
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scheduled Maintenance Notice")
    expect(page.locator(".body strong")).to_have_text("this may cause")
    expect(page.locator("time").first).to_have_text(today.strftime("%d/%m/%Y"))
    assert csp_violations == []
