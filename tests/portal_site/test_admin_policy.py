"""Staff pages get settings.ADMIN_CSP (CKEditor 5 styles its UI inline); the
public keeps the strict policy."""

import pytest
from django.utils.csp import build_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def item_urls(make_item):
    item = make_item()
    base = f"/admin/news/newsitem/{item.pk}"
    return [f"{base}/change/", f"{base}/history/"]


def test_every_admin_view_allows_the_editors_inline_styles(admin_client, settings, item_urls):
    admin_policy = build_policy(settings.ADMIN_CSP)
    urls = [
        "/admin/",
        "/admin/news/newsitem/",
        "/admin/news/newsitem/add/",
        "/admin/pages/standingpage/add/",
        "/admin/maintenance/maintenancenotice/add/",
        "/admin/news/",  # an app's index
        *item_urls,  # the change form and the editorial workflow's own views
    ]
    for url in urls:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Security-Policy"] == admin_policy, url
    assert "'unsafe-inline'" in admin_policy


def test_public_pages_and_the_login_form_keep_the_strict_policy(client, settings, make_item):
    make_item()
    public_policy = build_policy(settings.SECURE_CSP)
    for url in ["/", "/news/2020/", "/admin/login/"]:
        assert client.get(url)["Content-Security-Policy"] == public_policy, url
    assert "unsafe-inline" not in public_policy
