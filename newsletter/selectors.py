"""Public functions other apps use to read the newsletter (the staff dashboard)."""

from .digests import Progress
from .models import Digest


def latest_digest_progress():
    """The newest digest and how far its sending has gone, or None if there is
    none: {"digest", "total", "finished", "waiting", and a count per delivery
    status ("sent", "failed", "skipped", "cancelled"…)}. The digest's
    `stop_reason` says why it is paused or cancelled (a manager, or the
    complaint or bounce brake)."""
    digest = Digest.objects.order_by("-created_at").first()
    if digest is None:
        return None
    return {"digest": digest, **Progress.of(digest).as_dict()}
