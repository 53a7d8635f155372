"""What an email service tells us after the SMTP conversation: bounces,
rejections, spam complaints and unsubscribes, received through Anymail's
tracking webhooks (/anymail/<provider>/tracking/) and its `tracking` signal.

- a hard bounce, a rejection or a complaint suppresses the address at once;
- soft bounces are counted and suppress after NEWSLETTER_SOFT_BOUNCE_LIMIT
  within 30 days;
- an "unsubscribed" event unsubscribes;
- complaints and bounces count against the digest they are about (named in
  the metadata sent with each batch, or else the last digest the address
  was sent), whose brake may pause it (newsletter.brakes).
Every event is stored under the provider's id first, so the same event
delivered twice changes nothing. The work is a handful of indexed queries,
done in the request: providers retry a webhook that fails, which is what we
want if the database is down."""

import hashlib
import json
import logging
from datetime import datetime, timedelta

from anymail.signals import EventType
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import brakes, services
from .addresses import canonical_or_none
from .models import Delivery, Digest, ProviderEvent, Source, Subscriber, Suppression, email_hash

log = logging.getLogger(__name__)

SOFT_BOUNCE_WINDOW = timedelta(days=30)

BRAKING = {
    ProviderEvent.Kind.COMPLAINT,
    ProviderEvent.Kind.HARD_BOUNCE,
    ProviderEvent.Kind.REJECTED,
}

SUPPRESSING = {
    ProviderEvent.Kind.HARD_BOUNCE: Suppression.Reason.BOUNCED,
    ProviderEvent.Kind.REJECTED: Suppression.Reason.REJECTED,
    ProviderEvent.Kind.COMPLAINT: Suppression.Reason.COMPLAINED,
}


def provider_name(esp_name):
    """Anymail's esp_name ("Amazon SES") as our short name ("amazon_ses")."""
    return esp_name.lower().replace(" ", "_")


def kind_of(event):
    """The ProviderEvent.Kind of an Anymail tracking event, or None if it is
    not one we act on (delivered, opened…)."""
    if event.event_type == EventType.DEFERRED:
        return ProviderEvent.Kind.SOFT_BOUNCE
    if event.event_type == EventType.BOUNCED:
        return ProviderEvent.Kind.SOFT_BOUNCE if _is_soft(event.esp_event) else (
            ProviderEvent.Kind.HARD_BOUNCE
        )
    if event.event_type == EventType.REJECTED:
        return ProviderEvent.Kind.REJECTED
    if event.event_type == EventType.COMPLAINED:
        return ProviderEvent.Kind.COMPLAINT
    if event.event_type == EventType.UNSUBSCRIBED:
        return ProviderEvent.Kind.UNSUBSCRIBE
    return None


def _is_soft(esp_event):
    """Anymail reports some temporary failures as "bounced"; the provider's own
    payload says which."""
    if not isinstance(esp_event, dict):
        return False
    if esp_event.get("Type") == "SoftBounce":  # Postmark
        return True
    if esp_event.get("event") == "soft_bounce":  # Brevo
        return True
    if esp_event.get("event") == "bounce" and esp_event.get("type") == "blocked":  # SendGrid
        return True
    bounce = esp_event.get("bounce")  # Amazon SES
    if isinstance(bounce, dict) and bounce.get("bounceType") not in (None, "Permanent"):
        return True
    return False


def _event_id(event):
    if event.event_id:
        return _text(event.event_id)[:200]
    # Without an id from the provider, the payload itself identifies the event.
    payload = json.dumps(event.esp_event, sort_keys=True, default=str).encode()
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def _text(*values):
    """A provider's free text for our records, whatever type it came as (the
    database refuses NUL characters)."""
    return " ".join(str(value) for value in values if value).replace("\x00", "")[:500]


def digest_of(event, address):
    """The digest an event is about: the one named in the message's metadata
    (sent with every batch), or else the last digest sent to the address
    within SOFT_BOUNCE_WINDOW; None if neither."""
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    named = str(metadata.get("digest", ""))
    if named.isascii() and named.isdigit() and len(named) < 18 and (
        Digest.objects.filter(pk=int(named)).exists()
    ):
        return int(named)
    return (
        Delivery.objects.filter(
            subscriber__email=address,
            status=Delivery.Status.SENT,
            sent_at__gte=timezone.now() - SOFT_BOUNCE_WINDOW,
        )
        .order_by("-sent_at")
        .values_list("digest_id", flat=True)
        .first()
    )


def handle(esp_name, event):
    """Act on one tracking event; returns what was done (for logs and tests).
    A field of an unexpected type makes the event "ignored", never an error."""
    kind = kind_of(event)
    recipient = event.recipient if isinstance(event.recipient, str) else ""
    address = canonical_or_none(recipient)
    if kind is None or address is None:
        return "ignored"
    provider = provider_name(esp_name)
    event_id = _event_id(event)
    detail = _text(event.description, event.mta_response)
    hashed = email_hash(address)
    happened = event.timestamp if isinstance(event.timestamp, datetime) else timezone.now()
    digest_id = digest_of(event, address)
    try:
        with transaction.atomic():
            ProviderEvent.objects.create(
                provider=provider,
                event_id=event_id,
                email_hash=hashed,
                kind=kind,
                happened_at=happened,
                detail=detail,
                digest_id=digest_id,
            )
            outcome = _act(kind, address, hashed, provider, event_id, detail)
    except IntegrityError:
        return "duplicate"  # already handled: the provider sent it again
    if digest_id is not None and kind in BRAKING and brakes.check(digest_id):
        from .tasks import queue_brake_notice

        queue_brake_notice(digest_id)
        outcome += "; digest paused by the brake"
    return outcome


def _act(kind, address, hashed, provider, event_id, detail):
    if kind in SUPPRESSING:
        services.suppress_address(address, SUPPRESSING[kind], provider, event_id, detail)
        return "suppressed"
    if kind == ProviderEvent.Kind.UNSUBSCRIBE:
        subscriber = Subscriber.objects.filter(email=address).first()
        if subscriber is not None:
            services.unsubscribe(subscriber, Source.PROVIDER)
        return "unsubscribed"
    recent = ProviderEvent.objects.filter(
        email_hash=hashed,
        kind=ProviderEvent.Kind.SOFT_BOUNCE,
        happened_at__gte=timezone.now() - SOFT_BOUNCE_WINDOW,
    ).count()
    if recent >= settings.NEWSLETTER_SOFT_BOUNCE_LIMIT:
        services.suppress_address(
            address,
            Suppression.Reason.SOFT_BOUNCES,
            provider,
            event_id,
            f"{recent} soft bounces in 30 days. {detail}",
        )
        return "suppressed"
    return "counted"


def tracking_received(sender, event, esp_name, **kwargs):
    """Receiver of anymail.signals.tracking (connected in NewsletterConfig.ready)."""
    outcome = handle(esp_name, event)
    log.info("%s %s event %s: %s", esp_name, event.event_type, event.event_id, outcome)
