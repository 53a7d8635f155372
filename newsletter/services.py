"""What a subscription can go through; every step leaves a consent record."""

import json
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from news.models import Category

from .addresses import canonical_or_none
from .models import (
    CONSENT_VERSION,
    Source,
    Subscriber,
    SubscriptionConsent,
    Suppression,
    email_hash,
    new_secret,
)


def normalise(email):
    """The canonical form (see newsletter.addresses)."""
    return canonical_or_none(email) or email.strip().lower()


def _details(subscriber):
    return f"topics: {subscriber.topics_label()}; frequency: {subscriber.get_frequency_display()}"


def record(subscriber, action, source, version=CONSENT_VERSION):
    return SubscriptionConsent.objects.create(
        subscriber=subscriber,
        action=action,
        consent_version=version,
        source=source,
        details=_details(subscriber)[:500],
    )


def _set_preferences(subscriber, topics, frequency):
    subscriber.frequency = frequency
    subscriber.save()
    subscriber.topics.set(topics)


@transaction.atomic
def request_subscription(email, choices):
    """Handle a sign-up asking for `choices` (tokens.Choices). Returns
    (subscriber, email_to_send, choices_for_the_link): email_to_send is
    "confirm", "already" or None (nothing may be sent: the address bounced or
    complained); the link carries the choices unless the row was just made
    with them.

    Only a new address gets a row now (pending, with the choices). An address
    already on the list is left exactly as it is: its email carries the
    choices, and nothing changes until the owner confirms them."""
    email = normalise(email)
    suppression = Suppression.objects.for_address(email).first()
    if suppression is not None and suppression.reason != Suppression.Reason.ERASED:
        return None, None, None
    subscriber, created = Subscriber.objects.select_for_update().get_or_create(
        email=email, defaults={"frequency": choices.frequency, "source": choices.source}
    )
    if created:
        subscriber.topics.set(_topics(choices))
        action = SubscriptionConsent.Action.SUBSCRIBE
        record(subscriber, action, choices.source, choices.consent_version)
        return subscriber, "confirm", None
    if subscriber.status == Subscriber.Status.CONFIRMED:
        return subscriber, "already", choices
    return subscriber, "confirm", choices


@transaction.atomic
def send_if_allowed(subscriber, send):
    """Call send() if the address may get another email a public form asked
    for (a sign-up, "lost your link?"): at most one per
    NEWSLETTER_EMAIL_INTERVAL and NEWSLETTER_EMAIL_PER_DAY a day. The count
    is kept on the subscriber's row, locked meanwhile, so it holds without
    Redis and for concurrent requests; if send() fails, nothing is counted
    (its retry may send). True if send() was called."""
    row = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    now = timezone.now()
    if row.form_email_at and now - row.form_email_at < timedelta(
        seconds=settings.NEWSLETTER_EMAIL_INTERVAL
    ):
        return False
    if row.form_emails_since is None or now - row.form_emails_since >= timedelta(days=1):
        row.form_emails_since, row.form_emails = now, 0
    if row.form_emails >= settings.NEWSLETTER_EMAIL_PER_DAY:
        return False
    send()
    row.form_email_at, row.form_emails = now, row.form_emails + 1
    row.save(update_fields=["form_email_at", "form_emails", "form_emails_since"])
    return True


def subscriber_for_links(email):
    """The confirmed, unsuppressed subscriber with this address, or None."""
    email = canonical_or_none(email)
    if email is None or Suppression.objects.for_address(email).exists():
        return None
    return Subscriber.objects.confirmed().filter(email=email).first()


def _topics(choices):
    return list(Category.objects.filter(pk__in=choices.topic_ids))


