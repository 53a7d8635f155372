from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from common.page_cache import purge

from . import surrogate_keys as keys
from .models import MaintenanceNotice
from .selectors import forget_banner_notices


@receiver(pre_save, sender=MaintenanceNotice)
def remember_notice(instance, **kwargs):
    stored = instance.pk and MaintenanceNotice.objects.filter(pk=instance.pk)
    instance._stored_snapshot = stored.values(*keys.FIELDS).first() if stored else None


@receiver(post_save, sender=MaintenanceNotice)
def notice_saved(instance, **kwargs):
    forget_banner_notices()
    purge(*keys.changed_by_save(getattr(instance, "_stored_snapshot", None),
                                keys.snapshot(instance)))


@receiver(post_delete, sender=MaintenanceNotice)
def notice_deleted(instance, **kwargs):
    forget_banner_notices()
    purge(*keys.changed_by_save(keys.snapshot(instance), None))
