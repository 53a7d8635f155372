"""The audit log's retention and export."""

import csv
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


def write_csv(entries, out):
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry in entries.select_related("content_type", "revision"):
        writer.writerow([
            timezone.localtime(entry.created_at).isoformat(timespec="seconds"),
            entry.actor_name,
            entry.get_action_display(),
            entry.content_type.name if entry.content_type else "",
            entry.object_id,
            # A leading = + - @ would be read as a formula by spreadsheets.
            _safe(entry.object_repr),
            entry.revision.number if entry.revision else "",
            "yes" if entry.bulk else "",
            _safe(entry.detail),
        ])


def _safe(text):
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
