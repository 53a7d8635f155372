"""Every page type of the public site, with the demo content they show.

The reflow, layout-shift, accessibility and cookie-audit browser tests loop
over these addresses, and so does the Lighthouse run (.ci/lighthouse.py), which
imports this module without Django.
"""

PAGES = [
    "/",
    "/news/",
    "/news/2020/",
    "/news/2020/insurer-index-update-for-rta-a2a-users-v232/",
    "/news/2020/scheduled-maintenance-notice/",
    "/news/category/",
    "/news/category/update/",
    "/news/search/?q=maintenance",
    "/documents/insurer-index/",
    "/maintenance/",
    "/privacy/",
    "/accessibility/",
    "/about/",
    "/cookies/",
    "/newsletter/",
    "/no-such-page/",
]


def load_demo_site():
    """The default cookie policy and the demo content (live-server tests flush the database)."""
    from django.core.management import call_command

    from cookies import consent
    from cookies.defaults import install
    from cookies.models import ConsentPolicy, CookieCategory, CookieDeclaration

    install(CookieCategory, CookieDeclaration, ConsentPolicy)
    consent.forget_policy()
    with open("/dev/null", "w") as quiet:
        call_command("load_demo_content", stdout=quiet)
