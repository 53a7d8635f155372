from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from common.page_cache import NOT_FOUND_KEY, purge
from common.sitemaps import SITEMAP_KEY

from .models import StandingPage
from .views import page_key


@receiver([post_save, post_delete], sender=StandingPage)
def page_changed(instance, **kwargs):
    """Its own page, and the sitemap (its address may appear or go)."""
    purge(page_key(instance.pk), SITEMAP_KEY, NOT_FOUND_KEY)
