"""The shared cache's configuration: the VCL compiles, and compose publishes only it."""

import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

from tests.helpers import require

from .conftest import VARNISHD, VCL_DIR, xkey_installed

ROOT = Path(__file__).resolve().parents[2]


def test_the_vcl_compiles_with_the_compose_backend(tmp_path):
    require(Path(VARNISHD).exists() and xkey_installed(),
            "needs Varnish: apt-get install varnish varnish-modules")
    # Compose's host name "web" resolves only inside compose's network.
    backend = (VCL_DIR / "backend.vcl").read_text().replace('"web"', '"127.0.0.1"')
    (tmp_path / "backend.vcl").write_text(backend)
    result = subprocess.run(
        [VARNISHD, "-C", "-j", "none", "-n", str(tmp_path / "n"),
         "-p", f"vcl_path={tmp_path}:{VCL_DIR}", "-f", str(VCL_DIR / "default.vcl")],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_cache_is_the_only_published_port(compose):
    published = {name for name, service in compose["services"].items() if service.get("ports")}
    assert published == {"cache"}
    assert compose["services"]["cache"]["ports"] == ["${WEB_PORT:-8000}:80"]
    assert "./varnish:/etc/varnish/site:ro" in compose["services"]["cache"]["volumes"]


def test_the_application_purges_the_cache_and_trusts_one_proxy(compose):
    environment = compose["x-app"]["environment"]
    assert environment["FRONTEND_CACHE_URLS"] == "${FRONTEND_CACHE_URLS:-http://cache:80}"
    backend = (VCL_DIR / "backend.vcl").read_text()
    assert '.host = "web"' in backend and '.port = "8000"' in backend


def test_the_vcl_rules_come_from_the_application(db):
    """Body limits, public pages and the query parameters each reads have one
    source: varnish/site_rules.vcl is written from the settings and the URL
    patterns (manage.py varnish_rules) and must be what they give now."""
    call_command("varnish_rules", "--check")
    rules = (VCL_DIR / "site_rules.vcl").read_text()
    assert f"> {settings.REQUEST_MAX_BODY_SIZE}" in rules
    assert "news/search/" in rules and "(?!(?:category|page|q|year)=)" in rules
