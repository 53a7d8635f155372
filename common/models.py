from django.db import models


class PendingPurge(models.Model):
    """Surrogate keys whose cached pages must be purged, written in the same
    transaction as the save that changed them (common.purges delivers them).

    A row names the caches it has reached; it is deleted once it has reached
    the application's page cache and every cache in FRONTEND_CACHE_URLS."""

    keys = models.TextField(help_text="Space-separated surrogate keys.")
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_to = models.JSONField(
        default=list, blank=True, help_text="The caches that have it: “page-cache”, cache URLs."
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.keys
