"""The newsletter sign-up form in a real Chromium, with and without JavaScript."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from playwright.sync_api import expect

from news.models import Category
from newsletter.models import Subscriber
from portal_site.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def site():
    """Categories (live-server tests flush the database); emails sent in-process."""
    Category.objects.create(name="Update", slug="update", order=1)
    Category.objects.create(name="Management info", slug="management-info", order=2)
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    mail.outbox = []
    yield
    celery_app.conf.task_always_eager = saved


@pytest.fixture
def no_js_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def serious_violations(page):
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def confirm_path(live_server):
    (message,) = mail.outbox
    url = re.search(r"https?://\S+/newsletter/confirm/\S+/", message.body).group()
    return "/newsletter/" + url.split("/newsletter/", 1)[1]


def test_sign_up_with_javascript(page, live_server):
    csp_errors = []
    page.on("console", lambda m: "Content Security Policy" in m.text and csp_errors.append(m))
    page.goto("/")
    page.get_by_role("link", name="Sign up now").click()
    expect(page).to_have_url(re.compile(r"/newsletter/\?source=banner$"))
    assert serious_violations(page) == []

    # Bad input first: the error summary is announced and takes focus.
    page.get_by_label("Email address").fill("not-an-address")
    page.get_by_role("button", name="Sign up").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        "Enter an email address in the correct format, like name@example.com."
    )

    # The script's buttons narrow the topics.
    page.get_by_role("button", name="Untick all topics").click()
    expect(page.get_by_label("Update")).not_to_be_checked()
    page.get_by_label("Management info").check()
    page.get_by_label("Monthly").check()
    page.get_by_label("Email address").fill("Reader@Example.com")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.status, subscriber.frequency, subscriber.source) == (
        "reader@example.com",
        "pending",
        "monthly",
        "banner",
    )
    assert list(subscriber.topics.values_list("slug", flat=True)) == ["management-info"]

    page.goto(confirm_path(live_server))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Subscription confirmed")
    subscriber.refresh_from_db()
    assert subscriber.status == "confirmed"
    assert csp_errors == []


def test_sign_up_without_javascript(no_js_page, live_server):
    page = no_js_page
    page.goto("/newsletter/")
    expect(page.get_by_role("button", name="Untick all topics")).to_have_count(0)
    expect(page.get_by_label("Update")).to_be_checked()  # all topics unless narrowed

    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter your email address.")
    assert not Subscriber.objects.exists()

    page.get_by_label("Email address").fill("plain@example.com")
    page.get_by_label("As soon as news is published").check()
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    subscriber = Subscriber.objects.get()
    assert (subscriber.frequency, subscriber.source, subscriber.topics.count()) == (
        "immediate",
        "page",
        0,
    )

    page.goto(confirm_path(live_server))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Subscription confirmed")
    # The preferences page works without the script too.
    page.get_by_role("link", name="change your choices now").click()
    page.get_by_label("Update").uncheck()
    page.get_by_label("Weekly").check()
    page.get_by_role("button", name="Save choices").click()
    expect(page.get_by_role("status")).to_contain_text("Your choices have been saved.")
    subscriber.refresh_from_db()
    assert subscriber.frequency == "weekly"
    assert list(subscriber.topics.values_list("slug", flat=True)) == ["management-info"]
