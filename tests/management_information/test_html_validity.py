"""The Nu HTML Checker (the W3C's validator, vnu.jar) finds no error in the
management-information pages or in the admin dashboard's figures.

vnu.jar comes from npm (package.json; `make node_modules/.package-lock.json`
runs `npm ci`, as .ci/run does) and needs Java; VNU_JAR may point at another copy."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import RequestFactory

from editorial.templatetags.editorial_dashboard import editorial_dashboard
from tests.helpers import require

from .helpers import a_sent_digest

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = Path(os.environ.get("VNU_JAR") or ROOT / "node_modules/vnu-jar/build/dist/vnu.jar")
PAGES = {
    "latest": "/management-information/",
    "release": "/management-information/2020/06/",
    "measures": "/management-information/measures/",
    "measure": "/management-information/measures/a2a-share/",
    "calendar": "/management-information/calendar/",
}
DOCUMENT = """<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Figures</title></head>
<body><main>{}</main></body></html>"""


def nu_errors(files):
    """{file name: [messages]} of the checker's errors."""
    java = shutil.which("java")
    require(java and VNU_JAR.exists(),
            "needs Java and vnu.jar: apt-get install default-jre-headless; "
            "make node_modules/.package-lock.json (npm ci)")
    result = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True, text=True, timeout=300,
    )
    errors = {}
    for message in json.loads(result.stderr or '{"messages": []}')["messages"]:
        name = Path(message.get("url", "?")).name
        errors.setdefault(name, []).append(
            f"{message.get('lastLine')}: {message['message']} {message.get('extract', '')!r}"
        )
    return errors


def test_the_pages_and_the_dashboard_figures_are_valid_html(client, tmp_path):
    call_command("load_demo_content", stdout=open("/dev/null", "w"))
    a_sent_digest()
    files = []
    for name, url in PAGES.items():
        response = client.get(url)
        assert response.status_code == 200, url
        files.append(tmp_path / f"{name}.html")
        files[-1].write_bytes(response.content)
    request = RequestFactory().get("/admin/")
    request.user = User.objects.create_superuser("root", password="pw")
    figures = render_to_string(
        "editorial/dashboard.html", editorial_dashboard({"request": request}), request=request
    )
    assert figures.count("<figure") == 3
    files.append(tmp_path / "figures.html")
    files[-1].write_text(DOCUMENT.format(figures), encoding="utf-8")
    assert nu_errors(files) == {}
