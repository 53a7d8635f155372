from django.core.management.base import BaseCommand

from newsletter import digests
from newsletter.models import Frequency


class Command(BaseCommand):
    help = (
        "Build the digests that are due now and queue them for sending (sent at once "
        "when no broker is configured). --frequency sends that frequency's digest now, "
        "whatever its schedule."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--frequency",
            action="append",
            choices=Frequency.values,
            help="Send this frequency's digest now, even if it is not due (repeatable).",
        )

    def handle(self, *args, frequency=None, **options):
        returned = digests.sweep()
        if returned:
            self.stdout.write(f"Returned {returned} stuck deliveries to the queue.")
        if frequency:
            due = [digests.forced_digest(name) for name in frequency]
        else:
            due = digests.due_digests()
        if not due:
            self.stdout.write("No digest is due.")
        for digest in due:
            count = digests.build(digest.pk)
            if count is None:
                self.stdout.write(f"{digest}: already built.")
            elif count == 0:
                self.stdout.write(f"{digest}: nothing new to send.")
            else:
                self.stdout.write(self.style.SUCCESS(f"{digest}: {count} emails queued."))
