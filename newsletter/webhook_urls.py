"""The email services' tracking webhooks, at Anymail's standard addresses
(/anymail/<provider>/tracking/), behind EMAIL_WEBHOOK_SECRET.

Anymail checks the basic-auth secret too, but answers a wrong one with 400;
a missing or wrong secret gets 401 with a Basic challenge here (some services
only send credentials when challenged), and with no secret configured every
request is refused: the webhooks are closed until someone sets one."""

from functools import wraps

from anymail.utils import get_request_basic_auth
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.brevo import BrevoTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from django.conf import settings
from django.http import HttpResponse
from django.urls import path
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

VIEWS = {
    "amazon_ses": AmazonSESTrackingWebhookView,
    "brevo": BrevoTrackingWebhookView,
    "mailgun": MailgunTrackingWebhookView,
    "postmark": PostmarkTrackingWebhookView,
    "sendgrid": SendGridTrackingWebhookView,
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
