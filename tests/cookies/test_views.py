"""The banner, the consent endpoint, the cookies page and gating."""

import json
import re

import pytest
from django.conf import settings as django_settings
from django.test import Client

from cookies import consent
from cookies.models import ConsentPolicy, ConsentRecord, CookieDeclaration

from .conftest import consent_cookie, page_policy, with_settings

pytestmark = pytest.mark.django_db

CONSENT_URL = "/cookies/consent/"
SETTINGS_URL = "/cookies/"


def record_decision():
    return ConsentRecord.objects.latest("created_at", "pk").decision
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def body_of(response):
    html = response.content.decode()
    return html[html.index("<body>"):]


def banner_of(response):
    match = re.search(r"<div class=\"cookie-banner\"[^>]*>", response.content.decode())
    return match.group() if match else None


def post_json(client, data, headers=SAME_ORIGIN, **extra):
    body = data if isinstance(data, (str, bytes)) else json.dumps(data)
    return client.post(
        CONSENT_URL, body, content_type="application/json", headers=headers, **extra
    )


def accept(client, **headers):
    return post_json(client, {"cookies": "accept"}, headers={**SAME_ORIGIN, **headers})


def reject(client):
    return post_json(client, {"cookies": "reject"})


# The banner: in every page, hidden, the same for everyone


def test_skip_link_then_banner_first_in_body_hidden(client, cookie_defaults):
    """GOV.UK's order: the skip link first, then the banner (axe's `region` rule)."""
    body = body_of(client.get("/"))
    banner = body.index('class="cookie-banner"')
    skip = body.index('<a href="#main-content" class="skip-link">')
    assert body[len("<body>"):skip].strip() == ""
    between = body[skip:banner].split()
    assert between[-3:] == ['class="skip-link">Skip', "to", "main", "content</a>", "<div"][-3:]
    tag = banner_of(client.get("/"))
    assert " hidden" in tag  # cookie-state.js shows it; without JavaScript nothing can be set
    assert '<h2 class="cookie-banner__heading">Cookies on Claims Portal</h2>' in body


def test_head_carries_the_policy_and_the_synchronous_state_script(client, cookie_defaults):
    """The banner's space is decided before the first paint: the policy as JSON
    and a script file loaded synchronously (no defer, no async) in <head>."""
    html = client.get("/").content.decode()
    head = html[: html.index("</head>")]
    policy = page_policy(client.get("/"))
    assert policy == {
        "version": ConsentPolicy.current().version,
        "notice": False,
        "cookie": "cookie_consent",
        "maxAge": consent.lifetime_seconds(),
        "consentUrl": "/cookies/consent/",
        "categories": [{
            "slug": "analytics",
            "exception": False,
            "stored": [
                {"name": "_ga", "storage": "cookie", "domain": "", "path": "/"},
                {"name": "_ga_*", "storage": "cookie", "domain": "", "path": "/"},
            ],
        }],
    }
    assert 'id="cookie-policy"' in head
    state_script = re.search(r'<script src="/static/js/cookie-state\.js"></script>', head)
    assert state_script
    # Before the stylesheet, so that it runs as soon as it arrives.
    assert state_script.start() < head.index('rel="stylesheet"')


def test_banner_buttons_have_equal_weight_and_a_view_cookies_link(client, cookie_defaults):
    body = body_of(client.get("/"))
    accept_button = re.search(r'<button[^>]*value="accept"[^>]*>Accept additional cookies', body)
    reject_button = re.search(r'<button[^>]*value="reject"[^>]*>Reject additional cookies', body)
    assert accept_button and reject_button
    assert re.search(r'class="([^"]*)"', accept_button.group()).group(1) == re.search(
        r'class="([^"]*)"', reject_button.group()
    ).group(1)
    assert '<a href="/cookies/">View cookies</a>' in body
    assert "use analytics cookies" in body
    assert "marketing" not in body[: body.index("skip-link")].lower()
    assert "<form" not in body[: body.index("skip-link")]


def test_pages_are_the_same_whatever_the_consent_cookie(client, cookie_defaults):
    first = client.get("/news/").content
    accept(client)
    assert consent_cookie(client)
    assert client.get("/news/").content == first


def test_first_visit_sets_no_cookie(client, cookie_defaults):
    response = client.get("/")
    assert not response.cookies
    assert "googletagmanager" not in response.content.decode()


