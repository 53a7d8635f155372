"""Signed links. Confirmation links expire; preference and unsubscribe links
last as long as the subscription (a new sign-up after unsubscribing voids them)."""

from django.conf import settings
from django.core import signing

from .models import Subscriber

CONFIRM = "newsletter.confirm"
MANAGE = "newsletter.manage"


class BadToken(Exception):
    """Forged, truncated or for a subscriber who is no longer on the list."""


class ExpiredToken(BadToken):
    pass


class GoneToken(BadToken):
    """Genuine, but the subscriber was erased or has signed up again since."""


def make_token(subscriber, purpose):
    return signing.dumps([subscriber.pk, subscriber.secret], salt=purpose, compress=False)


def read_token(token, purpose):
    """The subscriber the token was made for; BadToken/ExpiredToken otherwise."""
    max_age = settings.NEWSLETTER_CONFIRM_MAX_AGE if purpose == CONFIRM else None
    try:
        pk, secret = signing.loads(token, salt=purpose, max_age=max_age)
    except signing.SignatureExpired as error:
        raise ExpiredToken from error
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise BadToken from error
    subscriber = Subscriber.objects.filter(pk=pk, secret=secret).first()
    if subscriber is None:
        raise GoneToken
    return subscriber
