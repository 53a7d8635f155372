from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from common.page_cache import invalidate

from .models import Category, ChangeNote, Document, DocumentSeries, NewsItem, OldAddress


@receiver([post_save, post_delete], sender=NewsItem)
@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=Document)
@receiver([post_save, post_delete], sender=DocumentSeries)
@receiver([post_save, post_delete], sender=OldAddress)
@receiver([post_save, post_delete], sender=ChangeNote)
def invalidate_public_pages(**kwargs):
    """Any change to published content may show on any public page."""
    invalidate()
