from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "maintenance"
    verbose_name = "Planned maintenance"

    def ready(self):
        from . import signals  # noqa: F401  (page-cache invalidation)
