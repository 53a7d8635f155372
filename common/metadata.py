"""What crawlers, feed readers and social previews read on every page:
canonical link, description, Open Graph and Twitter tags, JSON-LD.

A view describes its page with `page_meta(...)` in its context as `meta`;
pages without one get the site's name and description. Nothing here depends
on the visitor: public pages stay the same bytes for everyone."""

import json

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils.safestring import mark_safe

from .site_url import absolute_url

# As django.utils.html.json_script escapes: the JSON cannot end the script
# element or open a comment, whatever an item's title says.
JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}
# The site's logo: the organisation's in JSON-LD, the image of its articles
# and of social previews.
LOGO = "img/touch-icon.png"
# Where every trail of breadcrumbs begins.
HOME = ("Home", reverse_lazy("home"))


def page_meta(title, description="", breadcrumbs=(), article=None, home=False):
    """The `meta` context of a page: its title, description, trail of
    (name, path) pairs below the home page (the last one the page itself),
    for an item's page the NewsItem it shows, and for the home page
    (`home`) the site and its publisher (JSON-LD WebSite and Organization)."""
    return {
        "title": title,
        "description": description,
        "breadcrumbs": [HOME, *breadcrumbs] if breadcrumbs else [],
        "article": article,
        "home": home,
    }


def json_ld(data):
    """`data` as the text of a <script type="application/ld+json"> element."""
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES))


def logo_url():
    return absolute_url(static(LOGO))


def organisation():
    return {
        "@type": "Organization",
        "@id": settings.SITE_URL + "/#organization",
        "name": settings.SITE_NAME,
        "url": settings.SITE_URL + "/",
        "logo": {"@type": "ImageObject", "url": logo_url()},
    }


def website():
    """The site and its publisher, as the home page describes them."""
    return [
        {"@context": "https://schema.org", **organisation()},
        {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "@id": settings.SITE_URL + "/#website",
            "name": settings.SITE_NAME,
            "url": settings.SITE_URL + "/",
            "description": settings.SITE_DESCRIPTION,
            "inLanguage": "en-GB",
            "publisher": {"@id": organisation()["@id"]},
        },
    ]


def breadcrumb_list(trail):
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "name": name, "item": absolute_url(path)}
            for n, (name, path) in enumerate(trail, start=1)
        ],
    }


def news_article(item, url):
    author = {"@type": "Person", "name": item.author} if item.author else organisation()
    return {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": item.title[:110],
        "description": item.summary,
        "image": [logo_url()],
        "datePublished": item.published_at.isoformat(),
        # Minor corrections do not count: readers were told of major changes only.
        "dateModified": item.public_modified_at.isoformat(),
        "author": [author],
        "publisher": organisation(),
        "mainEntityOfPage": url,
        "url": url,
        "articleSection": item.category.name,
        "inLanguage": "en-GB",
    }


def page_metadata(request, meta):
    """The values templates/_metadata.html renders for `request`'s page."""
    meta = meta or {}
    # The canonical address: no query string, except the page number of a list.
    canonical = absolute_url(request.path)
    page = request.GET.get("page", "")
    if page.isdigit() and page != "1":
        canonical += f"?page={page}"
    title = meta.get("title") or settings.SITE_NAME
    description = (meta.get("description") or settings.SITE_DESCRIPTION).strip()
    if len(description) > 200:
        description = description[:197].rsplit(" ", 1)[0] + "…"
    scripts = [json_ld(data) for data in website()] if meta.get("home") else []
    article = meta.get("article")
    if article is not None:
        scripts.append(json_ld(news_article(article, canonical)))
    if meta.get("breadcrumbs"):
        scripts.append(json_ld(breadcrumb_list(meta["breadcrumbs"])))
    return {
        "SITE_NAME": settings.SITE_NAME,
        "canonical": canonical,
        "title": title,
        "description": description,
        "type": "article" if article is not None else "website",
        "article": article,
        "image": logo_url(),
        "json_ld": scripts,
    }
