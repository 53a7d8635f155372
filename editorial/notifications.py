"""Review emails: to Publishers when work is submitted, to the author when it is sent back."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string

from common.site_url import absolute_url

from .links import admin_url
from .models import Revision
from .workflow import publish_permission


def _admin_url(revision, view):
    opts = revision.content_type.model_class()._meta
    return absolute_url(admin_url(opts, view, revision.object_id))


def publishers(model):
    users = get_user_model().objects.with_perm(
        publish_permission(model), is_active=True, include_superusers=False,
        backend="django.contrib.auth.backends.ModelBackend",
    )
    return sorted({user.email for user in users if user.email})


def _send(template, revision, recipients, **context):
    if not recipients:
        return 0
    context = {
        "revision": revision,
        "object": revision.object,
        "kind": revision.content_type.name,
        "site_name": settings.SITE_NAME,
        **context,
    }
    subject = render_to_string(f"editorial/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"editorial/email/{template}.txt", context)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def send_review_request(revision):
    """Each Publisher gets one email with a link to the review page."""
    recipients = publishers(revision.content_type.model_class())
    return _send("review_request", revision, recipients, url=_admin_url(revision, "review"))


def send_sent_back(revision):
    author = revision.author
    recipients = [author.email] if author is not None and author.email else []
    return _send("sent_back", revision, recipients, url=_admin_url(revision, "change"))


KINDS = {"review_request": send_review_request, "sent_back": send_sent_back}


def send(revision_id, kind):
    revision = Revision.objects.select_related("author", "reviewed_by").filter(pk=revision_id)
    revision = revision.first()
    if revision is None or revision.object is None:
        return 0  # deleted since
    return KINDS[kind](revision)
