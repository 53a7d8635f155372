from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from common.page_cache import invalidate

from .models import MaintenanceNotice
from .selectors import forget_banner_notices


@receiver([post_save, post_delete], sender=MaintenanceNotice)
def invalidate_public_pages(**kwargs):
    """The banner is on every public page."""
    forget_banner_notices()
    invalidate()