def test_a_new_category_or_version_changes_what_the_banner_asks(
    client, cookie_defaults, django_capture_on_commit_callbacks
):
    before = body_of(client.get("/news/"))
    with django_capture_on_commit_callbacks(execute=True):
        CookieDeclaration.objects.create(
            category=cookie_defaults["marketing"], name="_fbp", provider="Meta", purpose="Ads",
            duration="3 months",
        )
    page = client.get("/news/")
    assert [c["slug"] for c in page_policy(page)["categories"]] == ["analytics", "marketing"]
    assert "analytics and marketing cookies" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        policy = ConsentPolicy.bump()
    assert page_policy(client.get("/news/"))["version"] == policy.version
    assert body_of(client.get("/news/")) != before


# The consent endpoint: JSON, same-origin, rate-limited


def test_accept_answers_json_logs_and_sets_a_script_readable_cookie(client, cookie_defaults):
    response = accept(client)
    assert response.status_code == 200
    data = response.json()
    assert data["outcome"] == "accepted"
    assert data["accepted"] == ["analytics"]
    assert data["delete"] == []
    assert record_decision() == "accepted"
    record = ConsentRecord.objects.get()
    assert record.javascript is True and record.location == "banner"
    morsel = response.cookies[consent.cookie_name()]
    assert not morsel["httponly"]  # the page's script reads it
    assert morsel["samesite"] == "Lax"
    assert "no-store" in response["Cache-Control"]
    stored = consent.parse(morsel.value)
    assert stored.choices == {"analytics": True} and stored.per_category is False


def test_the_script_can_read_the_cookie_payload(client, cookie_defaults):
    """cookies.js decodes the part before the first colon as base64url JSON."""
    import base64

    accept(client)
    payload = consent_cookie(client).split(":")[0]
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert data["c"] == {"analytics": True}
    assert data["v"] == ConsentPolicy.current().version
    assert isinstance(data["t"], int)


def test_reject_lists_cookies_to_delete_in_the_browser(client, cookie_defaults):
    client.cookies["_ga"] = "GA1.1.1.1"
    response = reject(client)
    data = response.json()
    assert data["outcome"] == "rejected"
    assert data["accepted"] == []
    assert {d["name"] for d in data["delete"]} == {"_ga", "_ga_*"}
    assert response.cookies["_ga"]["max-age"] == 0


def test_consent_id_is_kept_when_the_visitor_changes_their_mind(client, cookie_defaults):
    accept(client)
    reject(client)
    first, second = ConsentRecord.objects.order_by("created_at", "pk")
    assert first.consent_id == second.consent_id
    assert second.choices == {"analytics": False}


def test_a_choice_sent_again_with_its_idempotency_key_is_logged_once(cookie_defaults):
    """The script sends a choice again when it never saw the answer (the visitor
    left the page): the first request may have reached the site all the same."""
    key = {"Idempotency-Key": '"0f6a3b52-1d0c-4b7e-9a51-6f1e2b7c8d90"'}
    first = accept(Client(), **key)
    again = accept(Client(), **key)  # the first answer's cookie never arrived
    assert first.status_code == again.status_code == 200
    assert again.json()["outcome"] == "accepted"
    record = ConsentRecord.objects.get()
    assert record.idempotency_key.hex == "0f6a3b521d0c4b7e9a516f1e2b7c8d90"
    # The cookie set again names the logged entry, so the history stays one visitor's.
    stored = consent.parse(again.cookies[consent.cookie_name()].value)
    assert stored.consent_id == record.consent_id.hex
    assert stored.choices == {"analytics": True}
    # A new key is a new choice.
    accept(Client(), **{"Idempotency-Key": "5b1c9e0a-7f3d-4c2a-8e6b-0d9f1a2b3c4d"})
    assert ConsentRecord.objects.count() == 2


def test_an_idempotency_key_reused_for_another_choice_is_a_422(client, cookie_defaults):
    key = {"Idempotency-Key": "0f6a3b52-1d0c-4b7e-9a51-6f1e2b7c8d90"}
    accept(client, **key)
    response = post_json(client, {"cookies": "reject"}, headers={**SAME_ORIGIN, **key})
    assert response.status_code == 422
    assert response.json()["error"]
    assert ConsentRecord.objects.get().choices == {"analytics": True}


@pytest.mark.parametrize("value", ["", "abc", '"not-a-uuid"', "x" * 500])
def test_a_malformed_idempotency_key_is_a_clear_400(client, cookie_defaults, value):
    response = accept(client, **{"Idempotency-Key": value})
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "https://evil.example"},
        {"Origin": "http://testserver.evil.example"},
        {"Origin": "null"},
    ],
)
def test_consent_from_another_site_is_refused(cookie_defaults, headers):
    response = post_json(Client(), {"cookies": "accept"}, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]
    assert not ConsentRecord.objects.exists()
    assert consent.cookie_name() not in response.cookies


