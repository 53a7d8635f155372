"""Template tags: the cookie banner and the consent-gated scripts.

Both render the same markup for every visitor: whether the banner shows and
which gated scripts run is decided in the browser by static/js/cookies.js,
from the consent cookie and the policy the banner carries.
"""

from django import template
from django.conf import settings

from common.page_cache import add_keys

from .. import consent

register = template.Library()


@register.inclusion_tag("cookies/_banner.html", takes_context=True)
def cookie_banner(context):
    """The GOV.UK cookie banner, hidden until the script finds no valid consent.
    The page shows the policy: saving it purges the page (consent.POLICY_KEY)."""
    if "request" in context:
        add_keys(context["request"], consent.POLICY_KEY)
    policy = consent.current_policy()
    return {
        "policy": policy,
        "category_names": [name.lower() for _, name in policy.optional],
        "categories": " ".join(policy.optional_slugs),
        "cookie_name": consent.cookie_name(),
        "max_age": consent.lifetime_seconds(),
        "SITE_NAME": settings.SITE_NAME,
    }


@register.inclusion_tag("cookies/_scripts.html")
def cookie_scripts():
    """The banner's script, and the analytics scripts, inert until consent."""
    return {"analytics_id": settings.ANALYTICS_ID}
