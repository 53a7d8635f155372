from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from common.page_cache import purge

from . import surrogate_keys
from .announcements import draft_announcement
from .models import Figure, Measure, MeasureGroup, Release, ReleaseCorrection


@receiver([post_save, post_delete], sender=Release)
@receiver([post_save, post_delete], sender=Figure)
@receiver([post_save, post_delete], sender=Measure)
@receiver([post_save, post_delete], sender=MeasureGroup)
@receiver([post_save, post_delete], sender=ReleaseCorrection)
def purge_public_pages(**kwargs):
    """Releases show on their pages, the calendar, the sitemap and the downloads."""
    purge(*surrogate_keys.changed_by_save())


@receiver(post_save, sender=Release)
def announce_published_release(instance, raw=False, **kwargs):
    """A published release without a news item gets a draft one."""
    if raw or instance.status != Release.Status.PUBLISHED or instance.announcement_id:
        return
    instance.announcement = draft_announcement(instance)
    Release.objects.filter(pk=instance.pk).update(announcement=instance.announcement)
