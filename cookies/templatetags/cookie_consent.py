"""Template tags: the cookie policy for the page's scripts, the banner and the
consent-gated scripts.

All render the same markup for every visitor: whether the banner shows and
which gated scripts run is decided in the browser, before the first paint, by
static/js/cookie-state.js (from the consent cookie and the policy it is given
here), and then carried out by static/js/cookies.js.
"""

from django import template
from django.conf import settings
from django.urls import reverse

from common.page_cache import add_keys

from .. import consent

register = template.Library()


def _shows_the_policy(context):
    """The page shows the cookie policy: saving it purges the page
    (consent.POLICY_KEY). The policy, read once for the page's tags."""
    request = context.get("request")
    if request is None:
        return consent.current_policy()
    add_keys(request, consent.POLICY_KEY)
    if not hasattr(request, "cookie_policy"):
        request.cookie_policy = consent.current_policy()
    return request.cookie_policy


@register.inclusion_tag("cookies/_state.html", takes_context=True)
def cookie_state(context):
    """In <head>: the policy as JSON and the small synchronous script that sets
    `cookie-banner-shown` on <html> when the banner is to show, so that the
    banner's space is part of the first layout (no shift)."""
    policy = _shows_the_policy(context)
    return {
        "config": {
            "version": policy.version,
            "notice": policy.notice,
            "cookie": consent.cookie_name(),
            "maxAge": consent.lifetime_seconds(),
            "consentUrl": reverse("cookies:consent"),
            "categories": [
                {"slug": c.slug, "exception": c.exception, "stored": list(c.stored)}
                for c in policy.optional
            ],
        }
    }


@register.inclusion_tag("cookies/_banner.html", takes_context=True)
def cookie_banner(context):
    """The GOV.UK cookie banner: a question (Accept / Reject), or under the
    statistics exception a notice (Object / Hide). Hidden unless cookie-state.js
    finds no valid choice."""
    policy = _shows_the_policy(context)
    return {
        "policy": policy,
        "confirmations": ["objected"] if policy.notice else ["accepted", "rejected"],
        "SITE_NAME": settings.SITE_NAME,
    }


@register.inclusion_tag("cookies/_scripts.html")
def cookie_scripts():
    """The banner's script, and the analytics scripts, inert until allowed."""
    return {"analytics_id": settings.ANALYTICS_ID}
