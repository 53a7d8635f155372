"""Each save of news content purges the pages that show it (news/surrogate_keys.py)."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from common.page_cache import NOT_FOUND_KEY, purge
from common.sitemaps import SITEMAP_KEY

from . import surrogate_keys as keys
from .models import Category, Document, DocumentSeries, NewsItem, OldAddress


@receiver(pre_save, sender=NewsItem)
def remember_item_placement(instance, **kwargs):
    instance._stored_snapshot = keys.stored_snapshot(instance.pk) if instance.pk else None


@receiver(post_save, sender=NewsItem)
def item_saved(instance, **kwargs):
    before = getattr(instance, "_stored_snapshot", None)
    purge(*keys.changed_by_save(before, keys.snapshot(instance)))


@receiver(post_delete, sender=NewsItem)
def item_deleted(instance, **kwargs):
    purge(*keys.changed_by_save(keys.snapshot(instance), None))


@receiver(pre_save, sender=Document)
def remember_document_place(instance, **kwargs):
    stored = instance.pk and Document.objects.filter(pk=instance.pk).values(
        "item_id", "series_id"
    ).first()
    instance._stored_place = stored or {}


@receiver([post_save, post_delete], sender=Document)
def document_changed(instance, **kwargs):
    """Its item's page, its download and its series' page (before and after a move)."""
    before = getattr(instance, "_stored_place", {})
    item_ids = {instance.item_id, before.get("item_id")}
    series_ids = {instance.series_id, before.get("series_id")}
    purge(
        keys.document(instance.pk),
        *(keys.item(pk) for pk in item_ids if pk),
        *(keys.series(pk) for pk in series_ids if pk),
    )


@receiver([post_save, post_delete], sender=DocumentSeries)
def series_changed(instance, **kwargs):
    """Its page, and the items whose documents name it."""
    item_ids = Document.objects.filter(series=instance).values_list("item_id", flat=True)
    purge(keys.series(instance.pk), NOT_FOUND_KEY, *(keys.item(pk) for pk in item_ids))


@receiver([post_save, post_delete], sender=Category)
def category_changed(instance, **kwargs):
    """Every page that names the category, and the lists of categories."""
    purge(
        keys.category(instance.pk), keys.category_items(instance.pk),
        keys.category_latest(instance.pk), keys.CATEGORIES, keys.COUNTS, keys.LATEST,
        keys.SEARCH, SITEMAP_KEY, NOT_FOUND_KEY,
    )


@receiver([post_save, post_delete], sender=OldAddress)
def old_address_changed(instance, **kwargs):
    """The old address now redirects to the item, or no longer does."""
    purge(keys.item(instance.item_id), NOT_FOUND_KEY)
