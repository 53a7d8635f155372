"""The complaint and bounce brake: a digest whose spam complaints pass
NEWSLETTER_MAX_COMPLAINT_RATE of its accepted deliveries (Gmail and Yahoo ask
bulk senders to stay under 0.3 %), or whose bounces pass
NEWSLETTER_MAX_BOUNCE_RATE, stops sending: it is paused with the reason, and
Newsletter managers are told (tasks.notify_brake). A manager who resumes it
overrides the brake for that digest.

Complaints and hard bounces come from the email services' webhooks
(newsletter.bounces attributes each to a digest); bounces also count the
recipients the mail server or service refused while sending. Rates are taken
over at least NEWSLETTER_BRAKE_MIN_DELIVERIES deliveries, so that the first
complaint of a large digest does not stop it on its own."""

from django.conf import settings
from django.utils import timezone

from .models import Delivery, Digest, ProviderEvent

BOUNCE_KINDS = [ProviderEvent.Kind.HARD_BOUNCE, ProviderEvent.Kind.REJECTED]


def figures(digest_id):
    """(accepted deliveries, complaints, bounces) of a digest."""
    deliveries = Delivery.objects.filter(digest_id=digest_id)
    accepted = deliveries.filter(status=Delivery.Status.SENT).count()
    refused = deliveries.filter(provider_status__in=["rejected", "invalid"]).count()
    events = ProviderEvent.objects.filter(digest_id=digest_id)
    complaints = events.filter(kind=ProviderEvent.Kind.COMPLAINT).count()
    bounces = refused + events.filter(kind__in=BOUNCE_KINDS).count()
    return accepted, complaints, bounces


def reason(digest_id):
    """Why the brake should stop the digest, or None."""
    accepted, complaints, bounces = figures(digest_id)
    base = max(accepted, settings.NEWSLETTER_BRAKE_MIN_DELIVERIES, 1)
    for what, count, limit in [
        ("spam complaints", complaints, settings.NEWSLETTER_MAX_COMPLAINT_RATE),
        ("bounces", bounces, settings.NEWSLETTER_MAX_BOUNCE_RATE),
    ]:
        if count / base > limit:
            return (
                f"Paused by the brake: {count} {what} for {accepted} accepted emails "
                f"({count / base:.2%}), above the limit of {limit:.1%}."
            )
    return None


def check(digest_id):
    """Pause the digest if its rates call for it; True if this call paused it."""
    if not Digest.objects.filter(
        pk=digest_id, status=Digest.Status.SENDING, brake_overridden=False
    ).exists():
        return False
    why = reason(digest_id)
    if why is None:
        return False
    return bool(
        Digest.objects.filter(
            pk=digest_id, status=Digest.Status.SENDING, brake_overridden=False
        ).update(status=Digest.Status.PAUSED, stop_reason=why[:300], braked_at=timezone.now())
    )
