"""The banner, the consent endpoint, the cookies page, gating and the page cache."""

import json
import re
import subprocess
import sys
import uuid
from http.cookies import SimpleCookie

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from django.template import Context, Template
from django.test import Client, RequestFactory

from cookies import consent
from cookies.models import ConsentRecord, CookieDeclaration

from .conftest import consent_cookie

pytestmark = pytest.mark.django_db

CONSENT_URL = "/cookies/consent/"
SETTINGS_URL = "/cookies/"
ACCEPTED = "You've accepted additional cookies. You can"
REJECTED = "You've rejected additional cookies. You can"


def body_of(response):
    html = response.content.decode()
    return html[html.index("<body>"):]


def has_banner_question(response):
    return "Accept additional cookies" in response.content.decode()


def accept(client, next_path="/"):
    return client.post(CONSENT_URL, {"cookies": "accept", "next": next_path})


def reject(client, next_path="/"):
    return client.post(CONSENT_URL, {"cookies": "reject", "next": next_path})


def post_json(client, data, **extra):
    body = data if isinstance(data, (str, bytes)) else json.dumps(data)
    return client.post(CONSENT_URL, body, content_type="application/json", **extra)


def test_banner_is_first_in_body_before_the_skip_link(client, cookie_defaults):
    body = body_of(client.get("/"))
    banner = body.index('class="cookie-banner"')
    assert banner < body.index("skip-link")
    # Nothing but whitespace between <body> and the banner.
    assert body[len("<body>"):banner].strip() == "<div"
    assert 'role="region" aria-label="Cookies on Claims Portal"' in body
    assert '<h2 class="cookie-banner__heading">Cookies on Claims Portal</h2>' in body


def test_banner_buttons_have_equal_weight_and_a_view_cookies_link(client, cookie_defaults):
    body = body_of(client.get("/"))
    accept_button = re.search(r'<button[^>]*value="accept"[^>]*>Accept additional cookies', body)
    reject_button = re.search(r'<button[^>]*value="reject"[^>]*>Reject additional cookies', body)
    assert accept_button and reject_button
    assert re.search(r'class="([^"]*)"', accept_button.group()).group(1) == re.search(
        r'class="([^"]*)"', reject_button.group()
    ).group(1)
    assert '<a href="/cookies/">View cookies</a>' in body
    # The banner mentions the categories that declare cookies, not Marketing.
    assert "use analytics cookies" in body
    assert "marketing" not in body[: body.index("skip-link")].lower()
    assert "checked" not in body[: body.index("skip-link")]


def test_first_visit_sets_only_strictly_necessary_cookies(client, cookie_defaults):
    response = client.get("/")
    assert set(response.cookies) <= {"csrftoken"}
    declarations = cookie_defaults["strictly-necessary"].declarations
    necessary = set(declarations.values_list("name", flat=True))
    assert set(response.cookies) <= necessary
    assert "googletagmanager" not in response.content.decode()


def test_accept_without_javascript_redirects_back_and_confirms_once(client, cookie_defaults):
    response = accept(client, "/news/?page=2")
    assert response.status_code == 303
    assert response["Location"] == "/news/?page=2"
    morsel = response.cookies[consent.cookie_name()]
    assert morsel["samesite"] == "Lax"
    assert morsel["httponly"]
    assert morsel["max-age"] == 365 * 24 * 60 * 60
    assert not morsel["secure"]  # development; see the production test below

    page = client.get("/")
    assert ACCEPTED in page.content.decode()
    assert "Hide cookie message" in page.content.decode()
    assert not has_banner_question(page)
    # The confirmation shows once.
    assert page.cookies[consent.FLASH_COOKIE]["max-age"] == 0
    again = client.get("/")
    assert ACCEPTED not in again.content.decode()
    assert 'class="cookie-banner"' not in again.content.decode()

    record = ConsentRecord.objects.get()
    assert record.choices == {"analytics": True}
    assert record.location == "banner" and record.javascript is False
    assert record.policy_version == 1
    assert record.consent_id.hex in consent_cookie(client) or consent.parse(
        consent_cookie(client)
    ).consent_id == record.consent_id.hex


