"""The shared cache's configuration: its rules come from the site. (The VCL
compiles with the backend.vcl compose makes: tests/production/test_compose.py.)"""

from django.conf import settings
from django.core.management import call_command

from .conftest import VCL_DIR


def test_the_vcl_rules_come_from_the_application(db):
    """Body limits, public pages and the query parameters each reads have one
    source: varnish/site_rules.vcl is written from the settings and the URL
    patterns (manage.py varnish_rules) and must be what they give now."""
    call_command("varnish_rules", "--check")
    rules = (VCL_DIR / "site_rules.vcl").read_text()
    assert f"> {settings.REQUEST_MAX_BODY_SIZE}" in rules
    assert "news/search/" in rules and "(?!(?:category|page|q|year)=)" in rules
