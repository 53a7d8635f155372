"""Sign-up limits: per client and per address (common.ratelimit).

When the cache cannot be reached the limits fail open: a sign-up only ever
leads to one confirmation email, which the address's owner must act on, so a
few minutes without limits cost little, whereas refusing every sign-up during
an outage would lose real ones."""

from django.conf import settings

from common.client_address import client_address
from common.ratelimit import DAY, HOUR, first_within, within_limit


def allow_ip(request):
    return within_limit(
        "newsletter-ip", client_address(request), settings.NEWSLETTER_IP_PER_HOUR, HOUR
    )


def allow_email(email):
    """At most one email per address per interval and a few a day; `email` is
    in canonical form (newsletter.addresses.canonical)."""
    if not first_within("newsletter-recent", email, settings.NEWSLETTER_EMAIL_INTERVAL):
        return False
    return within_limit("newsletter-day", email, settings.NEWSLETTER_EMAIL_PER_DAY, DAY)
