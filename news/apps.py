from django.apps import AppConfig


class NewsConfig(AppConfig):
    name = "news"
    verbose_name = "News"

    def ready(self):
        from . import signals  # noqa: F401  (page-cache invalidation)
