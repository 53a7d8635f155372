"""Updated items in the newsletter's digests (settings.NEWSLETTER_DIGEST_EXTRA_SECTIONS)."""

import datetime

from common.site_url import absolute_url

from .selectors import updated_since


def updated_items(digest):
    """An "Updated" section: the major changes to published items that went
    live in the period the digest covers, each with its change note. Each
    entry goes only to the subscribers of its item's category (its topic)."""
    since = digest.since or (digest.until - datetime.timedelta(days=31))
    entries = [
        {
            "title": note.item.title,
            "url": absolute_url(note.item.get_absolute_url()),
            "text": f"{note.published_at:%d/%m/%Y}: {note.note}",
            "topic": note.item.category_id,
        }
        for note in updated_since(since, digest.until)
    ]
    return [{"title": "Updated", "subject": "updated items", "items": entries}]
