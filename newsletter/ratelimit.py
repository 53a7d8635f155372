"""Limits of the public newsletter forms per client (common.ratelimit, in the
cache). When the cache cannot be reached they are skipped (logged): a form
only ever leads to an email its address's owner must act on, and the limits
per address, which matter for abuse, are kept in the database
(services.send_if_allowed), so refusing every visitor during an outage
would lose real sign-ups and protect nothing."""

from django.conf import settings

from common.client_address import client_address
from common.ratelimit import HOUR, within_limit


def allow_client(request, form):
    """`form`: "signup" or "manage" (each has its own count)."""
    return within_limit(
        f"newsletter-{form}-ip", client_address(request), settings.NEWSLETTER_IP_PER_HOUR, HOUR
    )
