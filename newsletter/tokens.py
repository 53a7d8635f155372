"""Signed links. Confirmation links expire; preference and unsubscribe links
last as long as the subscription (a new sign-up after unsubscribing voids them).

A token names the subscriber by their random public id, never the sequential
one. Links made before the public id existed ([pk, secret]) show "this link no
longer works", except that they still unsubscribe: an unsubscribe link in an
email already sent must keep working."""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError

from .models import Subscriber

CONFIRM = "newsletter.confirm"
MANAGE = "newsletter.manage"


class BadToken(Exception):
    """Forged, truncated or for a subscriber who is no longer on the list."""


class ExpiredToken(BadToken):
    pass


class GoneToken(BadToken):
    """Genuine, but the subscriber was erased or has signed up again since, or
    the link is of the old kind that named the sequential id."""


@dataclass(frozen=True)
class Choices:
    """What a sign-up asked for, carried in its confirmation link: nothing is
    changed until the address's owner follows it."""

    topic_ids: tuple
    frequency: str
    consent_version: str
    source: str

    def as_list(self):
        return [list(self.topic_ids), self.frequency, self.consent_version, self.source]

    @classmethod
    def from_list(cls, value):
        topic_ids, frequency, version, source = value
        return cls(tuple(int(t) for t in topic_ids), str(frequency), str(version), str(source))


def make_token(subscriber, purpose, choices=None):
    value = [subscriber.public_id.hex, subscriber.secret]
    if choices is not None:
        value.append(choices.as_list())
    return signing.dumps(value, salt=purpose, compress=False)


def read_token(token, purpose, legacy_ok=False):
    """The subscriber the token was made for; BadToken (or a subclass) otherwise."""
    return read_token_with_choices(token, purpose, legacy_ok)[0]


def read_token_with_choices(token, purpose, legacy_ok=False):
    """(subscriber, Choices or None)."""
    max_age = settings.NEWSLETTER_CONFIRM_MAX_AGE if purpose == CONFIRM else None
    try:
        value = signing.loads(token, salt=purpose, max_age=max_age)
        public_id, secret, *rest = value
    except signing.SignatureExpired as error:
        raise ExpiredToken from error
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise BadToken from error
    if isinstance(public_id, int):  # the old kind, [pk, secret]
        if not legacy_ok:
            raise GoneToken
        lookup = {"pk": public_id}
    else:
        lookup = {"public_id": public_id}
    choices = None
    if rest:
        try:
            choices = Choices.from_list(rest[0])
        except (ValueError, TypeError) as error:
            raise BadToken from error
    try:
        subscriber = Subscriber.objects.filter(**lookup, secret=secret).first()
    except ValidationError as error:  # a malformed UUID in a genuine-looking token
        raise BadToken from error
    if subscriber is None:
        raise GoneToken
    return subscriber, choices
