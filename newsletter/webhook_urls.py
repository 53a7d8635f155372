"""The email services' tracking webhooks, at Anymail's standard addresses
(/anymail/<provider>/tracking/), behind EMAIL_WEBHOOK_SECRET.

Anymail checks the basic-auth secret too, but answers a wrong one with 400;
a missing or wrong secret gets 401 with a Basic challenge here (some services
only send credentials when challenged), and with no secret configured every
request is refused: the webhooks are closed until someone sets one.

A body Anymail cannot read (not JSON, the wrong types, missing fields, an
unknown SNS message type…) is the sender's error: a 400 and a log line
(logger django.security.MalformedWebhook), never a 500, which the services
would retry for days. Errors while acting on a readable event (the database
down) still answer 500, so that the service retries."""

from functools import wraps

from anymail.exceptions import AnymailAPIError, AnymailWebhookValidationFailure
from anymail.utils import get_request_basic_auth
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.brevo import BrevoTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponse
from django.urls import path
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

# What Anymail's parsers raise on a body of the wrong shape (RecursionError:
# JSON nested too deep; ArithmeticError: a timestamp out of range).
MALFORMED = (
    AnymailAPIError, ValueError, TypeError, KeyError, IndexError, AttributeError,
    RecursionError, ArithmeticError,
)


class MalformedWebhook(SuspiciousOperation):
    """Django answers it with a 400 and logs it (django.security.MalformedWebhook)."""


class RefuseMalformedBodies:
    """For an Anymail webhook view: reading the request (its validators and
    parse_events, the hooks Anymail's views are built from) may only fail
    as a 400."""

    def run_validators(self, request):
        try:
            super().run_validators(request)
        except AnymailWebhookValidationFailure:
            raise
        except MALFORMED as error:
            raise self.malformed(error) from error

    def parse_events(self, request):
        try:
            return list(super().parse_events(request))
        except MALFORMED as error:
            raise self.malformed(error) from error

    def malformed(self, error):
        return MalformedWebhook(f"{self.esp_name} webhook: unreadable body: {error!r}")


def refusing_malformed(view):
    return type(view.__name__, (RefuseMalformedBodies, view), {})


VIEWS = {
    name: refusing_malformed(view)
    for name, view in {
        "amazon_ses": AmazonSESTrackingWebhookView,
        "brevo": BrevoTrackingWebhookView,
        "mailgun": MailgunTrackingWebhookView,
        "postmark": PostmarkTrackingWebhookView,
        "sendgrid": SendGridTrackingWebhookView,
    }.items()
}


def requires_webhook_secret(view):
    @wraps(view)
    def checked(request, *args, **kwargs):
        secret = settings.ANYMAIL.get("WEBHOOK_SECRET") or ""
        sent = get_request_basic_auth(request) or ""
        if not secret or not constant_time_compare(sent, secret):
            response = HttpResponse("Unauthorised.\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Basic realm="email webhooks"'
            return response
        return view(request, *args, **kwargs)

    return csrf_exempt(checked)


urlpatterns = [
    path(
        f"{name}/tracking/",
        requires_webhook_secret(view.as_view()),
        name=f"{name}_tracking_webhook",
    )
    for name, view in VIEWS.items()
]
