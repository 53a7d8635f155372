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

from common.site_url import absolute_url

from . import fast_send, tokens
from .digest_content import extra_sections, item_context, sections_for, subject

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


def confirm_url(subscriber, choices=None):
    token = tokens.make_token(subscriber, tokens.CONFIRM, choices)
    return absolute_url(reverse("newsletter:confirm", args=[token]))


def privacy_url():
    # The privacy notice (issue 12) lives at this fixed path.
    return settings.SITE_URL.rstrip("/") + "/privacy/"


def _base_context():
    return {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "signup_url": absolute_url(reverse("newsletter:signup")),
        "privacy_url": privacy_url(),
    }


def _message(subject, template, context, to, headers=None):
    text = render_to_string(f"newsletter/email/{template}.txt", context)
    html = render_to_string(f"newsletter/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers or {}
    )
    message.attach_alternative(html, "text/html")
    return message


def confirmation_message(subscriber, choices=None):
    context = {
        **_base_context(),
        "confirm_url": confirm_url(subscriber, choices),
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


def already_subscribed_message(subscriber, choices=None):
    context = {
        **_base_context(),
        "confirm_url": confirm_url(subscriber, choices) if choices else None,
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


class DigestRenderer:
    """Renders a digest's shared parts once and makes each recipient's message."""

    def __init__(self, digest, items):
        self.digest = digest
        self.items = list(items)  # oldest first
        self.domain = site_domain()
        self.from_email = settings.DEFAULT_FROM_EMAIL
        self._bodies = {}
        self._skeletons = {}
        self.web_url = absolute_url(digest.get_absolute_url()) if digest.pk else None
        self.sections = extra_sections(digest)
        self._preferences_base = absolute_url(reverse("newsletter:preferences", args=["t"]))[:-2]
        self._unsubscribe_base = absolute_url(reverse("newsletter:unsubscribe", args=["t"]))[:-2]

    def items_for(self, since, topic_ids):
        return [
            item
            for item in self.items
            if item.published_at > since
            and item.published_at <= self.digest.until
            and (topic_ids is None or item.category_id in topic_ids)
        ]

    def sections_for(self, topic_ids):
        """The extra sections as a subscriber of `topic_ids` gets them."""
        return sections_for(self.sections, topic_ids)

    def _key(self, items, sections):
        return tuple(item.pk for item in items), repr(sections)

    def _render(self, items, sections=None):
        sections = self.sections if sections is None else sections
        key = self._key(items, sections)
        if key not in self._bodies:
            context = {
                **_base_context(),
                "digest": self.digest,
                "items": [item_context(item) for item in reversed(items)],  # newest first
                "count": len(items),
                "web_url": self.web_url,
                "sections": sections,
                "preferences_url": PREFERENCES_PLACEHOLDER,
                "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
                "preheader": self.preheader(items, sections),
            }
            self._bodies[key] = (
                render_to_string("newsletter/email/digest.txt", context),
                render_to_string("newsletter/email/digest.html", context),
            )
        return self._bodies[key]

    def preheader(self, items, sections=None):
        sections = self.sections if sections is None else sections
        titles = [item.title for item in reversed(items)] or [
            entry["title"] for section in sections for entry in section["items"]
        ]
        return "; ".join(titles)[:140]

    def subject(self, items, sections=None):
        return subject(self.digest, len(items), self.sections if sections is None else sections)

    def has_news(self, items, sections=None):
        """Whether a copy with these items (and sections) says anything."""
        return bool(items or (self.sections if sections is None else sections))

    def message_id(self, subscriber):
        # The same on every attempt, so a copy sent twice after a crash is
        # recognisably the same message; the random public id, not the row's.
        return f"<digest-{self.digest.pk}.{subscriber.public_id.hex}@{self.domain}>"

    def _urls(self, subscriber):
        token = tokens.make_token(subscriber, tokens.MANAGE)
        return self._preferences_base + token + "/", self._unsubscribe_base + token + "/"

    def _skeleton(self, items, sections=None):
        key = self._key(items, sections)
        if key not in self._skeletons:
            self._skeletons[key] = fast_send.skeleton(
                self.subject(items, sections),
                self.from_email,
                self._headers(fast_send.MESSAGE_ID_MARK, fast_send.UNSUBSCRIBE_MARK),
            )
        return self._skeletons[key]

    def _headers(self, message_id, unsubscribe):
        return {
            "Message-ID": message_id,
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{settings.SITE_NAME} news <news.{self.domain}>",
        }

    def _personal(self, subscriber, items, sections=None):
        """(text, html, Message-ID, unsubscribe URL) of the recipient's copy."""
        text, html = self._render(items, sections)
        prefs, unsub = self._urls(subscriber)
        text = text.replace(PREFERENCES_PLACEHOLDER, prefs).replace(UNSUBSCRIBE_PLACEHOLDER, unsub)
        html = html.replace(PREFERENCES_PLACEHOLDER, prefs).replace(UNSUBSCRIBE_PLACEHOLDER, unsub)
        address = subscriber.email
        if "\r" in address or "\n" in address:
            raise ValueError(f"Invalid address {address!r}: contains a line break")
        return text, html, self.message_id(subscriber), unsub

    def message(self, subscriber, items, sections=None):
        """The recipient's message as an ordinary EmailMessage (any mailer);
        `sections` as sections_for() gives them (by default all of them)."""
        text, html, message_id, unsub = self._personal(subscriber, items, sections)
        message = EmailMultiAlternatives(
            self.subject(items, sections),
            text,
            self.from_email,
            [subscriber.email],
            headers=self._headers(message_id, unsub),
        )
        message.attach_alternative(html, "text/html")
        return message

    def message_bytes(self, subscriber, items, sections=None):
        """The recipient's message as MIME bytes for SMTP, assembled from the
        variant's skeleton (only the address and links differ between
        recipients); None if the skeleton cannot take it (an address that is
        not ASCII), in which case send message() instead."""
        if not subscriber.email.isascii():
            return None
        skeleton = self._skeleton(items, sections)
        if skeleton is None:
            return None
        text, html, message_id, unsub = self._personal(subscriber, items, sections)
        return fast_send.fill(skeleton, subscriber.email, message_id, unsub, text, html)
