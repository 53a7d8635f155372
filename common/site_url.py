from django.conf import settings


def absolute_url(path):
    """An absolute address on this site, for feeds, sitemaps and emails: built
    from settings.SITE_URL, never from the request's Host header."""
    return settings.SITE_URL + path
