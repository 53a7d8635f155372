"""Digests through an email service's API backend (Anymail): ordinary
EmailMessages (not prebuilt SMTP bytes), and the service's refusals classified
like SMTP's. No service is reachable from here, so Anymail's own test backend
stands in for the HTTP call; everything above it is the real path."""

import pytest
from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.message import AnymailRecipientStatus
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from newsletter import schedules, tasks
from newsletter.models import Delivery, Subscriber, Suppression

pytestmark = pytest.mark.django_db


class RefusingBackend(AnymailTestBackend):
    """Anymail's test backend, refusing recipients whose address starts "perm"."""

    def post_to_esp(self, payload, message):
        response = super().post_to_esp(payload, message)
        for email, status in response["recipient_status"].items():
            if email.startswith("perm"):
                response["recipient_status"][email] = AnymailRecipientStatus(
                    message_id=status.message_id, status="rejected"
                )
        return response


@pytest.fixture
def email_service(settings):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingBackend"}}
    mail.outbox = []


def test_a_digest_through_an_email_service(
    email_service, make_item, make_subscriber, django_capture_on_commit_callbacks
):
    make_item(title="Insurer Index v232")
    make_subscriber(email="ann@example.com")
    refused = make_subscriber(email="perm@example.com")
    digest = schedules.forced_digest("weekly")
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.build_and_send(digest.pk) == 2
    sent = {m.to[0]: m for m in mail.outbox}
    assert set(sent) == {"ann@example.com", "perm@example.com"}
    message = sent["ann@example.com"]
    assert type(message) is EmailMultiAlternatives
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Insurer Index v232" in message.alternatives[0].content
    statuses = dict(Delivery.objects.values_list("subscriber__email", "status"))
    assert statuses == {"ann@example.com": "sent", "perm@example.com": "failed"}
    refused.refresh_from_db()
    assert refused.status == Subscriber.Status.SUPPRESSED
    assert Suppression.objects.for_address("perm@example.com").exists()
