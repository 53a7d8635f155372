"""Demo content: the maintenance windows that the seed page's items announce."""

import datetime

from django.db import transaction
from django.utils import timezone

from common.demo_content import create_or_update
from news.models import NewsItem

from .models import MaintenanceNotice

ALL = {"web_portal": True, "a2a": True, "training_site": True}
# (title, start, end (Europe/London), services, announcing item's slug in 2020, description)
SEED_WINDOWS = [
    (
        "SSL certificate update",
        datetime.datetime(2020, 3, 24, 8, 0),
        datetime.datetime(2020, 3, 24, 8, 30),
        {"web_portal": True, "a2a": True, "training_site": False},
        "notification-of-ssl-certificate-update-tuesday-24-march-2020",
        "The SSL certificate will be updated in the production environment.",
    ),
    (
        "Extraordinary maintenance",
        datetime.datetime(2020, 7, 4, 3, 0),
        datetime.datetime(2020, 7, 4, 5, 0),
        ALL,
        "extraordinary-maintenance",
        "An overnight extraordinary maintenance activity.",
    ),
    (
        "Stage 2 Settlement Pack negotiation changes",
        datetime.datetime(2020, 7, 19, 8, 0),
        datetime.datetime(2020, 7, 19, 14, 0),
        {"web_portal": True, "a2a": False, "training_site": True},
        "changes-to-the-stage-2-settlement-pack-negotiation-functionality",
        "Deploying the changes to the Stage 2 Settlement Pack negotiation functionality "
        "in the Web User Interface. A2A is not affected.",
    ),
    (
        "Scheduled overnight maintenance",
        datetime.datetime(2020, 10, 24, 21, 0),
        # The clocks go back at 2am on 25 October: this window lasts 11½ hours.
        datetime.datetime(2020, 10, 25, 7, 30),
        ALL,
        "scheduled-maintenance-notice",
        "Overnight maintenance. We apologise for any inconvenience this may cause.",
    ),
]


@transaction.atomic
def load_demo_notices():
    """Create or update the seed's windows. Running it twice changes nothing."""
    created = 0
    for title, starts, ends, services, slug, description in SEED_WINDOWS:
        values = {
            "starts_at": timezone.make_aware(starts),
            "ends_at": timezone.make_aware(ends),
            "description": description,
            "item": NewsItem.objects.filter(archive_year=2020, slug=slug).first(),
            "status": MaintenanceNotice.Status.PUBLISHED,
            **services,
        }
        _, made, _ = create_or_update(MaintenanceNotice, {"title": title}, values)
        created += made
    return created, len(SEED_WINDOWS)
