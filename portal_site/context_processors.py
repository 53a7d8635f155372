from django.conf import settings

from .links import fixed_url

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


def site(request):
    """The site's name, absolute address and fixed links, for the base layout."""
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "links": {key: fixed_url(name) for key, name in LINKS.items()},
    }
