"""Newsletter emails: multipart text and HTML from templates, absolute links,
inline styles only. Django's EmailMessage refuses line breaks in headers, so
nothing a visitor types can add a header.

A digest is rendered once per distinct list of items (usually a handful per
digest), with placeholders for the two personal links; each recipient's copy
only swaps the placeholders."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.template.loader import render_to_string
from django.urls import reverse

from news.models import absolute_url

from . import tokens

PREFERENCES_PLACEHOLDER = "https://placeholder.invalid/preferences"
UNSUBSCRIBE_PLACEHOLDER = "https://placeholder.invalid/unsubscribe"


def mailer():
    """A new connection of the newsletter's mailer (MAILERS alias, "default" unless
    NEWSLETTER_MAILER names another)."""
    alias = settings.NEWSLETTER_MAILER
    return mailers[alias] if alias in mailers else mailers.default


def site_domain():
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def preferences_url(subscriber):
    token = tokens.make_token(subscriber, tokens.MANAGE)
    return absolute_url(reverse("newsletter:preferences", args=[token]))


def unsubscribe_url(subscriber):
    token = tokens.make_token(subscriber, tokens.MANAGE)
    return absolute_url(reverse("newsletter:unsubscribe", args=[token]))


def confirm_url(subscriber):
    token = tokens.make_token(subscriber, tokens.CONFIRM)
    return absolute_url(reverse("newsletter:confirm", args=[token]))


def _base_context():
    return {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "signup_url": absolute_url(reverse("newsletter:signup")),
    }


def _message(subject, template, context, to, headers=None):
    text = render_to_string(f"newsletter/email/{template}.txt", context)
    html = render_to_string(f"newsletter/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers or {}
    )
    message.attach_alternative(html, "text/html")
    return message


def confirmation_message(subscriber):
    context = {
        **_base_context(),
        "confirm_url": confirm_url(subscriber),
        "max_age_days": settings.NEWSLETTER_CONFIRM_MAX_AGE // 86400,
        "subscriber": subscriber,
        "preheader": "Confirm your email address to start receiving the newsletter.",
    }
    return _message(
        f"Confirm your subscription to the {settings.SITE_NAME} newsletter",
        "confirm",
        context,
        subscriber.email,
    )


def already_subscribed_message(subscriber):
    context = {
        **_base_context(),
        "preferences_url": preferences_url(subscriber),
        "unsubscribe_url": unsubscribe_url(subscriber),
        "subscriber": subscriber,
        "preheader": "You are already subscribed. Change your choices at any time.",
    }
    return _message(
        f"You are already subscribed to the {settings.SITE_NAME} newsletter",
        "already",
        context,
        subscriber.email,
    )


def item_context(item):
    return {
        "title": item.title,
        "url": absolute_url(item.get_absolute_url()),
        "date": item.date,
        "category": item.category.name,
        "summary": item.summary,
    }


class DigestRenderer:
    """Renders a digest's shared parts once and makes each recipient's message."""

    def __init__(self, digest, items):
        self.digest = digest
        self.items = list(items)  # oldest first
        self.domain = site_domain()
        self.from_email = settings.DEFAULT_FROM_EMAIL
        self._bodies = {}

    def items_for(self, since, topic_ids):
        return [
            item
            for item in self.items
            if item.published_at > since
            and item.published_at <= self.digest.until
            and (topic_ids is None or item.category_id in topic_ids)
        ]

    def _render(self, items):
        key = tuple(item.pk for item in items)
        if key not in self._bodies:
            context = {
                **_base_context(),
                "digest": self.digest,
                "items": [item_context(item) for item in reversed(items)],  # newest first
                "count": len(items),
                "preferences_url": PREFERENCES_PLACEHOLDER,
                "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
                "preheader": self.preheader(items),
            }
            self._bodies[key] = (
                render_to_string("newsletter/email/digest.txt", context),
                render_to_string("newsletter/email/digest.html", context),
            )
        return self._bodies[key]

    def preheader(self, items):
        titles = "; ".join(item.title for item in reversed(items))
        return titles[:140]

    def subject(self, items):
        count = len(items)
        news = "1 news item" if count == 1 else f"{count} news items"
        return f"{settings.SITE_NAME} news: {news} ({self.digest.get_frequency_display().lower()})"

    def message_id(self, subscriber_id):
        # The same on every attempt, so a copy sent twice after a crash is
        # recognisably the same message.
        return f"<digest-{self.digest.pk}.{subscriber_id}@{self.domain}>"

    def message(self, subscriber, items):
        text, html = self._render(items)
        token = tokens.make_token(subscriber, tokens.MANAGE)
        prefs = absolute_url(reverse("newsletter:preferences", args=[token]))
        unsub = absolute_url(reverse("newsletter:unsubscribe", args=[token]))
        text = text.replace(PREFERENCES_PLACEHOLDER, prefs).replace(UNSUBSCRIBE_PLACEHOLDER, unsub)
        html = html.replace(PREFERENCES_PLACEHOLDER, prefs).replace(UNSUBSCRIBE_PLACEHOLDER, unsub)
        headers = {
            "Message-ID": self.message_id(subscriber.pk),
            "List-Unsubscribe": f"<{unsub}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{settings.SITE_NAME} news <news.{self.domain}>",
        }
        message = EmailMultiAlternatives(
            self.subject(items), text, self.from_email, [subscriber.email], headers=headers
        )
        message.attach_alternative(html, "text/html")
        return message
