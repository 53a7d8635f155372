"""What a subscription can go through; every step leaves a consent record."""

import json

from django.db import transaction
from django.utils import timezone

from .models import CONSENT_VERSION, ConsentRecord, Subscriber, Suppression, email_hash, new_secret


def normalise(email):
    return email.strip().lower()


def _details(subscriber):
    return f"topics: {subscriber.topics_label()}; frequency: {subscriber.get_frequency_display()}"


def record(subscriber, action, source, version=CONSENT_VERSION):
    return ConsentRecord.objects.create(
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
def request_subscription(email, topics, frequency, source, version=CONSENT_VERSION):
    """Handle a sign-up. Returns (subscriber, email_to_send) where email_to_send is
    "confirm" or "already"; the caller answers the same either way."""
    email = normalise(email)
    subscriber, created = Subscriber.objects.select_for_update().get_or_create(
        email=email, defaults={"frequency": frequency, "source": source}
    )
    if subscriber.status == Subscriber.Status.CONFIRMED:
        # Preferences change only through the signed preferences link.
        return subscriber, "already"
    if not created and subscriber.status != Subscriber.Status.PENDING:
        # Unsubscribed or bounced: start again, and void the old links.
        subscriber.status = Subscriber.Status.PENDING
        subscriber.secret = new_secret()
        subscriber.source = source
    _set_preferences(subscriber, topics, frequency)
    record(subscriber, ConsentRecord.Action.SUBSCRIBE, source, version)
    return subscriber, "confirm"


@transaction.atomic
def confirm(subscriber):
    """Confirm a pending subscription; a confirmed one is left as it is."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status == Subscriber.Status.CONFIRMED:
        return subscriber, False
    if subscriber.status != Subscriber.Status.PENDING:
        return subscriber, False
    now = timezone.now()
    subscriber.status = Subscriber.Status.CONFIRMED
    subscriber.confirmed_at = now
    # Nothing published before confirmation is sent.
    subscriber.digested_until = now
    subscriber.unsubscribed_at = None
    subscriber.save()
    # They asked for it again and proved they own the address.
    Suppression.objects.filter(email_hash=email_hash(subscriber.email)).delete()
    version = (
        subscriber.consents.filter(action=ConsentRecord.Action.SUBSCRIBE)
        .values_list("consent_version", flat=True)
        .last()
    ) or CONSENT_VERSION
    record(subscriber, ConsentRecord.Action.CONFIRM, "email", version)
    return subscriber, True


@transaction.atomic
def change_preferences(subscriber, topics, frequency, source="email"):
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    _set_preferences(subscriber, topics, frequency)
    record(subscriber, ConsentRecord.Action.CHANGE, source)
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
    record(subscriber, ConsentRecord.Action.UNSUBSCRIBE, source)
    return True


@transaction.atomic
def suppress(subscriber, reason=Suppression.Reason.BOUNCED):
    Suppression.objects.get_or_create(
        email_hash=email_hash(subscriber.email), defaults={"reason": reason}
    )
    Subscriber.objects.filter(pk=subscriber.pk).update(status=Subscriber.Status.SUPPRESSED)


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
