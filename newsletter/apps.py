from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "newsletter"

    def ready(self):
        from anymail.signals import tracking

        from .bounces import tracking_received

        tracking.connect(tracking_received, dispatch_uid="newsletter.bounces")