def test_consent_log_holds_no_ip_address_or_user_agent():
    names = {field.name for field in ConsentRecord._meta.get_fields()}
    assert names == {
        "id", "consent_id", "created_at", "policy_version", "choices", "location",
        "javascript", "gpc",
    }


def test_consent_cookie_is_secure_in_production(client, cookie_defaults, settings):
    settings.COOKIE_CONSENT_SECURE = True
    response = accept(client)
    assert response.cookies[consent.cookie_name()]["secure"]


def test_production_settings_make_the_consent_cookie_secure():
    code = "from django.conf import settings; print(settings.COOKIE_CONSENT_SECURE)"
    env = {"DEBUG": "false", "SECRET_KEY": "x" * 50, "PATH": "/usr/bin:/bin",
           "DJANGO_SETTINGS_MODULE": "portal_site.settings"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True, cwd=django_settings.BASE_DIR)
    assert out.stdout.strip() == "True"


def test_reject_without_javascript_deletes_declared_cookies(client, cookie_defaults):
    client.cookies["_ga"] = "GA1.1.1.1"
    client.cookies["_ga_ABC123"] = "GS1.1.1"
    client.cookies["unrelated"] = "keep"
    response = reject(client, "/news/")
    assert response.status_code == 303
    assert response.cookies["_ga"]["max-age"] == 0
    assert response.cookies["_ga_ABC123"]["max-age"] == 0
    assert "unrelated" not in response.cookies
    assert "csrftoken" not in response.cookies
    assert consent.parse(consent_cookie(client)).choices == {"analytics": False}
    assert REJECTED in client.get("/news/").content.decode()


def test_consent_id_is_kept_when_the_visitor_changes_their_mind(client, cookie_defaults):
    accept(client)
    reject(client)
    first, second = ConsentRecord.objects.order_by("created_at", "pk")
    assert first.consent_id == second.consent_id
    assert (first.choices, second.choices) == ({"analytics": True}, {"analytics": False})
    other = Client()
    accept(other)
    assert ConsentRecord.objects.values("consent_id").distinct().count() == 2


@pytest.mark.parametrize(
    "next_path",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "http://testserver.evil.example/",
        "news/",
        "/news/\nSet-Cookie: x=1",
        "/" + "a" * 3000,
        CONSENT_URL,
    ],
)
def test_foreign_or_odd_return_addresses_are_never_followed(client, cookie_defaults, next_path):
    response = accept(client, next_path)
    assert response.status_code == 303
    assert response["Location"] == "/"


def test_same_site_absolute_return_address_becomes_a_path(client, cookie_defaults):
    response = accept(client, "http://testserver/news/2020/")
    assert response["Location"] == "/news/2020/"


@pytest.mark.parametrize(
    "data", [{}, {"cookies": ""}, {"cookies": "maybe"}, {"cookies": "accept "}]
)
def test_bad_banner_form_is_a_clear_400(client, cookie_defaults, data):
    response = client.post(CONSENT_URL, {**data, "next": "/"})
    assert response.status_code == 400
    assert "Your cookie settings were not saved" in response.content.decode()
    assert consent.cookie_name() not in response.cookies
    assert not ConsentRecord.objects.exists()


