from django import template

from ..metadata import page_metadata as metadata_of

register = template.Library()


@register.inclusion_tag("_metadata.html", takes_context=True)
def page_metadata(context):
    """Canonical link, description, Open Graph, Twitter card and JSON-LD of the page."""
    request = context.get("request")
    if request is None:  # a template rendered outside a request (an email, a test)
        return {}
    return metadata_of(request, context.get("meta"))
