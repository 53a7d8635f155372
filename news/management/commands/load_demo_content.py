from django.core.management.base import BaseCommand

from news.demo import load_demo_content


class Command(BaseCommand):
    help = "Load the demo news items (the real 'News and updates 2020' page). Idempotent."

    def handle(self, *args, **options):
        created, total = load_demo_content()
        self.stdout.write(f"Demo content: {total} items, {created} new.")
