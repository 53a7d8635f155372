from django.apps import AppConfig


class EditorialConfig(AppConfig):
    name = "editorial"
    verbose_name = "Editorial workflow"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import checks, roles, signals  # noqa: F401  (registration checks; lockouts)

        # After every app's permissions exist: editorial is last in INSTALLED_APPS.
        post_migrate.connect(roles.sync_roles, sender=self, dispatch_uid="editorial.sync_roles")
