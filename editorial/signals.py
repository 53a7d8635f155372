import logging

from axes.signals import user_locked_out
from django.dispatch import receiver

from .models import AuditEntry

logger = logging.getLogger("editorial.security")


@receiver(user_locked_out)
def log_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    """Staff log-in lockouts go to the log and the audit log (axes keeps the attempts)."""
    logger.warning("Log-in locked out: username=%r ip=%s", username, ip_address)
    AuditEntry.objects.create(
        action=AuditEntry.Action.LOCKOUT,
        actor_name=(username or "")[:150],
        detail=f"Too many failed log-ins from {ip_address}.",
    )
