"""Template tags: the banner, the consent-gated scripts and {% if_consent %}."""

from django import template
from django.conf import settings

from portal_site.links import fixed_url

from .. import consent

register = template.Library()


@register.inclusion_tag("cookies/_banner.html", takes_context=True)
def cookie_banner(context):
    """The GOV.UK cookie banner: the question, or the one-off confirmation after a
    choice made without JavaScript, or nothing."""
    request = context.get("request")
    if request is None:  # error pages rendered without a request
        return {"show": False}
    state = consent.visitor(request)
    confirmation = consent.flash(request) if state.consent is not None else None
    if confirmation not in ("accepted", "rejected"):
        confirmation = None
    ask = not state.decided
    return {
        "show": ask or confirmation,
        "ask": ask,
        # While the banner asks, both confirmations are on the page for the script.
        "confirmations": ("accepted", "rejected") if ask else (confirmation,),
        "category_names": [name.lower() for _, name in state.policy.optional],
        "only_analytics": ["analytics"],
        "next": request.get_full_path(),
        "consent_url": fixed_url("cookies:consent"),
        "settings_url": fixed_url("cookies:settings"),
        "SITE_NAME": context.get("SITE_NAME") or settings.SITE_NAME,
        "request": request,
    }


@register.inclusion_tag("cookies/_scripts.html", takes_context=True)
def cookie_scripts(context):
    """The banner's script, and the analytics snippet gated on consent."""
    request = context.get("request")
    accepted = consent.visitor(request).accepted_slugs() if request is not None else []
    return {
        "accepted": " ".join(accepted),
        "analytics_id": getattr(settings, "ANALYTICS_ID", ""),
        "analytics_accepted": "analytics" in accepted,
        "consent_url": fixed_url("cookies:consent"),
        "request": request,
    }


class IfConsentNode(template.Node):
    def __init__(self, category, nodelist, nodelist_else):
        self.category = category
        self.nodelist = nodelist
        self.nodelist_else = nodelist_else

    def render(self, context):
        request = context.get("request")
        slug = self.category.resolve(context)
        if request is not None and consent.accepted(request, slug):
            return self.nodelist.render(context)
        return self.nodelist_else.render(context)


@register.tag
def if_consent(parser, token):
    """{% if_consent "analytics" %}…{% else %}…{% endif_consent %}

    Renders its content only when the visitor has accepted that cookie category.
    """
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one argument: a category slug")
    nodelist = parser.parse(("else", "endif_consent"))
    nodelist_else = template.NodeList()
    if parser.next_token().contents == "else":
        nodelist_else = parser.parse(("endif_consent",))
        parser.delete_first_token()
    return IfConsentNode(parser.compile_filter(bits[1]), nodelist, nodelist_else)
