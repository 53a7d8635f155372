"""Newsletter emails: multipart text and HTML from templates, absolute links,
inline styles only, and a Message-ID in the site's domain. Django's
EmailMessage refuses line breaks in headers, so nothing a visitor types can
add a header.

A digest is rendered once per distinct list of items (usually a handful per
digest), with placeholders for the two personal links; each recipient's copy
only fills them in: as bytes over SMTP (newsletter.fast_send), as an
ordinary EmailMessage, or as an email service's merge fields in one batch
message for many recipients (Anymail's merge_data)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.message import make_msgid
from django.template.loader import render_to_string
from django.urls import reverse

from common.site_url import absolute_url

from . import fast_send, tokens
from .digest_content import extra_sections, item_context, sections_for, subject

# Where each recipient's own links go in a rendered digest.
PREFERENCES_PLACEHOLDER = "https://placeholder.invalid/preferences"
UNSUBSCRIBE_PLACEHOLDER = "https://placeholder.invalid/unsubscribe"
# The merge fields of a batch message, by placeholder.
MERGE_FIELDS = {
    PREFERENCES_PLACEHOLDER: "preferences_url",
    UNSUBSCRIBE_PLACEHOLDER: "unsubscribe_url",
}


def mailer():
    """A new connection of the newsletter's mailer (MAILERS alias, "default" unless
    NEWSLETTER_MAILER names another)."""
    alias = settings.NEWSLETTER_MAILER
    return mailers[alias] if alias in mailers else mailers.default


def site_domain():
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def preferences_url(token):
    return absolute_url(reverse("newsletter:preferences", args=[token]))


def unsubscribe_url(token):
    return absolute_url(reverse("newsletter:unsubscribe", args=[token]))


def manage_urls(subscriber):
    """(preferences URL, unsubscribe URL) of a subscriber: one token for both."""
    token = tokens.make_token(subscriber, tokens.MANAGE)
    return preferences_url(token), unsubscribe_url(token)


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
        "manage_url": absolute_url(reverse("newsletter:manage")),
        "privacy_url": privacy_url(),
    }


def templated_message(subject, template, context, to, headers=None):
    """An email from newsletter/email/<template>.txt and .html, with a
    Message-ID in the site's domain (Django's default names the host, which
    in a container is its id)."""
    text = render_to_string(f"newsletter/email/{template}.txt", context)
    html = render_to_string(f"newsletter/email/{template}.html", context)
    headers = {"Message-ID": make_msgid(domain=site_domain()), **(headers or {})}
    email = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, to if isinstance(to, list) else [to],
        headers=headers,
    )
    email.attach_alternative(html, "text/html")
    return email


def confirmation_message(subscriber, choices=None):
    context = {
        **_base_context(),
        "confirm_url": confirm_url(subscriber, choices),
        "max_age_days": settings.NEWSLETTER_CONFIRM_MAX_AGE // 86400,
        "subscriber": subscriber,
        "preheader": "Confirm your email address to start receiving the newsletter.",
    }
    return templated_message(
        f"Confirm your subscription to the {settings.SITE_NAME} newsletter",
        "confirm",
        context,
        subscriber.email,
    )


def already_subscribed_message(subscriber, choices=None):
    preferences, unsubscribe = manage_urls(subscriber)
    context = {
        **_base_context(),
        "confirm_url": confirm_url(subscriber, choices) if choices else None,
        "preferences_url": preferences,
        "unsubscribe_url": unsubscribe,
        "subscriber": subscriber,
        "preheader": "You are already subscribed. Change your choices at any time.",
    }
    return templated_message(
        f"You are already subscribed to the {settings.SITE_NAME} newsletter",
        "already",
        context,
        subscriber.email,
    )


def links_message(subscriber):
    """The answer to "lost your link?": the subscriber's own links."""
    preferences, unsubscribe = manage_urls(subscriber)
    context = {
        **_base_context(),
        "preferences_url": preferences,
        "unsubscribe_url": unsubscribe,
        "subscriber": subscriber,
        "preheader": "Your links to change your newsletter choices or unsubscribe.",
    }
    return templated_message(
        f"Your {settings.SITE_NAME} newsletter links", "links", context, subscriber.email
    )


def brake_message(digest):
    """To every Newsletter manager: the brake paused a digest, and why."""
    from django.contrib.auth import get_user_model

    managers = (
        get_user_model()
        .objects.with_perm(
            "newsletter.change_digest", backend="django.contrib.auth.backends.ModelBackend"
        )
        .filter(is_active=True)
        .exclude(email="")
        .order_by("pk")
    )
    context = {
        **_base_context(),
        "digest": digest,
        "digest_url": absolute_url(
            reverse("admin:newsletter_digest_change", args=[digest.pk])
        ),
        "preheader": digest.stop_reason,
    }
    return templated_message(
        f"Sending paused: {digest}", "brake", context, [user.email for user in managers]
    )


