from django.conf import settings

from common import page_cache


def site(request):
    """The site's name and address, and what public templates' fragment caches
    are keyed on: `{% cache content_seconds name content_version … %}`."""
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        # Called only by templates that cache fragments.
        "content_version": lambda: page_cache.fragment_version(request),
        "content_seconds": lambda: page_cache.fragment_seconds(request),
    }
