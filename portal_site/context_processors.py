import functools

from django.conf import settings
from django.urls import get_script_prefix, reverse

# The fixed addresses the base layout links to (header and footer).
LINKS = {
    "home": "home",
    "news": "news:index",
    "search": "news:search",
    "feed": "news:feed",
    "atom_feed": "news:feed-atom",
    "newsletter": "newsletter:signup",
    "cookie_settings": "cookies:settings",
}


@functools.cache
def _links(script_prefix):
    # Reversed once per process (and script prefix): a page carries a dozen of
    # these links and reverse() costs tens of microseconds each.
    return {key: reverse(name) for key, name in LINKS.items()}


def site(request):
    """The site's name, absolute address and fixed links, for the base layout."""
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "links": _links(get_script_prefix()),
    }