def test_consent_with_this_sites_origin_works_without_fetch_metadata(cookie_defaults):
    response = post_json(Client(), {"cookies": "accept"}, headers={"Origin": "http://testserver"})
    assert response.status_code == 200


def test_a_form_post_is_refused(cookie_defaults):
    client = Client()
    assert client.get(CONSENT_URL).status_code == 405
    response = client.post(CONSENT_URL, {"cookies": "accept"}, headers=SAME_ORIGIN)
    assert response.status_code == 400
    assert not ConsentRecord.objects.exists()


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


def test_consent_is_rate_limited_per_client(client, cookie_defaults, settings):
    settings.COOKIE_CONSENT_PER_HOUR = 3
    for _ in range(3):
        assert accept(client).status_code == 200
    response = accept(client)
    assert response.status_code == 429
    assert "too many times" in response.json()["error"]
    assert ConsentRecord.objects.count() == 3
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert accept(other).status_code == 200


def test_gpc_makes_a_banner_accept_a_rejection(client, cookie_defaults):
    CookieDeclaration.objects.create(
        category=cookie_defaults["marketing"], name="_fbp", provider="Meta", purpose="Ads",
        duration="3 months",
    )
    data = accept(client, **{"Sec-GPC": "1"}).json()
    assert data["accepted"] == []
    record = ConsentRecord.objects.get()
    assert record.choices == {"analytics": False, "marketing": False}
    assert record.gpc is True


def test_garbage_consent_cookie_is_no_consent_not_an_error(client, cookie_defaults):
    for value in ["garbage", "{}", "a:b:c", "x" * 4000, '"\\u0000"']:
        client.cookies[consent.cookie_name()] = value
        for url in ["/", SETTINGS_URL]:
            assert client.get(url).status_code == 200
        assert accept(client).status_code == 200


def test_consent_cookie_is_secure_in_production(client, cookie_defaults, settings):
    settings.COOKIE_CONSENT_SECURE = True
    assert accept(client).cookies[consent.cookie_name()]["secure"]


def test_production_settings_make_the_consent_cookie_secure():
    code = "from django.conf import settings; print(settings.COOKIE_CONSENT_SECURE)"
    out = with_settings(code, DEBUG="0", SECRET_KEY="x" * 50)
    assert out.stdout.strip() == "True"


def test_consent_log_holds_no_ip_address_or_user_agent():
    names = {field.name for field in ConsentRecord._meta.get_fields()}
    assert not names & {"ip", "ip_address", "user_agent", "remote_addr"}


# The cookies page


def test_cookies_page_lists_declared_cookies_by_category(client, cookie_defaults):
    CookieDeclaration.objects.create(
        category=cookie_defaults["analytics"], name="_new_cookie", provider="Example Ltd",
        purpose="A purpose written in admin", duration="42 days",
    )
    page = client.get(SETTINGS_URL).content.decode()
    for text in ["_new_cookie", "A purpose written in admin", "Example Ltd", "42 days",
                 "csrftoken", "sessionid", "cookie_consent", "_ga_*",
                 "cookie-consent-pending</code> (session storage)"]:
        assert text in page
    assert page.index("Strictly necessary cookies") < page.index("Analytics cookies")
    # Strictly necessary cookies have no switch; Marketing declares nothing, so
    # it is neither listed nor offered (nothing to choose).
    assert 'name="cookies-strictly-necessary"' not in page
    assert 'name="cookies-marketing"' not in page
    assert "Marketing" not in page
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


def test_gpc_on_the_cookies_page_says_it_counts_as_no_to_everything(client, cookie_defaults):
    accept(client)
    page = client.get(SETTINGS_URL, headers={"Sec-GPC": "1"}).content.decode()
    assert "Global Privacy Control" in page
    assert "analytics" in page[page.index("Global Privacy Control"):][:400]
    # The banner's accept does not override GPC; only a "Yes" on this page does.
    assert re.search(r'name="cookies-analytics"[^>]*value="no" checked', page)
    client.post(SETTINGS_URL, {"cookies-analytics": "yes"}, headers={"Sec-GPC": "1"})
    page = client.get(SETTINGS_URL, headers={"Sec-GPC": "1"}).content.decode()
    assert re.search(r'name="cookies-analytics"[^>]*value="yes" checked', page)


def test_cookies_page_is_private(client, cookie_defaults):
    response = client.get(SETTINGS_URL)
    assert "no-store" in response["Cache-Control"] or "private" in response["Cache-Control"]
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()