def _largest(fits, low, high):
    """The largest n in [low, high] for which fits(n) holds (fits is monotonic:
    true up to some n, false after), or None if fits(low) is false."""
    if not fits(low):
        return None
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


class DigestBodies:
    """A variant's text and HTML with the placeholders, and how its items are shown."""

    def __init__(self, text, html, in_full, as_links, left_out):
        self.text, self.html = text, html
        self.in_full, self.as_links, self.left_out = in_full, as_links, left_out

    def html_size(self, link_growth):
        """The bytes of the HTML a recipient gets: its links filled in (each
        `link_growth` bytes longer than its placeholder, at most) and its
        lines ended with CRLF, as email sends them."""
        links = sum(self.html.count(placeholder) for placeholder in MERGE_FIELDS)
        return sent_size(self.html) + links * link_growth


def sent_size(body):
    """Bytes of a body as email carries it: UTF-8, lines ended with CRLF."""
    return len(body.encode()) + body.count("\n")


def link_growth():
    """How much longer a recipient's link is than its placeholder, at most."""
    from .models import Subscriber, new_secret

    sample = manage_urls(Subscriber(secret=new_secret()))
    slack = 8  # the token's timestamp and signature may be a little longer
    return max(len(url) for url in sample) + slack - min(len(p) for p in MERGE_FIELDS)


