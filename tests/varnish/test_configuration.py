"""The shared cache's configuration: the VCL compiles, its rules come from the site."""

import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from tests.helpers import require

from .conftest import VARNISHD, VCL_DIR, xkey_installed


def test_the_vcl_compiles_with_a_generated_backend(tmp_path):
    """backend.vcl is made at start from the environment (varnish/backend-vcl.sh):
    compose's and run-production's both compile with default.vcl
    (tests/production/test_compose.py checks compose's)."""
    require(Path(VARNISHD).exists() and xkey_installed(),
            "needs Varnish: apt-get install varnish varnish-modules")
    backend = subprocess.run(
        ["sh", str(VCL_DIR / "backend-vcl.sh")],
        env={"VARNISH_BACKENDS": "127.0.0.1:8001,127.0.0.1:8002",
             "VARNISH_PURGERS": "127.0.0.1,172.30.89.0/24", "ALLOWED_HOSTS": "news.example.org"},
        capture_output=True, text=True, check=True,
    ).stdout
    (tmp_path / "backend.vcl").write_text(backend)
    result = subprocess.run(
        [VARNISHD, "-C", "-j", "none", "-n", str(tmp_path / "n"),
         "-p", f"vcl_path={tmp_path}:{VCL_DIR}", "-f", str(VCL_DIR / "default.vcl")],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_vcl_rules_come_from_the_application(db):
    """Body limits, public pages and the query parameters each reads have one
    source: varnish/site_rules.vcl is written from the settings and the URL
    patterns (manage.py varnish_rules) and must be what they give now."""
    call_command("varnish_rules", "--check")
    rules = (VCL_DIR / "site_rules.vcl").read_text()
    assert f"> {settings.REQUEST_MAX_BODY_SIZE}" in rules
    assert "news/search/" in rules and "(?!(?:category|page|q|year)=)" in rules
