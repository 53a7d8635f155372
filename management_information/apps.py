from django.apps import AppConfig


class ManagementInformationConfig(AppConfig):
    name = "management_information"
    verbose_name = "Management information"

    def ready(self):
        from . import signals  # noqa: F401  (page cache, the announcing news item)
