import pytest

from cookies import consent
from cookies.defaults import install
from cookies.models import ConsentPolicy, CookieCategory, CookieDeclaration


@pytest.fixture
def cookie_defaults(db):
    """The migration's default categories (recreated where a flush removed them)."""
    install(CookieCategory, CookieDeclaration, ConsentPolicy)
    consent.forget_policy()
    return {c.slug: c for c in CookieCategory.objects.all()}


def consent_cookie(client):
    return client.cookies[consent.cookie_name()].value
