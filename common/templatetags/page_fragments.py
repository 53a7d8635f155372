"""{% fragment %}: a part of a page kept in the cache under the content it shows.

    {% load page_fragments %}
    {% fragment "news-list" %}…{% endfragment %}             one per page
    {% fragment "cookie-banner" shared %}…{% endfragment %}  the same on every page

A page's fragment is kept per page (its path and the query parameters it
reads) and shows the page's own content, the surrogate keys its view declared,
plus whatever is declared while it renders (the items of a list); a shared one
shows only what is declared while it renders. Either is served while none of
those keys was purged and no timer changed them (common.page_cache), and its
keys are declared for the page again when it is served. Whatever the fragment
alone needs is read while it renders (lazy querysets, the view's cached
properties), so a page whose fragments are stored reads none of it. A public
page fetches its fragments with its cache state in one round trip.
"""

from django import template

from common import page_cache

register = template.Library()


class FragmentNode(template.Node):
    def __init__(self, nodelist, name, shared):
        self.nodelist = nodelist
        self.name = name
        self.shared = shared

    def render(self, context):
        request = context.get("request")
        if request is None:  # outside a request (an email): nothing to key it on
            return self.nodelist.render(context)
        html = page_cache.cached_fragment(request, self.name, self.shared)
        if html is None:
            with page_cache.making_fragment(request, self.name, self.shared) as store:
                html = self.nodelist.render(context)
                store(html)
        return html


@register.tag
def fragment(parser, token):
    bits = token.split_contents()
    shared = bits[2:] == ["shared"]
    if len(bits) not in (2, 3) or (len(bits) == 3 and not shared) or bits[1][0] not in "\"'":
        raise template.TemplateSyntaxError(
            '{% fragment "name" %} or {% fragment "name" shared %}'
        )
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(nodelist, bits[1][1:-1], shared)