def test_consent_needs_post_and_a_csrf_token(cookie_defaults):
    client = Client(enforce_csrf_checks=True)
    assert client.get(CONSENT_URL).status_code == 405
    assert client.post(CONSENT_URL, {"cookies": "accept"}).status_code == 403
    assert post_json(client, {"cookies": "accept"}).status_code == 403
    assert not ConsentRecord.objects.exists()
    # With the token from the banner it works.
    page = client.get("/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    response = post_json(client, {"cookies": "accept"}, headers={"X-CSRFToken": token})
    assert response.status_code == 200


def test_javascript_accept_answers_json(client, cookie_defaults):
    response = post_json(client, {"cookies": "accept"})
    assert response.status_code == 200
    data = response.json()
    assert data["outcome"] == "accepted"
    assert data["accepted"] == ["analytics"]
    assert data["delete"] == []
    assert data["message"].startswith(ACCEPTED)
    assert consent.FLASH_COOKIE not in response.cookies
    record = ConsentRecord.objects.get()
    assert record.javascript is True and record.location == "banner"


def test_javascript_reject_lists_cookies_to_delete_in_the_browser(client, cookie_defaults):
    client.cookies["_ga"] = "GA1.1.1.1"
    data = post_json(client, {"cookies": "reject"}).json()
    assert data["outcome"] == "rejected"
    assert data["accepted"] == []
    assert {d["name"] for d in data["delete"]} == {"_ga", "_ga_*"}


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        '"accept"',
        "{}",
        '{"cookies": "sure"}',
        '{"cookies": ["accept"]}',
        '{"cookies": "accept", "extra": 1}',
        '{"choices": {"analytics": true}}',
        json.dumps({"cookies": "accept", "padding": "x" * 10_240}),
        b"\xff\xfe",
    ],
)
def test_bad_json_is_a_clear_400(client, cookie_defaults, body):
    response = post_json(client, body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert not ConsentRecord.objects.exists()


def test_garbage_consent_cookie_is_no_consent_not_an_error(client, cookie_defaults):
    for value in ["garbage", "{}", "a:b:c", "x" * 4000, '"\\u0000"']:
        client.cookies[consent.cookie_name()] = value
        for url in ["/", SETTINGS_URL]:
            response = client.get(url)
            assert response.status_code == 200
            assert has_banner_question(response)


def test_version_bump_shows_the_banner_again(client, cookie_defaults):
    accept(client)
    assert not has_banner_question(client.get("/news/"))
    from cookies.models import ConsentPolicy

    ConsentPolicy.bump()
    assert has_banner_question(client.get("/news/"))


def test_gpc_banner_accept_leaves_marketing_rejected(client, cookie_defaults):
    CookieDeclaration.objects.create(
        category=cookie_defaults["marketing"], name="_fbp", provider="Meta", purpose="Ads",
        duration="3 months",
    )
    client.post(CONSENT_URL, {"cookies": "accept"}, headers={"Sec-GPC": "1"})
    assert ConsentRecord.objects.get().choices == {"analytics": True, "marketing": False}
    assert ConsentRecord.objects.get().gpc is True
    page = client.get(SETTINGS_URL, headers={"Sec-GPC": "1"}).content.decode()
    assert "Global Privacy Control" in page
    assert re.search(r'name="cookies-marketing"[^>]*value="no" checked', page)


# The cookies page


def test_cookies_page_lists_declared_cookies_by_category(client, cookie_defaults):
    CookieDeclaration.objects.create(
        category=cookie_defaults["analytics"], name="_new_cookie", provider="Example Ltd",
        purpose="A purpose written in admin", duration="42 days",
    )
    page = client.get(SETTINGS_URL).content.decode()
    for text in ["_new_cookie", "A purpose written in admin", "Example Ltd", "42 days",
                 "csrftoken", "sessionid", "cookie_consent", "_ga_*"]:
        assert text in page
    assert page.index("Strictly necessary cookies") < page.index("Analytics cookies")
    # Strictly necessary cookies have no switch; Marketing declares none yet.
    assert 'name="cookies-strictly-necessary"' not in page
    assert 'name="cookies-marketing"' not in page
    assert "We do not set any marketing cookies at the moment" in page
    assert "Save cookie settings" in page
    assert "Global Privacy Control" not in page


def test_cookies_page_preselects_no_then_the_saved_choice(client, cookie_defaults):
    page = client.get(SETTINGS_URL).content.decode()
    assert re.search(r'name="cookies-analytics"[^>]*value="no" checked', page)
    assert not re.search(r'value="yes" checked', page)
    accept(client)
    page = client.get(SETTINGS_URL).content.decode()
    assert re.search(r'name="cookies-analytics"[^>]*value="yes" checked', page)


def test_saving_on_the_cookies_page_links_back_to_the_page_before(client, cookie_defaults):
    referer = {"Referer": "http://testserver/news/2020/"}
    page = client.get(SETTINGS_URL, headers=referer).content.decode()
    assert 'name="next" value="/news/2020/"' in page
    response = client.post(SETTINGS_URL, {"cookies-analytics": "yes", "next": "/news/2020/"})
    assert response.status_code == 303
    assert response["Location"] == "/cookies/?next=%2Fnews%2F2020%2F"
    page = client.get(response["Location"]).content.decode()
    assert "You've set your cookie preferences." in page
    assert '<a href="/news/2020/">Go back to the page you were looking at</a>' in page
    record = ConsentRecord.objects.get()
    assert record.location == "page" and record.choices == {"analytics": True}
    assert consent.parse(consent_cookie(client)).per_category is True


def test_cookies_page_ignores_a_foreign_referer_or_next(client, cookie_defaults):
    page = client.get(
        SETTINGS_URL + "?next=https://evil.example/", headers={"Referer": "https://evil.example/x"}
    ).content.decode()
    main = page[page.index("<main"):]
    assert "evil" not in main
    assert 'href="https://evil' not in page
    response = client.post(SETTINGS_URL, {"cookies-analytics": "no", "next": "//evil.example"})
    assert response["Location"] == "/cookies/"
    page = client.get("/cookies/").content.decode()
    assert "You've set your cookie preferences." in page
    assert "Go back to the page" not in page


def test_withdrawal_on_the_cookies_page_deletes_analytics_cookies(client, cookie_defaults):
    accept(client)
    client.cookies["_ga"] = "GA1.1.1.1"
    client.cookies["_ga_XYZ"] = "GS1.1"
    response = client.post(SETTINGS_URL, {"cookies-analytics": "no"})
    assert response.cookies["_ga"]["max-age"] == 0
    assert response.cookies["_ga_XYZ"]["max-age"] == 0
    assert consent.parse(consent_cookie(client)).choices == {"analytics": False}


def test_cookies_page_missing_choice_is_an_error_next_to_the_field(client, cookie_defaults):
    response = client.post(SETTINGS_URL, {})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Select yes if you want to accept analytics cookies" in page
    assert "form-group--error" in page
    assert not ConsentRecord.objects.exists()
    response = client.post(SETTINGS_URL, {"cookies-analytics": "perhaps"})
    assert response.status_code == 400
    assert "Select yes or no" in response.content.decode()


def test_cookies_page_unknown_category_is_a_400(client, cookie_defaults):
    response = client.post(SETTINGS_URL, {"cookies-analytics": "yes", "cookies-tracking": "yes"})
    assert response.status_code == 400
    assert "There is no cookie category called tracking" in response.content.decode()
    assert not ConsentRecord.objects.exists()


def test_cookies_page_query_count(client, cookie_defaults, django_assert_max_num_queries):
    for n in range(20):
        CookieDeclaration.objects.create(
            category=cookie_defaults["analytics"], name=f"c{n}", purpose="p", duration="1 day"
        )
    client.get(SETTINGS_URL)
    with django_assert_max_num_queries(3):
        assert client.get(SETTINGS_URL).status_code == 200


# Gating


def render(template, request):
    return Template("{% load cookie_consent %}" + template).render(Context({"request": request}))


def test_if_consent_tag_renders_only_after_consent(cookie_defaults):
    template = '{% if_consent "analytics" %}LOADED{% else %}WAITING{% endif_consent %}'
    request = RequestFactory().get("/")
    assert render(template, request) == "WAITING"
    request = RequestFactory().get("/")
    request.COOKIES[consent.cookie_name()] = consent.serialise(
        consent.Consent(uuid.uuid4().hex, 1, int(__import__("time").time()), {"analytics": True})
    )
    assert render(template, request) == "LOADED"
    assert render('{% if_consent "marketing" %}LOADED{% endif_consent %}', request) == ""


def test_analytics_snippet_is_gated_and_off_without_an_id(client, cookie_defaults, settings):
    settings.ANALYTICS_ID = ""
    assert "googletagmanager" not in client.get("/").content.decode()
    settings.ANALYTICS_ID = "G-TEST1234"
    # The setting changes only with a restart; forget the cached page.
    cache.clear()
    caches["local"].clear()
    page = client.get("/").content.decode()
    # Inert until consent: the browser neither fetches nor runs text/plain scripts.
    assert re.search(
        r'<script type="text/plain" data-cookie-category="analytics" '
        r'src="https://www.googletagmanager.com/gtag/js\?id=G-TEST1234">', page
    )
    assert not re.search(r'<script src="https://www.googletagmanager.com', page)
    accept(client)
    page = client.get("/").content.decode()
    assert '<script src="https://www.googletagmanager.com/gtag/js?id=G-TEST1234" async>' in page
    assert 'data-analytics-id="G-TEST1234"' in page
    reject(client)
    page = client.get("/").content.decode()
    assert '<script src="https://www.googletagmanager.com' not in page


@pytest.mark.parametrize("analytics_id", ["", "G-TEST1234"])
def test_csp_allows_google_analytics_only_with_an_id(analytics_id):
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.SECURE_CSP))"
    )
    env = {"ANALYTICS_ID": analytics_id, "PATH": "/usr/bin:/bin",
           "DJANGO_SETTINGS_MODULE": "portal_site.settings"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, cwd=django_settings.BASE_DIR)
    csp = json.loads(out.stdout)
    if analytics_id:
        assert "https://*.googletagmanager.com" in csp["script-src"]
        assert "https://*.google-analytics.com" in csp["connect-src"]
    else:
        assert "googletagmanager" not in out.stdout and "google-analytics" not in out.stdout


