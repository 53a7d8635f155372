"""Preview links for reviewers without an account: a signed, expiring token
naming one revision (django.core.signing; SECRET_KEY signs it)."""

import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse

from common.site_url import absolute_url

SALT = "editorial.shared-preview"


def max_age():
    return datetime.timedelta(days=settings.EDITORIAL_PREVIEW_LINK_DAYS)


def preview_url(revision):
    """The absolute address of the revision's shared preview."""
    token = signing.dumps({"revision": revision.pk}, salt=SALT, compress=True)
    return absolute_url(reverse("shared-preview", args=[token]))


def revision_id(token):
    """The id of the revision `token` names; signing.BadSignature (an
    expired link is signing.SignatureExpired) when it names none."""
    data = signing.loads(token, salt=SALT, max_age=max_age())
    if not isinstance(data, dict) or not isinstance(data.get("revision"), int):
        raise signing.BadSignature("Not a preview token")
    return data["revision"]