class DigestRenderer:
    """Renders a digest's shared parts once and makes each recipient's message."""

    def __init__(self, digest, items):
        self.digest = digest
        self.items = list(items)  # oldest first
        self.domain = site_domain()
        self.from_email = settings.DEFAULT_FROM_EMAIL
        self._bodies = {}
        self._templates = {}
        self._items_for = {}
        self._sections_for = {}
        self.web_url = absolute_url(digest.get_absolute_url()) if digest.pk else None
        self.sections = extra_sections(digest)

    def items_for(self, since, topic_ids):
        """The items a subscriber gets (their topics, after `since`); one list
        per distinct pair, shared by every subscriber with that pair."""
        key = (since, frozenset(topic_ids) if topic_ids is not None else None)
        if key not in self._items_for:
            self._items_for[key] = [
                item
                for item in self.items
                if item.published_at > since
                and item.published_at <= self.digest.until
                and (topic_ids is None or item.category_id in topic_ids)
            ]
        return self._items_for[key]

    def sections_for(self, topic_ids):
        """The extra sections as a subscriber of `topic_ids` (None: every topic)
        gets them: an updated item goes to the subscribers of its topic."""
        key = frozenset(topic_ids) if topic_ids is not None else None
        if key not in self._sections_for:
            self._sections_for[key] = sections_for(self.sections, topic_ids)
        return self._sections_for[key]

    def _variant(self, items, sections):
        """What makes copies alike: their items and their sections."""
        return tuple(item.pk for item in items), repr(sections)

    def bodies(self, items, sections=None):
        """The variant's DigestBodies. A digest whose HTML would pass
        NEWSLETTER_MAX_HTML_BYTES (Gmail clips messages past 102 KB, hiding
        the unsubscribe link at the bottom) shows its newest items in full
        and the rest as links, as many in full as fit; if even links alone
        do not fit, as many links as fit and a pointer to the web version.
        `sections` as sections_for() gives them (by default all of them)."""
        sections = self.sections if sections is None else sections
        key = self._variant(items, sections)
        if key not in self._bodies:
            contexts = [item_context(item) for item in reversed(items)]
            self._bodies[key] = self._fit(contexts, sections)
        return self._bodies[key]

    def _fit(self, contexts, sections):
        limit = settings.NEWSLETTER_MAX_HTML_BYTES
        growth = link_growth()
        renders = {}

        def render(in_full, as_links):
            if (in_full, as_links) not in renders:
                renders[in_full, as_links] = self._render(contexts, in_full, as_links, sections)
            return renders[in_full, as_links]

        count = len(contexts)
        whole = render(count, 0)
        if whole.html_size(growth) <= limit:
            return whole
        in_full = _largest(
            lambda n: render(n, count - n).html_size(growth) <= limit, 0, count - 1
        )
        if in_full is not None:
            return render(in_full, count - in_full)
        as_links = _largest(lambda n: render(0, n).html_size(growth) <= limit, 0, count)
        return render(0, as_links or 0)

    def _render(self, contexts, in_full, as_links, sections):
        linked = contexts[in_full : in_full + as_links]
        context = {
            **_base_context(),
            "digest": self.digest,
            "items": contexts[:in_full],
            "linked_items": linked,
            "left_out": len(contexts) - in_full - len(linked),
            "count": len(contexts),
            "web_url": self.web_url,
            "sections": sections,
            "preferences_url": PREFERENCES_PLACEHOLDER,
            "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
            "preheader": self.preheader(contexts, sections),
        }
        return DigestBodies(
            render_to_string("newsletter/email/digest.txt", context),
            render_to_string("newsletter/email/digest.html", context),
            in_full,
            len(linked),
            context["left_out"],
        )

    def preheader(self, contexts, sections):
        titles = [item["title"] for item in contexts] or [
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

    def _headers(self, unsubscribe, message_id=None):
        headers = {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{settings.SITE_NAME} news <news.{self.domain}>",
        }
        if message_id:
            headers["Message-ID"] = message_id
        return headers

    @staticmethod
    def _check_address(subscriber):
        address = subscriber.email
        if "\r" in address or "\n" in address:
            raise ValueError(f"Invalid address {address!r}: contains a line break")

    def message(self, subscriber, items, sections=None):
        """The recipient's message as an ordinary EmailMessage (any mailer)."""
        self._check_address(subscriber)
        bodies = self.bodies(items, sections)
        links = dict(zip(MERGE_FIELDS, manage_urls(subscriber), strict=True))
        text, html = bodies.text, bodies.html
        for placeholder, url in links.items():
            text, html = text.replace(placeholder, url), html.replace(placeholder, url)
        email = EmailMultiAlternatives(
            self.subject(items, sections),
            text,
            self.from_email,
            [subscriber.email],
            headers=self._headers(links[UNSUBSCRIBE_PLACEHOLDER], self.message_id(subscriber)),
        )
        email.attach_alternative(html, "text/html")
        return email

    def message_bytes(self, subscriber, items, sections=None):
        """The recipient's message as MIME bytes for SMTP, filled in from the
        variant's MessageTemplate (only the address and links differ between
        recipients); None if the template cannot take it (an address that is
        not ASCII), in which case send message() instead."""
        if not subscriber.email.isascii():
            return None
        template = self._template(items, sections)
        if template is None:
            return None
        self._check_address(subscriber)
        links = dict(zip(MERGE_FIELDS, manage_urls(subscriber), strict=True))
        return template.fill(subscriber.email, self.message_id(subscriber), links)

    def _template(self, items, sections):
        key = self._variant(items, self.sections if sections is None else sections)
        if key not in self._templates:
            bodies = self.bodies(items, sections)
            self._templates[key] = fast_send.MessageTemplate.make(
                self.subject(items, sections),
                self.from_email,
                self._headers(UNSUBSCRIBE_PLACEHOLDER, fast_send.MESSAGE_ID_MARK),
                bodies.text,
                bodies.html,
                list(MERGE_FIELDS),
            )
        return self._templates[key]

    def batch_message(self, items, subscribers, merge_field, sections=None):
        """One message to many recipients of the same variant, for an email
        service's batch API: each recipient gets their own copy, with their
        links filled in by the service from Anymail's merge_data (written in
        the content as `merge_field`, e.g. "%recipient.{}%" for Mailgun) and
        their own one-click List-Unsubscribe header from merge_headers. The
        digest's id travels as metadata, which tracking webhooks send back."""
        for subscriber in subscribers:
            self._check_address(subscriber)
        bodies = self.bodies(items, sections)
        text, html = bodies.text, bodies.html
        for placeholder, field in MERGE_FIELDS.items():
            text = text.replace(placeholder, merge_field.format(field))
            html = html.replace(placeholder, merge_field.format(field))
        headers = self._headers(UNSUBSCRIBE_PLACEHOLDER)
        del headers["List-Unsubscribe"]  # each recipient's own, below
        email = EmailMultiAlternatives(
            self.subject(items, sections),
            text,
            self.from_email,
            [subscriber.email for subscriber in subscribers],
            headers=headers,
        )
        email.attach_alternative(html, "text/html")
        email.merge_data, email.merge_headers = {}, {}
        for subscriber in subscribers:
            links = dict(zip(MERGE_FIELDS.values(), manage_urls(subscriber), strict=True))
            email.merge_data[subscriber.email] = links
            email.merge_headers[subscriber.email] = {
                "List-Unsubscribe": f"<{links['unsubscribe_url']}>"
            }
        email.metadata = {"digest": str(self.digest.pk)}
        return email