def test_a_malformed_analytics_id_refuses_to_start():
    env = {"ANALYTICS_ID": "G-1'><script>", "PATH": "/usr/bin:/bin",
           "DJANGO_SETTINGS_MODULE": "portal_site.settings"}
    out = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env,
                         capture_output=True, text=True, cwd=django_settings.BASE_DIR)
    assert out.returncode != 0
    assert "ANALYTICS_ID must look like" in out.stderr


# Page cache


def test_cached_pages_never_show_one_visitors_banner_to_another(cookie_defaults, settings):
    settings.PAGE_CACHE_TIMEOUT = 600
    assert "cookies.consent.cache_variant" in settings.PAGE_CACHE_VARIANTS
    fresh, accepted, rejected = Client(), Client(), Client()
    accept(accepted, "/news/")
    reject(rejected, "/news/")

    # The first response after each choice shows its confirmation once.
    assert ACCEPTED in accepted.get("/news/").content.decode()
    assert REJECTED in rejected.get("/news/").content.decode()

    first = fresh.get("/news/")
    assert first["X-Page-Cache"] == "miss" and has_banner_question(first)
    assert fresh.get("/news/")["X-Page-Cache"] == "hit"
    for visitor in (accepted, rejected):
        page = visitor.get("/news/")
        assert not has_banner_question(page)
        assert ACCEPTED not in page.content.decode() and REJECTED not in page.content.decode()
        assert visitor.get("/news/")["X-Page-Cache"] == "hit"
    # A second visitor who has just accepted gets the confirmation, not a stale page.
    other = Client()
    accept(other, "/news/")
    assert ACCEPTED in other.get("/news/").content.decode()
    # A fresh visitor still sees the question, from the cache.
    again = Client().get("/news/")
    assert again["X-Page-Cache"] == "hit" and has_banner_question(again)


