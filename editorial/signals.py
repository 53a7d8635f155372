import logging

from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver
from django.utils import timezone

from .models import AuditEntry

logger = logging.getLogger("editorial.security")


@receiver(user_locked_out)
def log_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    """Staff log-in lockouts go to the log and the audit log (axes keeps the
    attempts). Axes signals again at every attempt refused while an account
    is locked; the audit log has one entry per lockout."""
    logger.warning("Log-in locked out: username=%r ip=%s", username, ip_address)
    name = (username or "")[:150]
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    if AuditEntry.objects.filter(
        action=AuditEntry.Action.LOCKOUT, actor_name=name, created_at__gte=since
    ).exists():
        return
    AuditEntry.objects.create(
        action=AuditEntry.Action.LOCKOUT,
        actor_name=name,
        detail=f"Too many failed log-ins from {ip_address}.",
    )
