from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class NewsletterConfig(AppConfig):
    name = "newsletter"

    def ready(self):
        from anymail.signals import tracking

        from .bounces import tracking_received

        tracking.connect(tracking_received, dispatch_uid="newsletter.bounces")
        checks.register(sending_limits_need_redis)


def sending_limits_need_redis(app_configs, **kwargs):
    """The sending limits are shared through Redis and fail closed: without
    REDIS_URL no digest would ever go out."""
    limited = settings.NEWSLETTER_MAX_PER_SECOND or settings.NEWSLETTER_MAX_PER_DAY
    if limited and not settings.REDIS_URL:
        return [
            checks.Error(
                "NEWSLETTER_MAX_PER_SECOND and NEWSLETTER_MAX_PER_DAY need REDIS_URL.",
                hint="Set REDIS_URL, or leave both limits at 0 (no limit).",
                id="newsletter.E001",
            )
        ]
    return []