def test_cached_banner_gets_each_visitors_own_csrf_token(cookie_defaults, settings):
    settings.PAGE_CACHE_TIMEOUT = 600
    one, two = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    tokens = []
    for client in (one, two):
        page = client.get("/news/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
        tokens.append(token[1])
    assert two.get("/news/")["X-Page-Cache"] == "hit"
    assert tokens[0] != tokens[1]
    response = two.post(CONSENT_URL, {"cookies": "accept", "csrfmiddlewaretoken": tokens[1]})
    assert response.status_code == 303


def test_changing_declarations_refreshes_cached_pages(
    cookie_defaults, settings, client, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_TIMEOUT = 600
    client.get("/news/")
    assert client.get("/news/")["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        CookieDeclaration.objects.create(
            category=cookie_defaults["marketing"], name="_fbp", provider="Meta", purpose="Ads",
            duration="3 months",
        )
    page = client.get("/news/")
    assert page["X-Page-Cache"] == "miss"
    assert "analytics and marketing cookies" in page.content.decode()


def test_response_headers_of_the_consent_endpoint(client, cookie_defaults):
    response = accept(client)
    assert "no-store" in response["Cache-Control"]
    cookie = SimpleCookie(response.cookies.output(header="", sep="\n"))
    assert consent.cookie_name() in cookie
