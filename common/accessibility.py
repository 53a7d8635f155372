"""Checks an item's body must pass before it is submitted for review or published.

Images need alternative text, unless the editor says the images without it
are decorative (WCAG 1.1.1); headings start at level 2, because the item's
title is the page's level 1 heading (WCAG 1.3.1).
"""

from html.parser import HTMLParser


class _Outline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images_without_alt = []
        self.heading_levels = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            alt = dict(attrs).get("alt")
            if not (alt or "").strip():
                self.images_without_alt.append(dict(attrs).get("src") or "an image")
        elif len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.heading_levels.append(int(tag[1]))


def body_problems(html, decorative_images=False):
    """A list of messages for what `html` lacks; empty when it passes."""
    outline = _Outline()
    outline.feed(html or "")
    problems = []
    if outline.images_without_alt and not decorative_images:
        count = len(outline.images_without_alt)
        problems.append(
            f"{count} image(s) in the body have no alternative text. Add it (select the "
            "image, then “Change image text alternative”), or tick “Images without "
            "alternative text are decorative”."
        )
    if outline.heading_levels and outline.heading_levels[0] != 2 or 1 in outline.heading_levels:
        problems.append(
            "Headings in the body start at level 2 (“Heading 2”): the item's title is the "
            "page's level 1 heading."
        )
    return problems
