from django.conf import settings

from common.page_cache import generation


def site(request):
    """The site's name and address, and the content generation for fragment caches."""

    def content_generation():  # called only by templates that cache fragments
        current = getattr(request, "content_generation", None) or generation()
        return current["id"]

    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "content_generation": content_generation,
    }
