import time

from django.core.management.base import BaseCommand

from newsletter import digests, schedules, tasks
from newsletter.models import Frequency


class Command(BaseCommand):
    help = (
        "Build the digests that are due now and queue them for sending (sent at once "
        "when no broker is configured). --frequency sends that frequency's digest now, "
        "whatever its schedule."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--wait",
            action="store_true",
            help="Stay until the queued digests are sent, printing their progress.",
        )
        parser.add_argument(
            "--frequency",
            action="append",
            choices=Frequency.values,
            help="Send this frequency's digest now, even if it is not due (repeatable).",
        )

    def handle(self, *args, frequency=None, wait=False, **options):
        returned = tasks.sweep()
        if returned:
            self.stdout.write(f"Returned {returned} stuck deliveries to the queue.")
        if frequency:
            due = [schedules.forced_digest(name) for name in frequency]
        else:
            due = schedules.due_digests()
        if not due:
            self.stdout.write("No digest is due.")
        for digest in due:
            count = tasks.build_and_send(digest.pk)
            if count is None:
                self.stdout.write(f"{digest}: already built.")
            elif count == 0:
                self.stdout.write(f"{digest}: nothing new to send.")
            else:
                self.stdout.write(self.style.SUCCESS(f"{digest}: {count} emails queued."))
                self.report(digest, wait)

    def report(self, digest, wait):
        """Progress now (everything, when tasks run in this process), and until
        done with --wait."""
        while True:
            progress = digests.Progress.of(digest)
            details = ", ".join(f"{n} {s}" for s, n in sorted(progress.by_status.items()))
            self.stdout.write(
                f"{digest}: {progress.finished} of {progress.total} finished ({details})."
            )
            if not progress.waiting or not wait:
                return
            digest.refresh_from_db()
            if digest.status != digest.Status.SENDING:
                self.stdout.write(f"{digest}: {digest.get_status_display().lower()}.")
                return
            time.sleep(2)
