"""What the admin index shows each member of staff: the work that needs them."""

from django.utils import timezone

from newsletter.selectors import latest_digest_progress

from .models import Revision
from .revisions import can_publish

LIMIT = 10


def dashboard(user):
    """Sections for `user`, each a short list (a handful of queries in all)."""
    from news.models import NewsItem  # the items these lists are about

    now = timezone.now()
    can_view_news = user.has_perm("news.view_newsitem")
    sections = {}
    if user.has_perm("editorial.view_revision"):
        waiting = Revision.objects.waiting_for_review().select_related("author", "content_type")
        if not can_publish(user, NewsItem):
            waiting = waiting.filter(author=user)  # an Editor follows their own submissions
        sections["waiting"] = list(waiting.order_by("submitted_at")[:LIMIT])
        sections["scheduled_changes"] = list(
            Revision.objects.filter(state=Revision.State.SCHEDULED)
            .select_related("content_type").order_by("publish_at")[:LIMIT]
        )
        sections["own_pending"] = list(
            Revision.objects.filter(author=user, state=Revision.State.PENDING, applied=False)
            .select_related("content_type")[:LIMIT]
        )
    if can_view_news:
        items = NewsItem.objects.only("title", "status", "published_at", "expires_at")
        live = items.filter(status=NewsItem.Status.PUBLISHED)
        going_live = live.filter(published_at__gt=now).order_by("published_at")
        sections["going_live"] = list(going_live[:LIMIT])
        sections["expiring"] = list(live.filter(expires_at__gt=now).order_by("expires_at")[:LIMIT])
        sections["recent"] = list(items.published().order_by("-published_at")[:LIMIT])
        own_drafts = Revision.objects.filter(
            author=user, content_type__app_label="news", content_type__model="newsitem"
        ).values("object_id")
        sections["drafts"] = list(
            items.filter(status=NewsItem.Status.DRAFT, pk__in=own_drafts)
            .order_by("-updated_at")[:LIMIT]
        )
    if user.has_perm("newsletter.view_digest"):
        sections["digest"] = latest_digest_progress()
    return sections
