"""Demo content: the standing pages a public body must publish.

Placeholders in {braces} are filled from settings, so the pages name the
site's own retention periods and contact address."""

from django.conf import settings
from django.db import transaction

from .models import StandingPage

PRIVACY = """
<p>This notice explains what personal information the {site} news website keeps about you,
why, for how long, and what you can ask us to do with it.</p>
<h2>Who we are</h2>
<p>{site} Ltd is the data controller for the personal information described here. You can
contact us about it at <a href="mailto:{email}">{email}</a>.</p>
<h2>The newsletter</h2>
<p>When you sign up to the newsletter we keep:</p>
<ul>
<li>your email address;</li>
<li>the topics and how often you chose to hear from us;</li>
<li>whether you confirmed your address, and when you signed up, confirmed, changed your choices
or unsubscribed, with the wording of what you agreed to (our consent log);</li>
<li>which digests we sent you and whether they were delivered.</li>
</ul>
<p>We use this only to send you the digests you asked for. Our lawful basis is your consent,
which you can withdraw at any time with the unsubscribe link in every email.</p>
<p>If you unsubscribe, we keep your address only as a record that you must not be sent email
again, and the consent log entries that show what you agreed to and when you withdrew, for as
long as we may need to show that we had your consent. An address that never confirms its
sign-up is deleted.</p>
<h2>Cookies and the cookie consent log</h2>
<p>We use essential cookies to make the site work and, only if you accept them, analytics
cookies. When you make a choice, we record it with a random identifier (not your name or
address), the date and the version of our cookie policy, so that we can show what you chose.
These records are deleted after {consent_days} days. You can change your choice at any time on
the <a href="/cookies/">cookie settings page</a>.</p>
<h2>Your rights</h2>
<p>You can ask us for a copy of the personal information we hold about you, to correct it, or
to erase it. Email <a href="mailto:{email}">{email}</a> from the address concerned and we will
answer within one month. If you are unhappy with how we have handled your information you can
complain to the Information Commissioner's Office (ico.org.uk).</p>
"""

ACCESSIBILITY = """
<p>This accessibility statement applies to the {site} news website. It does not cover the
{site} itself (the web portal, A2A or the training site).</p>
<p>This website is run by {site} Ltd. We want as many people as possible to be able to use it.
For example, that means you should be able to:</p>
<ul>
<li>change colours, contrast levels and fonts using browser or device settings;</li>
<li>zoom in up to 400% without the text spilling off the screen;</li>
<li>navigate most of the website using a keyboard or speech recognition software;</li>
<li>listen to most of the website using a screen reader.</li>
</ul>
<h2>How accessible this website is</h2>
<p>We know some parts of this website are not fully accessible:</p>
<ul>
<li>some older documents, such as spreadsheets and PDF reports, are not fully accessible to
screen reader software.</li>
</ul>
<h2>Feedback and contact information</h2>
<p>If you need information on this website in a different format, such as an accessible PDF,
large print, easy read, audio recording or braille, email
<a href="mailto:{email}">{email}</a>. We will consider your request and get back to you within
5 working days.</p>
<h2>Reporting accessibility problems with this website</h2>
<p>We are always looking to improve the accessibility of this website. If you find any problems
not listed on this page or think we are not meeting accessibility requirements, email
<a href="mailto:{email}">{email}</a>.</p>
<h2>Enforcement procedure</h2>
<p>The Equality and Human Rights Commission (EHRC) is responsible for enforcing the Public
Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018 (the
"accessibility regulations"). If you are not happy with how we respond to your complaint,
contact the Equality Advisory and Support Service (EASS).</p>
<h2>Technical information about this website's accessibility</h2>
<p>{site} Ltd is committed to making its website accessible, in accordance with the Public
Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018.</p>
<h3>Compliance status</h3>
<p>This website is partially compliant with the Web Content Accessibility Guidelines version 2.2
AA standard, due to the non-compliances listed below.</p>
<h2>Non-accessible content</h2>
<h3>Non-compliance with the accessibility regulations</h3>
<p>Some spreadsheets published before this website was rebuilt do not have descriptive sheet
names or header rows marked up for screen readers. This fails WCAG 2.2 success criterion 1.3.1
(Info and Relationships). When we publish new versions of these documents we make sure they
meet accessibility standards.</p>
<h3>Content that's not within the scope of the accessibility regulations</h3>
<p>PDFs and other documents published before 23 September 2018 that are not essential to
providing our services.</p>
<h2>What we're doing to improve accessibility</h2>
<p>Every page of this website is tested with automated checks and with a keyboard before it is
released, and at 320 pixels wide.</p>
<h2>Preparation of this accessibility statement</h2>
<p>This statement was prepared on 1 December 2026. The website was last tested on
1 December 2026 by the team that builds it.</p>
"""

ABOUT = """
<p>The {site} is the service through which claims for low value personal injury in road traffic
accidents, employers' liability and public liability are made and settled between claimants'
representatives and compensators.</p>
<p>This website publishes news and updates about the {site}: changes to the service, planned
maintenance, monthly management information and documents such as the Insurer Index.</p>
<ul>
<li><a href="/news/">News and updates</a></li>
<li><a href="/maintenance/">Planned maintenance</a> and its calendar</li>
<li><a href="/documents/insurer-index/">The Insurer Index for RTA A2A users</a></li>
<li><a href="/newsletter/">The newsletter</a></li>
</ul>
"""

PAGES = [
    (
        "privacy",
        "Privacy notice",
        "What the newsletter and the cookie consent log keep about you, why, for how long, and "
        "how to ask for a copy or erasure.",
        PRIVACY,
    ),
    (
        "accessibility",
        "Accessibility statement",
        "How accessible the {site} news website is, how to ask for information in another "
        "format and how to report a problem.",
        ACCESSIBILITY,
    ),
    ("about", "About", "What the {site} is and what this website publishes.", ABOUT),
]


@transaction.atomic
def load_demo_pages():
    """Create the standing pages that do not exist yet: once created, they are
    the editors' to change, and loading again leaves them alone."""
    values = {
        "site": settings.SITE_NAME,
        "email": settings.CONTACT_EMAIL,
        "consent_days": settings.COOKIE_CONSENT_LOG_RETENTION_DAYS,
    }
    created = 0
    for slug, title, summary, body in PAGES:
        _, made = StandingPage.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "summary": summary.format(**values),
                "body": body.format(**values),
                "status": StandingPage.Status.PUBLISHED,
            },
        )
        created += made
    return created, len(PAGES)
