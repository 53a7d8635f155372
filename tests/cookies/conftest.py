import json
import re
import subprocess
import sys

import pytest
from django.conf import settings

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


@pytest.fixture
def statistics_exception(cookie_defaults, settings):
    """COOKIE_STATISTICS_BASIS=exception: the next policy read starts a new version."""
    settings.COOKIE_STATISTICS_BASIS = "exception"
    consent.forget_policy()
    return consent.current_policy()


def page_policy(response):
    """The cookie policy a page gives its scripts (<script id="cookie-policy">)."""
    html = response.content.decode()
    found = re.search(r'<script id="cookie-policy" type="application/json">(.*?)</script>', html)
    return json.loads(found[1]) if found else None


def with_settings(code, **environment):
    """Run `code` in a new process whose settings come from `environment` alone."""
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "portal_site.settings",
           **environment}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          cwd=settings.BASE_DIR)
