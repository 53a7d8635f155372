"""What a digest says, shared by its emails and its web version: the items,
the subject line, and extra sections other apps contribute.

NEWSLETTER_DIGEST_EXTRA_SECTIONS lists dotted paths of functions taking the
digest and returning a list of sections, each a dict
{"title": str, "items": [{"title": str, "url": absolute URL, "text": str}]};
sections without items are left out. An entry with a "topic" (a category
id) goes only to the subscribers of that topic (or of every topic); a
section's optional "subject" is what the subject line says when a copy has
nothing else. That is how upcoming maintenance windows and updated items
join digests without this app knowing of them."""

from django.conf import settings
from django.utils.module_loading import import_string

from common.site_url import absolute_url
from news.selectors import published_since


def web_items(digest):
    """Every item the digest covers, in every topic (its web version is the
    same for everyone), oldest first."""
    if digest.since is None:
        return published_since(digest.until, until=digest.until).none()
    return published_since(digest.since, until=digest.until).select_related("category")


def item_context(item):
    return {
        "title": item.title,
        "url": absolute_url(item.get_absolute_url()),
        "date": item.date,
        "category": item.category.name,
        "summary": item.summary,
    }


def subject(digest, count, sections=()):
    """"Claims Portal news: 3 new items, week of 23 November 2026"; with no
    items, the sections' titles ("…news: planned maintenance, week of …")."""
    if count:
        news = "1 new item" if count == 1 else f"{count} new items"
    else:
        news = " and ".join(
            section.get("subject", section["title"].lower()) for section in sections
        ) or "no new items"
    return f"{settings.SITE_NAME} news: {news}, {digest.period_label()}"


def extra_sections(digest):
    sections = []
    for path in settings.NEWSLETTER_DIGEST_EXTRA_SECTIONS:
        for section in import_string(path)(digest) or []:
            if section.get("items"):
                sections.append(section)
    return sections


def sections_for(sections, topic_ids):
    """The sections as a subscriber of `topic_ids` (None: every topic) gets them."""
    chosen = []
    for section in sections:
        entries = [
            entry for entry in section["items"]
            if topic_ids is None or entry.get("topic") is None or entry["topic"] in topic_ids
        ]
        if entries:
            chosen.append({**section, "items": entries})
    return chosen


def section_topics(sections):
    """(whether some entry goes to everyone, the topics the other entries go to)."""
    entries = [entry for section in sections for entry in section["items"]]
    return (
        any(entry.get("topic") is None for entry in entries),
        {entry["topic"] for entry in entries if entry.get("topic") is not None},
    )
