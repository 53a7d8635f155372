import pytest
from django.core.management import call_command

from pages.models import StandingPage
from tests.helpers import member_of, sitemap_entries

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("load_demo_content", stdout=open("/dev/null", "w"))


@pytest.mark.parametrize(
    "url, heading, phrase",
    [
        ("/privacy/", "Privacy notice", "ask us for a copy of the personal information"),
        ("/accessibility/", "Accessibility statement", "Enforcement procedure"),
        ("/about/", "About", "Insurer Index"),
    ],
)
def test_standing_pages_are_published_and_linked_from_every_footer(
    client, demo, url, heading, phrase
):
    response = client.get(url)
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.text and phrase in response.text
    for page in ["/", "/news/", "/maintenance/", "/cookies/", "/newsletter/"]:
        assert f'href="{url}"' in client.get(page).text, page


def test_privacy_notice_names_the_retention_and_the_contact(client, demo, settings):
    text = client.get("/privacy/").text
    assert f"{settings.COOKIE_CONSENT_LOG_RETENTION_DAYS} days" in text
    assert f"mailto:{settings.CONTACT_EMAIL}" in text


def test_loading_again_keeps_editors_changes(demo):
    StandingPage.objects.filter(slug="about").update(title="About us")
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    assert StandingPage.objects.get(slug="about").title == "About us"
    assert StandingPage.objects.count() == 3


def test_drafts_are_404_and_body_is_cleaned(client):
    page = StandingPage.objects.create(
        slug="terms", title="Terms", summary="s", body='<p onclick="x()">Hi<script>1</script></p>'
    )
    assert client.get("/terms/").status_code == 404
    assert "onclick" not in page.body and "<script>" not in page.body


def test_in_the_sitemap(client, demo):
    entries = sitemap_entries(client)
    for slug in ["privacy", "accessibility", "about"]:
        assert f"http://127.0.0.1:8000/{slug}/" in entries


@pytest.mark.parametrize("group, status", [("Editors", "draft"), ("Publishers", "published")])
def test_only_publishers_publish(client, group, status):
    client.force_login(member_of(group))
    response = client.post(
        "/admin/pages/standingpage/add/",
        {
            "title": "Terms",
            "slug": "terms",
            "summary": "Terms.",
            "body": "<p>x</p>",
            "status": "published",
        },
    )
    assert response.status_code == 302, response.text[:2000]
    assert StandingPage.objects.get().status == status


def test_reserved_addresses_are_refused(client):
    client.force_login(member_of("Publishers"))
    response = client.post(
        "/admin/pages/standingpage/add/",
        {"title": "News", "slug": "news", "summary": "x", "body": "", "status": "draft"},
    )
    assert "That address belongs to another part of the site." in response.text
    assert not StandingPage.objects.exists()
