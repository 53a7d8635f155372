from django.apps import AppConfig
from django.db.models.signals import post_migrate


def follow_statistics_basis(**kwargs):
    """Every deploy runs migrate: a new COOKIE_STATISTICS_BASIS starts its policy version there."""
    from .consent import follow_statistics_basis

    follow_statistics_basis()


class CookiesConfig(AppConfig):
    name = "cookies"
    verbose_name = "Cookie consent"

    def ready(self):
        from . import signals  # noqa: F401

        post_migrate.connect(follow_statistics_basis, sender=self)
