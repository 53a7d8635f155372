from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cookies.models import ConsentRecord


class Command(BaseCommand):
    help = "Delete consent log entries older than the retention period."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep this many days (default: settings.COOKIE_CONSENT_LOG_RETENTION_DAYS).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")

    def handle(self, *args, days, dry_run, **options):
        if days is None:
            days = settings.COOKIE_CONSENT_LOG_RETENTION_DAYS
        if days < 1:
            raise CommandError("--days must be at least 1.")
        cutoff = timezone.now() - timedelta(days=days)
        old = ConsentRecord.objects.older_than(cutoff)
        if dry_run:
            count = old.count()
            self.stdout.write(
                f"{count} consent log entries older than {days} days would be deleted."
            )
            return
        count, _ = old.delete()
        self.stdout.write(f"Deleted {count} consent log entries older than {days} days.")
