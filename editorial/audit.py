"""The audit log's retention and export."""

import datetime

from django.conf import settings
from django.utils import timezone

from .models import AuditEntry

CSV_COLUMNS = ["time", "who", "action", "kind", "object id", "what", "revision", "bulk", "detail"]


def prune(days=None):
    """Delete entries older than `days` (EDITORIAL_AUDIT_RETENTION_DAYS); returns how many."""
    days = settings.EDITORIAL_AUDIT_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - datetime.timedelta(days=days)
    deleted, _ = AuditEntry.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def csv_rows(entries):
    """The entries as rows of CSV_COLUMNS."""
    for entry in entries.select_related("content_type", "revision"):
        yield (
            timezone.localtime(entry.created_at).isoformat(timespec="seconds"),
            entry.actor_name,
            entry.get_action_display(),
            entry.content_type.name if entry.content_type else "",
            entry.object_id,
            entry.object_repr,
            entry.revision.number if entry.revision else "",
            "yes" if entry.bulk else "",
            entry.detail,
        )
