"""Cumulative layout shift of every page type, measured by Lighthouse (`make lighthouse`).

The site runs as in production (DEBUG=0, gunicorn, hashed and compressed
static files through WhiteNoise, analytics configured) on a SQLite copy of the
demo content. npm's `lighthouse` (package.json, installed by `npm ci`) drives
Debian's Chromium (CHROME_PATH=/usr/bin/chromium, headless, never a downloaded
browser) through every page type twice: in a fresh profile (the cookie banner
shows) and in a profile holding a stored choice (the banner stays hidden, and
the accepted analytics tag is requested; Google's hosts are blocked, as the
machine has no internet). Each run must report CLS <= 0.05; the exit status
says whether all did. The in-suite check with the Layout Instability API is
tests/e2e/test_cookie_banner_layout.py.

    .venv/bin/python .ci/lighthouse.py [--pages /,/news/] [--keep-reports DIR]
"""

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.page_types import PAGES  # noqa: E402

CLS_LIMIT = 0.05
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --password-store=basic --use-mock-keychain"
)
ANALYTICS_ID = "G-LIGHTHOUSE1"
ANALYTICS_HOST = "googletagmanager.com"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_environment(workdir, port):
    return {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{workdir}/db.sqlite3",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "0",
        "COOKIE_CONSENT_SECURE": "0",
        "ANALYTICS_ID": ANALYTICS_ID,
        "LOG_LEVEL": "WARNING",
    }


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def start_site(env, port):
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal_site.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=2):
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("lighthouse: the site did not start within 60 s")


def stored_choice_profile(base, profile):
    """A Chromium profile holding the consent cookie of an "Accept", saved
    through the banner's endpoint as the site's script would."""
    request = urllib.request.Request(
        f"{base}/cookies/consent/",
        data=b'{"cookies": "accept"}',
        headers={"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"},
        method="POST",
    )
    with urllib.request.urlopen(request) as answer:
        morsel = answer.headers["Set-Cookie"].split(";", 1)[0]
    name, value = morsel.split("=", 1)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--password-store=basic", "--use-mock-keychain"],
        )
        context.add_cookies([{"name": name, "value": value, "url": base,
                              "expires": time.time() + 30 * 86400}])
        page = context.new_page()
        page.goto(f"{base}/cookies/")  # the profile has it: the page says so
        assert page.locator("[data-consent-reference]").count() == 1, "consent cookie not kept"
        context.close()


class AuditError(Exception):
    pass


def lighthouse(url, profile, report, attempts=3):
    """Lighthouse's CLS of `url` and whether the analytics tag was requested.
    A run whose trace Lighthouse could not read (it happens on a busy machine)
    is made again."""
    for attempt in range(1, attempts + 1):
        try:
            return lighthouse_once(url, profile, report)
        except AuditError as error:
            print(f"lighthouse: {url}: attempt {attempt}: {error}", flush=True)
    raise SystemExit(f"lighthouse: {url}: no measurement in {attempts} attempts")


def lighthouse_once(url, profile, report):
    flags = CHROME_FLAGS + (f" --user-data-dir={profile}" if profile else "")
    subprocess.run(
        [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
         "--only-audits=cumulative-layout-shift,network-requests",
         f"--blocked-url-patterns=*{ANALYTICS_HOST}*",
         "--max-wait-for-load=30000", f"--chrome-flags={flags}",
         "--ignore-status-code",  # the 404 page is a page type too
         *(["--disable-storage-reset"] if profile else [])],
        cwd=ROOT, env={**os.environ, "CHROME_PATH": CHROMIUM}, check=True, timeout=180,
    )
    result = json.loads(Path(report).read_text())
    audits = result["audits"]
    shift = audits["cumulative-layout-shift"]
    if result.get("runtimeError") or "numericValue" not in shift:
        raise AuditError(result.get("runtimeError") or shift.get("errorMessage"))
    requests = audits["network-requests"].get("details", {}).get("items", [])
    return shift["numericValue"], any(ANALYTICS_HOST in item["url"] for item in requests)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", help="comma-separated paths (default: every page type)")
    parser.add_argument("--keep-reports", help="a folder for Lighthouse's JSON reports")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit("lighthouse: run `npm ci` first (package.json)")
    pages = args.pages.split(",") if args.pages else PAGES

    workdir = Path(tempfile.mkdtemp(prefix="lighthouse-"))
    reports = Path(args.keep_reports) if args.keep_reports else workdir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = site_environment(workdir, port)
    manage(env, "migrate", "--no-input")
    manage(env, "load_demo_content")
    manage(env, "collectstatic", "--no-input")
    server = start_site(env, port)
    failures = []
    try:
        profile = workdir / "stored-choice"
        stored_choice_profile(base, profile)
        for state, state_profile in [("no choice", None), ("choice stored", profile)]:
            for number, path in enumerate(pages):
                report = reports / f"{state.replace(' ', '-')}-{number:02}.json"
                cls, analytics = lighthouse(base + path, state_profile, report)
                verdict = "ok" if cls <= CLS_LIMIT else "TOO HIGH"
                print(f"lighthouse: CLS {cls:.3f} {verdict:8} {state:13} {path}", flush=True)
                if cls > CLS_LIMIT:
                    failures.append(f"{state} {path}: CLS {cls:.3f}")
                # The stored choice was in effect: only then is the accepted tag requested.
                if analytics != (state_profile is not None):
                    failures.append(f"{state} {path}: analytics requested: {analytics}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        if not args.keep_reports:
            shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        print("lighthouse: FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print(f"lighthouse: all {2 * len(pages)} runs at or below CLS {CLS_LIMIT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
