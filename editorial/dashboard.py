"""The admin index's dashboard: what needs each member of staff. This app's
panel is the review queue; every registration adds its own (editorial.registry)."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from . import workflow
from .links import admin_url
from .models import Revision
from .registry import Panel, reviews

LIMIT = 10


def _entries(revisions, view):
    """(revision, its object, the admin page to open) of revisions whose object exists."""
    entries = []
    for revision in revisions.select_related("author", "reviewed_by", "content_type") \
            .prefetch_related("object")[:LIMIT]:
        if revision.object is not None:
            opts = revision.object._meta
            entries.append((revision, revision.object, admin_url(opts, view, revision.object_id)))
    return entries


def review_queue(request):
    """Changes waiting for review (a Publisher sees all they may publish, an
    Editor their own), approved changes going live later, and the user's
    changes not yet submitted or sent back to them."""
    user = request.user
    if not user.has_perm("editorial.view_revision"):
        return None
    publishable = [
        ContentType.objects.get_for_model(review.model_class).pk
        for review in reviews() if workflow.can_publish(user, review.model_class)
    ]
    waiting = Revision.objects.waiting_for_review().filter(
        Q(content_type__in=publishable) | Q(author=user)
    )
    own = Revision.objects.filter(
        author=user, state__in=[Revision.State.UNSUBMITTED, Revision.State.REJECTED]
    )
    return Panel("Reviews", "editorial/_review_queue.html", {
        "waiting": _entries(waiting.order_by("submitted_at"), "review"),
        "scheduled": _entries(Revision.objects.scheduled().order_by("publish_at"), "change"),
        "own": _entries(own.order_by("-created_at"), "change"),
    })
