"""Public functions other apps use to read the newsletter (the staff dashboard)."""

from django.db.models import Count, Q

from .models import Delivery, Digest


def latest_digest_progress():
    """The newest digest and how far its sending has gone, or None if there is none:
    {"digest", "total", "sent", "failed", "skipped", "waiting"}."""
    digest = Digest.objects.order_by("-created_at").first()
    if digest is None:
        return None
    status = Delivery.Status
    counts = digest.deliveries.aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(status=status.SENT)),
        failed=Count("pk", filter=Q(status=status.FAILED)),
        skipped=Count("pk", filter=Q(status=status.SKIPPED)),
    )
    counts["waiting"] = counts["total"] - counts["sent"] - counts["failed"] - counts["skipped"]
    return {"digest": digest, **counts}
