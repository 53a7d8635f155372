from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "pages"
    verbose_name = "Standing pages"

    def ready(self):
        from . import signals  # noqa: F401  (page-cache invalidation)
