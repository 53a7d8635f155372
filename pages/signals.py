from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from common.page_cache import purge

from .editorial_hooks import standing_page_keys
from .models import StandingPage


@receiver([post_save, post_delete], sender=StandingPage)
def page_changed(instance, **kwargs):
    """Its own page, and the sitemap (its address may appear or go)."""
    purge(*standing_page_keys(instance))