def test_the_cookies_page_form_needs_djangos_csrf_token(cookie_defaults):
    client = Client(enforce_csrf_checks=True)
    assert client.post(SETTINGS_URL, {"cookies-analytics": "yes"}).status_code == 403
    page = client.get(SETTINGS_URL).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    response = client.post(SETTINGS_URL, {"cookies-analytics": "yes", "csrfmiddlewaretoken": token})
    assert response.status_code == 303
    assert ConsentRecord.objects.get().location == "page"


# Gating


def test_analytics_scripts_are_inert_in_every_page_and_absent_without_an_id(
    client, cookie_defaults, settings
):
    settings.ANALYTICS_ID = ""
    assert "googletagmanager" not in client.get("/").content.decode()
    settings.ANALYTICS_ID = "G-TEST1234"
    client.get("/")  # a cached page from before the (restart-only) change
    from django.core.cache import cache

    cache.clear()
    page = client.get("/").content.decode()
    # Inert until consent: the browser neither fetches nor runs text/plain scripts.
    assert re.search(
        r'<script type="text/plain" data-cookie-category="analytics" '
        r'src="https://www.googletagmanager.com/gtag/js\?id=G-TEST1234">', page
    )
    assert not re.search(r'<script src="https://www.googletagmanager.com', page)
    accept(client)
    assert client.get("/").content.decode() == page  # activation is the script's job


@pytest.mark.parametrize("analytics_id", ["", "G-TEST1234"])
def test_csp_allows_google_analytics_only_with_an_id(analytics_id):
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.SECURE_CSP))"
    )
    out = with_settings(code, ANALYTICS_ID=analytics_id)
    csp = json.loads(out.stdout)
    if analytics_id:
        assert "https://*.googletagmanager.com" in csp["script-src"]
        assert "https://*.google-analytics.com" in csp["connect-src"]
    else:
        assert "googletagmanager" not in out.stdout and "google-analytics" not in out.stdout


def test_a_malformed_analytics_id_refuses_to_start():
    out = with_settings("import django; django.setup()", ANALYTICS_ID="G-1'><script>")
    assert out.returncode != 0
    assert "ANALYTICS_ID must look like" in out.stderr


def test_the_cookies_page_shares_the_banners_limit_per_client(client, cookie_defaults, settings):
    """100 posts from one client made 100 log rows; now the form and the JSON
    endpoint count together, and the form keeps the choice on a clear 429."""
    settings.COOKIE_CONSENT_PER_HOUR = 3
    assert accept(client).status_code == 200
    for _ in range(2):
        assert client.post(SETTINGS_URL, {"cookies-analytics": "no"}).status_code == 303
    response = client.post(SETTINGS_URL, {"cookies-analytics": "yes"})
    assert response.status_code == 429
    page = response.content.decode()
    assert "There is a problem" in page
    assert "You&#x27;ve changed your cookie settings too many times" in page
    assert re.search(r'name="cookies-analytics"[^>]*value="yes" checked', page)
    assert accept(client).status_code == 429
    assert ConsentRecord.objects.count() == 3
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.post(SETTINGS_URL, {"cookies-analytics": "yes"}).status_code == 303


@pytest.mark.parametrize(
    "posted, javascript, method",
    [
        ({}, False, "Cookies page, form without JavaScript"),
        ({"javascript": "yes"}, True, "Cookies page, form with JavaScript"),
    ],
)
def test_the_cookies_page_logs_how_the_choice_was_made(
    client, cookie_defaults, posted, javascript, method
):
    client.post(SETTINGS_URL, {"cookies-analytics": "yes", **posted})
    record = ConsentRecord.objects.get()
    assert record.javascript is javascript
    assert record.method == method


def test_the_banner_is_logged_as_the_banner(client, cookie_defaults):
    accept(client)
    assert ConsentRecord.objects.get().method == "Cookie banner (JavaScript)"


def test_the_visitor_sees_their_consent_id_and_staff_find_it(
    client, cookie_defaults, admin_client
):
    assert "Your consent ID" not in client.get(SETTINGS_URL).content.decode()
    client.post(SETTINGS_URL, {"cookies-analytics": "yes"})
    record = ConsentRecord.objects.get()
    page = client.get(SETTINGS_URL).content.decode()
    shown = re.search(r"Your consent ID is <code>([0-9a-f-]+)</code>", page)[1]
    assert shown == str(record.consent_id)
    assert django_settings.CONTACT_EMAIL in page
    # Quoted to staff, with or without its dashes, the id finds the record.
    for quoted in [shown, shown.replace("-", "").upper()]:
        found = admin_client.get("/admin/cookies/consentrecord/", {"q": quoted})
        assert list(found.context["cl"].result_list) == [record]
