"""News items under review, the news permissions of the staff roles, and the
news panel of the admin index (settings.EDITORIAL_REGISTRATIONS)."""

from django.utils import timezone

from editorial.models import Revision
from editorial.registry import Panel, Registration, Review
from editorial.revisions import related_as_in

from . import surrogate_keys
from .figures import items_chart
from .models import NewsItem

LIMIT = 10


def with_documents_of(item, revision):
    """A revision's preview lists the documents as the revision has them."""
    item.attachments = related_as_in(
        revision.content, "documents", item.documents.select_related("series")
    )
    return item


def news_items_panel(request):
    """The user's drafts, items going live or expiring, and recent ones."""
    user = request.user
    if not user.has_perm("news.view_newsitem"):
        return None
    now = timezone.now()
    items = NewsItem.objects.only("title", "status", "published_at", "expires_at")
    published = items.filter(status=NewsItem.Status.PUBLISHED)
    own_drafts = Revision.objects.filter(
        author=user, content_type__app_label="news", content_type__model="newsitem"
    ).values("object_id")
    return Panel("News items", "news/_dashboard_panel.html", {
        "drafts": list(items.filter(status=NewsItem.Status.DRAFT, pk__in=own_drafts)
                       .order_by("-updated_at")[:LIMIT]),
        "going_live": list(published.filter(published_at__gt=now).order_by("published_at")[:LIMIT]),
        "expiring": list(published.filter(expires_at__gt=now).order_by("expires_at")[:LIMIT]),
        "recent": list(items.published().order_by("-published_at")[:LIMIT]),
    })


def item_page_keys(item):
    """Every page that shows the item, or lists it (news/surrogate_keys.py)."""
    return surrogate_keys.where_listed(surrogate_keys.snapshot(item))


def items_figure_panel(request):
    if not request.user.has_perm("news.view_newsitem"):
        return None
    return Panel("Items published", "charts/_panel.html", {"chart": items_chart()})


EDITORS = [
    "news.add_newsitem", "news.change_newsitem", "news.view_newsitem",
    "news.add_document", "news.change_document", "news.delete_document", "news.view_document",
    "news.view_category", "news.view_oldaddress", "news.view_documentseries",
]

registration = Registration(
    reviews=[
        Review(
            "news.NewsItem",
            schedule_fields=("published_at", "expires_at"),
            preview_template="news/item.html",
            preview_name="item",
            preview_object=with_documents_of,
            change_notes=True,
            page_keys=item_page_keys,
        )
    ],
    roles={
        "Editors": EDITORS,
        "Publishers": EDITORS + [
            "news.publish_newsitem", "news.delete_newsitem",
            "news.add_category", "news.change_category", "news.delete_category",
            "news.add_oldaddress", "news.change_oldaddress", "news.delete_oldaddress",
            "news.add_documentseries", "news.change_documentseries",
            "news.delete_documentseries",
        ],
    },
    dashboard_panels=[news_items_panel, items_figure_panel],
)
