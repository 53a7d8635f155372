from django.apps import AppConfig


class CookiesConfig(AppConfig):
    name = "cookies"
    verbose_name = "Cookie consent"

    def ready(self):
        from . import signals  # noqa: F401
