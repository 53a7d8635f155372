"""The base layout's fixed links, reversed once per process."""

from django.urls import reverse, set_script_prefix

from portal_site.context_processors import LINKS, site
from portal_site.links import fixed_url


def test_fixed_urls_are_the_reversed_urls():
    for name in [*LINKS.values(), "cookies:consent"]:
        assert fixed_url(name) == reverse(name)


def test_fixed_urls_follow_the_script_prefix():
    set_script_prefix("/portal/")
    try:
        assert fixed_url("news:index") == "/portal/news/"
    finally:
        set_script_prefix("/")
    assert fixed_url("news:index") == "/news/"


def test_context_processor_gives_every_link(rf):
    links = site(rf.get("/"))["links"]
    assert links == {key: reverse(name) for key, name in LINKS.items()}


def test_fixed_urls_follow_the_urlconf(settings):
    assert fixed_url("news:index") == "/news/"
    settings.ROOT_URLCONF = "tests.portal_site.prefixed_urls"
    assert fixed_url("news:index") == "/site/news/"
