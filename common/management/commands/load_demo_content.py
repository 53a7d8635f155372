from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = (
        "Load every app's demo content (settings.DEMO_CONTENT: the real 'News and "
        "updates 2020' page and what it announces). Idempotent."
    )

    def handle(self, *args, **options):
        for name, loader in settings.DEMO_CONTENT.items():
            created, total = import_string(loader)()
            self.stdout.write(f"Demo {name}: {total}, {created} new.")
