"""The surrogate keys of the newsletter's public pages (common.page_cache).

| key | on the pages that show |
|---|---|
| `newsletter-archive` | the list of sent digests (/newsletter/archive/) |
| `newsletter-digest-<id>` | a digest's web version (with the news items it covers) |
"""

ARCHIVE = "newsletter-archive"


def digest(pk):
    return f"newsletter-digest-{pk}"
