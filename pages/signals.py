from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from common.page_cache import invalidate

from .models import StandingPage


@receiver([post_save, post_delete], sender=StandingPage)
def invalidate_public_pages(**kwargs):
    """A standing page is a public page (and in the sitemap)."""
    invalidate()
