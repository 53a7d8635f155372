from django.core.management.base import BaseCommand

from maintenance.demo import load_demo_notices
from management_information.demo import load_demo_releases
from news.demo import load_demo_content
from pages.demo import load_demo_pages


class Command(BaseCommand):
    help = "Load the demo news items (the real 'News and updates 2020' page). Idempotent."

    def handle(self, *args, **options):
        created, total = load_demo_content()
        self.stdout.write(f"Demo content: {total} items, {created} new.")
        created, total = load_demo_notices()
        self.stdout.write(f"Demo maintenance notices: {total}, {created} new.")
        created, total = load_demo_pages()
        self.stdout.write(f"Demo standing pages: {total}, {created} new.")
        created, total = load_demo_releases()
        self.stdout.write(f"Demo management information releases (illustrative figures): "
                          f"{total}, {created} new.")