@transaction.atomic
def confirm(subscriber, choices=None):
    """Confirm a subscription, with the choices its link carries. Returns
    (subscriber, changed). A confirmed subscriber's link with new choices
    applies them; an unsubscribed one is subscribed again."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if choices is None:
        if subscriber.status != Subscriber.Status.PENDING:
            return subscriber, False
        version = (
            subscriber.consents.filter(action=SubscriptionConsent.Action.SUBSCRIBE)
            .values_list("consent_version", flat=True)
            .last()
        ) or CONSENT_VERSION
    else:
        version = choices.consent_version
        was = subscriber.status
        subscriber.frequency = choices.frequency
        subscriber.save()
        subscriber.topics.set(_topics(choices))
        if was == Subscriber.Status.CONFIRMED:
            record(subscriber, SubscriptionConsent.Action.CHANGE, "email", version)
            return subscriber, True
        if was != Subscriber.Status.PENDING:
            subscriber.source = choices.source
            # Starting again: links from the old subscription stop working.
            subscriber.secret = new_secret()
        record(subscriber, SubscriptionConsent.Action.SUBSCRIBE, choices.source, version)
    now = timezone.now()
    subscriber.status = Subscriber.Status.CONFIRMED
    subscriber.confirmed_at = now
    # Nothing published before confirmation is sent.
    subscriber.digested_until = now
    subscriber.unsubscribed_at = None
    subscriber.save()
    # They asked for it again and proved they own the address.
    Suppression.objects.for_address(subscriber.email).delete()
    record(subscriber, SubscriptionConsent.Action.CONFIRM, "email", version)
    return subscriber, True


@transaction.atomic
def change_preferences(subscriber, topics, frequency, source="email"):
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    _set_preferences(subscriber, topics, frequency)
    record(subscriber, SubscriptionConsent.Action.CHANGE, source)
    return subscriber


@transaction.atomic
def unsubscribe(subscriber, source):
    """Idempotent: returns True only the first time."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        return False
    subscriber.status = Subscriber.Status.UNSUBSCRIBED
    subscriber.unsubscribed_at = timezone.now()
    subscriber.save()
    record(subscriber, SubscriptionConsent.Action.UNSUBSCRIBE, source)
    return True


@transaction.atomic
def suppress(subscriber, reason=Suppression.Reason.BOUNCED, provider="", event_id="", detail=""):
    """Never mail this subscriber's address again (until staff lift it)."""
    return suppress_address(subscriber.email, reason, provider, event_id, detail)


@transaction.atomic
def suppress_address(email, reason, provider="", event_id="", detail=""):
    """Never mail (or import) this address again, whether or not it is on the
    list; a subscriber gets a consent-history entry. True if it is new."""
    _, created = Suppression.objects.get_or_create(
        email_hash=email_hash(email),
        defaults={
            "reason": reason,
            "provider": provider,
            "event_id": event_id[:200],
            "detail": detail[:500],
        },
    )
    subscriber = Subscriber.objects.filter(email=normalise(email)).first()
    if subscriber is not None and subscriber.status != Subscriber.Status.SUPPRESSED:
        Subscriber.objects.filter(pk=subscriber.pk).update(status=Subscriber.Status.SUPPRESSED)
        source = Source.PROVIDER if provider else Source.BOUNCE
        record(subscriber, SubscriptionConsent.Action.SUPPRESS, source)
    return created


@transaction.atomic
def lift_suppression(suppression):
    """Staff decided the address may be mailed again: a suppressed subscriber
    goes back to confirmed."""
    suppressed = Subscriber.objects.filter(status=Subscriber.Status.SUPPRESSED)
    suppression.delete()
    # Only the hash is stored, so the subscriber is found by hashing.
    for candidate in suppressed.iterator():
        if email_hash(candidate.email) == suppression.email_hash:
            candidate.status = Subscriber.Status.CONFIRMED
            candidate.save()
            record(candidate, SubscriptionConsent.Action.LIFT, Source.ADMIN)


@transaction.atomic
def erase(subscriber):
    """Forget the subscriber entirely, keeping only a hash so that an import
    cannot add them back."""
    Suppression.objects.update_or_create(
        email_hash=email_hash(subscriber.email), defaults={"reason": Suppression.Reason.ERASED}
    )
    subscriber.delete()


def export_data(subscriber):
    """Everything we hold about one subscriber (GDPR subject access), as JSON."""

    def when(value):
        return value.isoformat() if value else None

    data = {
        "email": subscriber.email,
        "status": subscriber.status,
        "frequency": subscriber.frequency,
        "topics": [topic.name for topic in subscriber.topics.all()] or "all",
        "source": subscriber.source,
        "created_at": when(subscriber.created_at),
        "confirmed_at": when(subscriber.confirmed_at),
        "unsubscribed_at": when(subscriber.unsubscribed_at),
        "consent_records": [
            {
                "action": consent.action,
                "at": when(consent.at),
                "consent_version": consent.consent_version,
                "source": consent.source,
                "details": consent.details,
            }
            for consent in subscriber.consents.all()
        ],
        "deliveries": [
            {
                "digest": str(delivery.digest),
                "status": delivery.status,
                "sent_at": when(delivery.sent_at),
            }
            for delivery in subscriber.deliveries.select_related("digest")
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)
