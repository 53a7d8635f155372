from django import template
from django.conf import settings

register = template.Library()


@register.inclusion_tag("news/_attachment.html")
def attachment(document, heading_level=3):
    """A document as GOV.UK shows attachments: title, type, size, and how to
    ask for an accessible format."""
    return {
        "document": document,
        "heading_level": heading_level,
        "contact_email": settings.CONTACT_EMAIL,
        "needs_accessible_format_note": document.extension != "CSV",
    }
